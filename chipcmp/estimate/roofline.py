"""Attainable throughput at an arithmetic intensity: min(peak, memory bandwidth × intensity), per chip."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import check_precision
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.estimate.training import unknown_note
from chipcmp.ranges import check_range

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def _bound(intensity: float | pd.Series, ridge: pd.Series) -> pd.Series:
    """'memory' below the ridge point, 'compute' at or above it, missing where the ridge is unknown."""
    import pandas as pd

    return pd.Series("compute", index=ridge.index).mask(ridge > intensity, "memory").where(ridge.notna())


def roofline(ds: Dataset, intensity: float, precision: str, chips: list[str], filters: Filters,
             top: int | None = None) -> Result:
    """Chips ranked by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""
    import numpy as np

    check_range(intensity, "--intensity")
    p = check_precision(precision)
    df = select(ds, chips, filters)
    out = df[["name", "vendor", p.column, "memory_bw_tbs"]].copy()
    out["ridge_point"] = df[p.column] / df["memory_bw_tbs"]
    out["attainable_tflops"] = np.minimum(df[p.column], df["memory_bw_tbs"] * intensity)
    out["bound"] = _bound(intensity, out["ridge_point"])
    out = out.sort_values(["attainable_tflops", "name"], ascending=[False, True], na_position="last",
                          kind="mergesort")
    notes = unknown_note(out, "attainable_tflops", [p.column, "memory_bw_tbs"])
    if top is not None:
        out = out.head(top)
    out["intensity"] = intensity
    out["precision"] = p.name
    cols = [Col.of("name"), Col.of("vendor"), Col("attainable_tflops", "Attainable (TFLOPS)", True, bar=True),
            Col.of(p.column), Col.of("memory_bw_tbs"), Col("ridge_point", "Ridge (FLOP/B)", True),
            Col("bound", "Bound")]
    footer = [f"Attainable = min({p.label} dense peak, memory bandwidth × {intensity:g} FLOP/byte) (roofline model)."]
    return Result(out, cols, title=f"Roofline at {intensity:g} FLOP/byte ({p.label})", messages=notes, notes=footer,
                  assumptions={"intensity": intensity, "precision": p.name})
