"""Rows of a table (chips or systems) ranked by a column, metric or expression, best first, with the rank range
where sources disagree and what was left out and why. One implementation for both tables: `ranking` orders any
frame by its registry; `rank` adds what only chips have (expressions, n/a, source ranges)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import check_field, check_top, columns_for, field_values, parse_fields, with_metrics
from chipcmp.core.filters import Filters, apply_filters
from chipcmp.core.ranges import rank_ranges, source_spans, value_ranges
from chipcmp.core.result import Col, Result
from chipcmp.core.support import mark_unsupported, unsupported_mask
from chipcmp.data import schema
from chipcmp.data.registry import CHIPS, Registry
from chipcmp.errors import EmptyResult, UnknownMetric

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


class Ranking:
    """A metric's values over a frame and the order they give: what `rank` and `systems --metric` share. (A
    plain class: a dataclass's generated methods cost ~1 ms at every start of the tool.)"""

    def __init__(self, metric: str, values: pd.Series, key: str, higher: bool, unit: str, label: str,
                 inputs: tuple[str, ...], shown: list[str]) -> None:
        self.metric = metric
        self.values = values
        self.key = key  # the output column of the values: the metric's name, or "value" for an expression
        self.higher = higher
        self.unit = unit
        self.label = label
        self.inputs = inputs  # the fields the metric is computed from
        self.shown = shown  # its inputs worth showing beside it (three at most)
        self.ascending = False
        self.order: pd.Series | None = None
        self.messages: list[str] = []


def measure(df: pd.DataFrame, metric: str, registry: Registry = CHIPS) -> Ranking:
    """The metric's values: a field of the registry, or (chips only) an expression of fields."""
    if registry is CHIPS and metric not in registry.by_name:
        from chipcmp.core import expr  # only a name that is no field may be an expression: the grammar waits

        if expr.is_expression(metric):
            import numpy as np

            e = expr.parse(metric)
            values = e.compute(df)
            if not hasattr(values, "isna"):
                raise UnknownMetric(f"--metric {metric!r} names no field, so every chip gets the same value")
            values = values.replace([np.inf, -np.inf], np.nan)
            return Ranking(metric, values, "value", True, e.unit, e.text, e.fields,
                           list(e.fields) if len(e.fields) <= 3 else [])
    f = check_field(metric, registry=registry)
    inputs = f.inputs if isinstance(f, schema.Metric) else (metric,)
    shown = [i for i in inputs if i in registry.by_name] if isinstance(f, schema.Metric) and len(inputs) <= 3 else []
    return Ranking(metric, field_values(df, metric, registry), metric, f.higher_is_better is not False, f.unit,
                   f.label, inputs, shown)


def order(r: Ranking, top: int | None, ascending: bool | None, what: str = "chip",
          unsupported: pd.Series | None = None) -> Ranking:
    """Sort the known values best first (the metric's own direction unless `ascending` says otherwise), and say
    how many rows were left out and why."""
    unknown = r.values.isna()
    if unknown.any():
        r.messages.append(_left_out(r, unknown, what, unsupported))
    if unknown.all():
        raise EmptyResult(f"no {what} has a known {r.metric}; " + (r.messages[0] if r.messages else
                                                                  "check the filters"))
    r.ascending = (not r.higher) if ascending is None else ascending
    # A stable sort of one float column: ties keep the data's order.
    known = r.values[~unknown]
    if top is not None and len(known) > 8 * top:
        # Only the values as good as the top-th can be shown (ties with it included, in the data's order, so the
        # stable sort of these gives what a sort of all would): one O(n) partition instead of sorting a million.
        import numpy as np

        key = known.to_numpy(dtype="float64")
        key = key if r.ascending else -key
        known = known[key <= np.partition(key, top - 1)[top - 1]]
    ordered = known.sort_values(ascending=r.ascending, kind="stable")
    r.order = ordered.head(top) if top is not None else ordered
    return r


def _left_out(r: Ranking, unknown: pd.Series, what: str, unsupported: pd.Series | None) -> str:
    total = len(r.values)
    unsup = unknown & unsupported if unsupported is not None else unknown & False
    n_unsup = int(unsup.sum())
    rest = unknown & ~unsup
    parts = []
    if int(rest.sum()):
        parts.append(f"{int(rest.sum()):,} with unknown {r.metric}")
    if n_unsup:
        parts.append(f"{n_unsup:,} that do not support it ({r.inputs[0]} n/a)")
    return f"left out {int(unknown.sum()):,} of {total:,} {what}s: " + "; ".join(parts)


def rank(ds: Dataset, metric: str, filters: Filters, top: int | None = None, ascending: bool | None = None,
         columns: str | None = None) -> Result:
    """Chips sorted best-first by `metric` (its own direction unless `ascending` says otherwise).

    `metric` is a column, a registry metric, or an expression of them (`chipcmp.core.expr`); an expression ranks
    higher-first unless --asc.
    """
    check_top(top)
    extra = parse_fields(columns, []) if columns else []
    df = apply_filters(ds.frame, filters)
    r = measure(df, metric)
    unsupported = unsupported_mask(ds, df, r.inputs[0] if r.key == "value" else metric)
    order(r, top, ascending, "chip", unsupported)
    r.messages[:] = [_why_unknown(m, r, df, unsupported) for m in r.messages]
    assert r.order is not None
    names = ["name", "vendor", *([] if r.key == "value" else [metric])]
    priced = "price_usd" in r.inputs  # a per-dollar ranking says what kind of price each chip's is
    names += [i for i in dict.fromkeys([*r.shown, *(("price_kind", "price_date") if priced else ()), *extra])
              if i not in names]
    out = with_metrics(df.loc[r.order.index], names)[names].copy()
    if priced:
        r.messages += _stand_ins(out)
    cols = [Col("rank", "#", numeric=True, kind="int", keep=True), *columns_for(names[:2], keep="name")]
    if r.key == "value":
        out.insert(2, "value", r.order.to_numpy())
        cols.append(Col("value", f"{r.label} ({r.unit})" if r.unit and r.unit != "1" else r.label, numeric=True,
                        bar=True, keep=True, unit=r.unit if r.unit != "1" else ""))
    else:
        cols.append(Col.of(metric, bar=True, keep=True))
    cols += columns_for(names[3:] if r.key != "value" else names[2:])
    out = mark_unsupported(ds, out, names[3:])
    out.insert(0, "rank", range(1, len(out) + 1))
    if _rank_range(ds, df, r, out):
        cols.append(Col("rank_range", "Rank range", keep=True))
        r.messages.append("rank range: where sources disagree on a figure, the best and worst rank it could take "
                          "(`chipcmp show CHIP --sources` gives the values)")
    direction = "ascending" if r.ascending else "descending"
    title = f"Chips by {metric} ({direction})" + (f", {filters.describe()}" if filters.describe() else "")
    return Result(out, cols, title=title, messages=r.messages,
                  assumptions={"metric": metric, "order": direction, "unit": r.unit})


def _stand_ins(out: pd.DataFrame) -> list[str]:
    """A message naming the ranked chips whose price is not a market price of the chip itself."""
    from chipcmp.data.prices import STAND_INS

    kinds = out["price_kind"].astype(str)
    return [f"price of {', '.join(out.loc[kinds.eq(k), 'name'].astype(str))}: {text}"
            for k, text in STAND_INS.items() if kinds.eq(k).any()]


def _why_unknown(message: str, r: Ranking, df: pd.DataFrame, unsupported: pd.Series) -> str:
    """The left-out message with which inputs are unknown, when the metric has few."""
    unknown = r.values.isna() & ~unsupported
    lacking = [f"{i}: {int(df.loc[unknown, i].isna().sum())}" for i in r.inputs
               if i in df.columns and df.loc[unknown, i].isna().any()]
    if not lacking or len(r.inputs) > 3:
        return message
    return message.replace(f"unknown {r.metric}", f"unknown {r.metric} (unknown {', '.join(lacking)})", 1)


def _rank_range(ds: Dataset, df: pd.DataFrame, r: Ranking, out: pd.DataFrame) -> bool:
    """Where sources disagree, the best and worst rank a chip could take: always a column of the data (so that
    CSV and JSON keep one shape); True when some rank is not robust, so the table shows it."""
    known = r.values[r.values.notna()]
    sources = source_spans(ds, df) if r.key != "value" else None  # None for a user's file: no copy of its rows
    spans = value_ranges(ds, df.loc[known.index], r.metric, sources) if sources is not None else None
    ranked = rank_ranges(known, spans[0], spans[1], r.ascending) if spans is not None else None
    out["rank_range"] = (ranked.reindex(out.index).to_numpy() if ranked is not None
                         else [str(i) for i in range(1, len(out) + 1)])
    return ranked is not None and bool(out["rank_range"].str.contains("–").any())
