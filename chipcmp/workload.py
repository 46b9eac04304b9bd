"""Workload estimates from the same data: training time and cost (`train`), serving limits (`serve`), and the
roofline ranking (`roofline`).

Every assumption (formula, precision, MFU, PUE, prices) is returned with the result: printed under the table,
exported as columns and as JSON meta. A chip lacking a needed figure stays in the output with unknown values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp.core import Filters, check_positive, check_precision, select
from chipcmp.errors import UsageError
from chipcmp.result import Col, Result
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_COUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([A-Za-z]?)\s*$")
# Bytes per element for weights/KV cache by precision name.
BYTES = {"fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5}


# What a model or a training run can sensibly have: outside is a typo (a forgotten suffix, an extra zero).
COUNT_RANGE = {"--params": (1e6, 1e15), "--active-params": (1e6, 1e15), "--tokens": (1e6, 1e16)}


def parse_count(text: str, option: str) -> float:
    """'70B' -> 7e10. K, M, B (or G), T suffixes; a typo like '70Q', a bare '70' or an absurd size is an error."""
    m = _COUNT.match(text)
    if not m or m[3].upper() not in _SUFFIX:
        raise UsageError(f"{option} {shorten(text)!r}: write a positive number with a K, M, B or T suffix, "
                         "e.g. 70B or 2T")
    value = float(f"{m[1]}e{m[2] or 0}") * _SUFFIX[m[3].upper()]  # 1e400 overflows to inf: rejected below
    lo, hi = COUNT_RANGE.get(option, (1.0, 1e18))
    if not m[3] and not m[2] and value < lo:
        raise UsageError(f"{option} {text}: a bare number counts single {option.strip('-').split('-')[-1]}; "
                         f"did you mean {text}B (billions)? Write the suffix: K, M, B or T")
    if math.isinf(value) or value > hi:
        raise UsageError(f"{option} {shorten(text)!r} is too large: at most {human_count(hi)}")
    if not value >= lo:
        raise UsageError(f"{option} {shorten(text)!r} is too small: at least {human_count(lo)}")
    return value


def human_count(x: float) -> str:
    """7e10 -> '70B', 2e12 -> '2T', 1.5e9 -> '1.5B'."""
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if x >= scale:
            return f"{x / scale:.4g}{suffix}"
    return f"{x:.4g}"


def _unknown_note(df: pd.DataFrame, key: str, needs: list[str]) -> list[str]:
    missing = df[df[key].isna()]
    if missing.empty:
        return []
    lacking = [n for n in needs if missing[n].isna().any()]
    return [f"{len(missing)} chips have unknown results for lack of {' or '.join(lacking)}: "
            + ", ".join(missing["name"].head(8)) + (" ..." if len(missing) > 8 else "")]


@dataclass(frozen=True)
class TrainPlan:
    params: float
    tokens: float
    active_params: float | None = None  # per token, for a mixture-of-experts model
    model: str = ""
    precision: str = "bf16"
    mfu: float = 0.4
    chips: int | None = None
    days: float | None = None
    pue: float = 1.0
    kwh_usd: float | None = None
    rent_usd_hour: float | None = None

    def check(self) -> None:
        check_precision(self.precision)
        check_positive(self.mfu, "--mfu", upper=1.0)
        check_positive(self.pue, "--pue")
        check_positive(self.kwh_usd, "--kwh-price")
        check_positive(self.rent_usd_hour, "--rent")
        check_positive(self.days, "--days")
        if self.days is not None and not 1 / 24 <= self.days <= 36_500:
            raise UsageError(f"--days {self.days:g} is out of range: from one hour (0.042) to 100 years (36500)")
        if self.kwh_usd is not None and self.kwh_usd > 10:
            raise UsageError(f"--kwh-price {self.kwh_usd:g} USD per kWh is out of range: at most 10")
        if self.rent_usd_hour is not None and self.rent_usd_hour > 10_000:
            raise UsageError(f"--rent {self.rent_usd_hour:g} USD per chip-hour is out of range: at most 10000")
        if self.chips is not None and self.chips < 1:
            raise UsageError(f"--chips {self.chips} must be at least 1")
        if self.chips is not None and self.days is not None:
            raise UsageError("give --chips (how long?) or --days (how many chips?), not both")
        if self.pue < 1:
            raise UsageError(f"--pue {self.pue:g} is below 1: PUE is facility power over IT power, at least 1")


def train(ds: Dataset, plan: TrainPlan, chips: list[str], filters: Filters) -> Result:
    """Training compute (6·N·D), chip-hours at the given MFU, wall-clock or chips needed, energy and cost."""
    import numpy as np

    plan.check()
    p = check_precision(plan.precision)
    df = select(ds, chips, filters)
    n_compute = plan.active_params or plan.params
    flops = 6.0 * n_compute * plan.tokens
    peak = df[p.column] * 1e12
    out = df[["name", "vendor"]].copy()
    out["peak_tflops"] = df[p.column]
    out["chip_hours"] = flops / (peak * plan.mfu) / 3600.0
    if plan.chips is not None:
        out["cluster_chips"] = float(plan.chips)
        out["days"] = out["chip_hours"] / plan.chips / 24.0
    elif plan.days is not None:
        out["cluster_chips"] = np.ceil(out["chip_hours"] / (plan.days * 24.0))
        out["days"] = plan.days
    out["energy_mwh"] = out["chip_hours"] * df["tdp_w"] * plan.pue / 1e6
    out["electricity_usd"] = out["energy_mwh"] * 1000.0 * plan.kwh_usd if plan.kwh_usd else float("nan")
    out["price_usd"] = df["price_usd"]
    out["hardware_usd"] = out["cluster_chips"] * df["price_usd"] if "cluster_chips" in out else float("nan")
    out["rental_usd"] = out["chip_hours"] * plan.rent_usd_hour if plan.rent_usd_hour else float("nan")
    sort = "days" if plan.chips is not None else ("cluster_chips" if plan.days is not None else "chip_hours")
    out = out.sort_values([sort, "name"], na_position="last", kind="mergesort")
    # assumptions travel with the data (CSV columns, JSON meta) and under the table
    assumptions = {"flops_formula": "6 * active params * tokens" if plan.active_params else
                   "6 * params * tokens (dense transformer)", "total_flops": flops, "model": plan.model or None,
                   "params": plan.params, "active_params": n_compute, "tokens": plan.tokens, "precision": p.name,
                   "mfu": plan.mfu,
                   "pue": plan.pue, "kwh_usd": plan.kwh_usd, "rent_usd_per_chip_hour": plan.rent_usd_hour}
    for k in ("precision", "mfu", "pue", "flops_formula"):
        out[k] = assumptions[k]
    cols = [Col.of("name"), Col.of("vendor"), Col("peak_tflops", f"{p.label} peak (TFLOPS)", True),
            Col("chip_hours", "Chip-hours", True)]
    if plan.chips is not None:
        cols.append(Col("days", f"Days on {plan.chips:,} chips", True))
    elif plan.days is not None:
        cols.append(Col("cluster_chips", f"Chips for {plan.days:g} days", True, kind="count"))
    cols.append(Col("energy_mwh", "Energy (MWh)", True))
    if plan.kwh_usd:
        cols.append(Col("electricity_usd", "Electricity (USD)", True))
    if "cluster_chips" in out:
        cols.append(Col("hardware_usd", "Hardware (USD)", True))
    if plan.rent_usd_hour:
        cols.append(Col("rental_usd", "Rental (USD)", True))
    footer = [
        (f"Compute: 6 × {human_count(n_compute)} active params (of {human_count(plan.params)}, mixture of experts) × "
         if plan.active_params and plan.active_params < plan.params else
         f"Compute: 6 × {human_count(plan.params)} params × ")
        + f"{human_count(plan.tokens)} tokens = {flops:.3g} FLOPs.",
        f"Assumed: {p.label} dense peak, MFU {plan.mfu:g}, PUE {plan.pue:g}"
        + ("" if plan.pue > 1 else " (chip TDP only: no cooling, hosts or network)")
        + (f", electricity {plan.kwh_usd:g} USD/kWh" if plan.kwh_usd else "")
        + (f", rental {plan.rent_usd_hour:g} USD per chip-hour" if plan.rent_usd_hour else "") + ".",
        "Energy = chip-hours × TDP × PUE; hardware = chips × the data's price (see `chipcmp show` for its kind).",
    ]
    known = out.assign(tdp_w=df["tdp_w"], **{p.column: df[p.column]})
    notes = _unknown_note(known, "chip_hours", [p.column])
    no_tdp = known["chip_hours"].notna() & known["tdp_w"].isna()
    if no_tdp.any():
        notes.append(f"{int(no_tdp.sum())} chips have unknown energy and electricity cost for lack of tdp_w")
    what = plan.model or f"a {human_count(plan.params)}-parameter model"
    title = f"Training {what} on {human_count(plan.tokens)} tokens"
    return Result(out, cols, title=title,
                  messages=notes, notes=footer, assumptions=assumptions)


def _bound(intensity: float | pd.Series, ridge: pd.Series) -> pd.Series:
    """'memory' below the ridge point, 'compute' at or above it, missing where the ridge is unknown."""
    import pandas as pd

    return pd.Series("compute", index=ridge.index).mask(ridge > intensity, "memory").where(ridge.notna())


def roofline(ds: Dataset, intensity: float, precision: str, chips: list[str], filters: Filters,
             top: int | None = None) -> Result:
    """Chips ranked by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""
    import numpy as np

    check_positive(intensity, "--intensity")
    p = check_precision(precision)
    df = select(ds, chips, filters)
    out = df[["name", "vendor", p.column, "memory_bw_tbs"]].copy()
    out["ridge_point"] = df[p.column] / df["memory_bw_tbs"]
    out["attainable_tflops"] = np.minimum(df[p.column], df["memory_bw_tbs"] * intensity)
    out["bound"] = _bound(intensity, out["ridge_point"])
    out = out.sort_values(["attainable_tflops", "name"], ascending=[False, True], na_position="last",
                          kind="mergesort")
    notes = _unknown_note(out, "attainable_tflops", [p.column, "memory_bw_tbs"])
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
