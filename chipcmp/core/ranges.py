"""Value ranges where sources disagree, and the rank ranges they imply (O(n log n), by sorting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
    spans = source_spans(ds, df) if spans is None else spans
    return None if spans is None else _Ranges(ds, df, spans).of(name)


class _Ranges:
    """The value ranges of a table's fields: what every field needs of the table (its chips, which of their
    cells a user's file set, the columns as arrays) read once, so that compare's thirty fields cost little more
    than one."""

    def __init__(self, ds: Dataset, df: pd.DataFrame, spans: dict[tuple[str, str], tuple[float, float]]) -> None:
        self.ds, self.df, self.spans = ds, df, spans
        self.chips = [str(c) for c in df["name"]]
        self.own = [not ds.origin(label, "*") for label in df.index]  # rows no user file replaced whole
        self.labels = list(df.index)
        self.arrays: dict[str, Any] = {}

    def _array(self, column: str) -> Any:
        if column not in self.arrays:
            self.arrays[column] = self.df[column].to_numpy(dtype="float64")
        return self.arrays[column]

    def of(self, name: str) -> tuple[pd.Series, pd.Series] | None:
        import itertools

        import numpy as np
        import pandas as pd

        f = schema.FIELD_BY_NAME[name]
        inputs = list(f.inputs) if isinstance(f, schema.Metric) else [name]
        spans, chips = self.spans, self.chips
        if not any((chip, c) in spans for chip in chips for c in inputs):
            return None  # the common case, decided without touching pandas
        cols = [c for c in inputs if c in self.df.columns]
        lo = {c: self._array(c).copy() for c in cols}
        hi = {c: self._array(c).copy() for c in cols}
        found = False
        for pos, chip in enumerate(chips):
            if not self.own[pos]:
                continue
            for c in cols:
                span = spans.get((chip, c))
                if span and not np.isnan(lo[c][pos]) and not self.ds.origin(self.labels[pos], c):
                    lo[c][pos], hi[c][pos] = span
                    found = True
        if not found:
            return None
        index = self.df.index
        if not isinstance(f, schema.Metric):
            return pd.Series(lo[name], index=index), pd.Series(hi[name], index=index)
        # Every corner of the inputs' ranges in one frame (corners stacked row-wise): the metric computed once.
        n = len(chips)
        corners = list(itertools.product((0, 1), repeat=len(cols))) if len(cols) <= 3 else [(0,) * len(cols),
                                                                                           (1,) * len(cols)]
        stacked = pd.DataFrame({c: np.concatenate([(lo if corner[i] == 0 else hi)[c] for corner in corners])
                                for i, c in enumerate(cols)})
        values = f.compute(stacked).to_numpy(dtype="float64").reshape(len(corners), n)
        values = np.where(np.isinf(values), np.nan, values)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a chip whose metric is unknown at every corner
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        return pd.Series(low, index=index), pd.Series(high, index=index)


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
    import math

    ranged: set[tuple[int, str]] = set()
    words: list[str] = []
    known = source_spans(ds, df)
    if known is None:
        return ranged, words
    table = _Ranges(ds, df, known)
    for i, n in enumerate(names):
        spans = table.of(n) if schema.FIELD_BY_NAME[n].numeric else None
        if spans is None:
            continue
        low, high = spans[0].to_dict(), spans[1].to_dict()
        for lbl, (key, chip) in columns.items():
            lo, hi = low.get(lbl), high.get(lbl)
            if lo is not None and hi is not None and not math.isnan(lo) and not math.isnan(hi) and hi > lo:
                ranged.add((i, key))
                if n in schema.COLUMN_BY_NAME:
                    words.append(f"{schema.FIELD_BY_NAME[n].label} {chip} {_g(lo)}–{_g(hi)}")
    return ranged, words


def _g(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"
