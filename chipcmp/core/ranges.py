"""Value ranges where sources disagree, and the rank ranges they imply (O(n log n), by sorting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chipcmp.data import schema

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def source_spans(ds: Dataset, df: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float]] | None:
    """(chip, column) -> (low, high) where acceptable sources or market prices disagree; None off the bundled
    data (a user's file has no sources to disagree). Computed once per table, for all its fields."""
    from chipcmp.data import provenance

    if ds.sources[0].label != "bundled":
        return None
    return _with_prices(provenance.ranges(), df)


def value_ranges(ds: Dataset, df: pd.DataFrame, name: str,
                 spans: dict[tuple[str, str], tuple[float, float]] | None = None) -> tuple[pd.Series, pd.Series] | None:
    """The low and high ends of `name` per chip where acceptable sources disagree (a metric: evaluated at its
    inputs' ends), or None when no chip in `df` has a range. `spans`: source_spans(ds, df), when already known."""
    import itertools

    import numpy as np
    import pandas as pd

    spans = source_spans(ds, df) if spans is None else spans
    if spans is None:
        return None
    f = schema.FIELD_BY_NAME[name]
    inputs = list(f.inputs) if isinstance(f, schema.Metric) else [name]
    chips = set(df["name"])
    if not any((chip, c) in spans for chip in chips for c in inputs):
        return None  # the common case, decided without touching pandas
    cols = [c for c in inputs if c in df.columns]
    n = len(df)
    lo = {c: df[c].to_numpy(dtype="float64", copy=True) for c in cols}
    hi = {c: df[c].to_numpy(dtype="float64", copy=True) for c in cols}
    found = False
    for pos, (label, chip) in enumerate(zip(df.index, df["name"], strict=True)):
        if ds.origin(label, "*"):
            continue
        for c in cols:
            span = spans.get((chip, c))
            if span and not np.isnan(lo[c][pos]) and not ds.origin(label, c):
                lo[c][pos], hi[c][pos] = span
                found = True
    if not found:
        return None
    if not isinstance(f, schema.Metric):
        return pd.Series(lo[name], index=df.index), pd.Series(hi[name], index=df.index)
    # Every corner of the inputs' ranges in one frame (corners stacked row-wise), so the metric is computed once.
    corners = list(itertools.product((0, 1), repeat=len(cols))) if len(cols) <= 3 else [(0,) * len(cols),
                                                                                       (1,) * len(cols)]
    stacked = pd.DataFrame({c: np.concatenate([(lo if corner[i] == 0 else hi)[c] for corner in corners])
                            for i, c in enumerate(cols)})
    values = f.compute(stacked).replace([np.inf, -np.inf], np.nan).to_numpy(dtype="float64").reshape(len(corners), n)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a chip whose metric is unknown at every corner
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    return pd.Series(low, index=df.index), pd.Series(high, index=df.index)


def _with_prices(spans: dict[tuple[str, str], tuple[float, float]], df: pd.DataFrame
                 ) -> dict[tuple[str, str], tuple[float, float]]:
    """The source ranges, and the price ranges where market prices disagree (so every per-dollar figure carries
    its price's range)."""
    if "price_usd_low" not in df.columns:
        return spans
    lo, hi = df["price_usd_low"], df["price_usd_high"]
    differ = (hi > lo * 1.001).fillna(False)
    if not differ.any():
        return spans
    out = dict(spans)
    for name, a, b in zip(df.loc[differ, "name"], lo[differ], hi[differ], strict=True):
        out[(str(name), "price_usd")] = (float(a), float(b))
    return out


def rank_ranges(values: pd.Series, lo: pd.Series, hi: pd.Series, ascending: bool) -> pd.Series:
    """'3–5' where a chip's rank depends on which source is right (its best rank at its good end against every
    other chip at its bad end, and the reverse), or its one rank."""
    import numpy as np
    import pandas as pd

    good, bad = (lo, hi) if ascending else (hi, lo)
    sign = 1 if ascending else -1
    g, b = (sign * good.to_numpy(dtype=float)), (sign * bad.to_numpy(dtype=float))
    # By sorting, not an n × n comparison: O(n log n) time and O(n) memory for a million rows.
    best = 1 + np.searchsorted(np.sort(b), g, side="left") - (b < g)  # others beating my best even at their worst
    worst = 1 + np.searchsorted(np.sort(g), b, side="left") - (g < b)
    out = [f"{x}–{y}" if x != y else f"{x}" for x, y in zip(best, worst, strict=True)]
    return pd.Series(out, index=values.index)


def range_marks(ds: Dataset, df: pd.DataFrame, names: Sequence[str],
                 columns: dict[object, tuple[str, str]]) -> tuple[set[tuple[int, str]], list[str]]:
    """The (row, column key) cells of compare whose figure has a range, and the ranges in words."""
    import pandas as pd

    ranged: set[tuple[int, str]] = set()
    words: list[str] = []
    known = source_spans(ds, df)
    if known is None:
        return ranged, words
    for i, n in enumerate(names):
        spans = value_ranges(ds, df, n, known) if schema.FIELD_BY_NAME[n].numeric else None
        if spans is None:
            continue
        for lbl, (key, chip) in columns.items():
            lo, hi = spans[0].get(lbl), spans[1].get(lbl)
            if lo is not None and hi is not None and pd.notna(lo) and pd.notna(hi) and hi > lo:
                ranged.add((i, key))
                if n in schema.COLUMN_BY_NAME:
                    words.append(f"{schema.FIELD_BY_NAME[n].label} {chip} {_g(lo)}–{_g(hi)}")
    return ranged, words


def _g(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"
