"""Chips ranked by a column, metric or expression, best first, with the rank range where sources disagree and
what was left out and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import check_field, check_top, columns_for, field_values, parse_fields, with_metrics
from chipcmp.core.filters import Filters, apply_filters
from chipcmp.core.ranges import rank_ranges, value_ranges
from chipcmp.core.result import Col, Result
from chipcmp.core.support import mark_unsupported, unsupported_mask
from chipcmp.data import schema
from chipcmp.errors import EmptyResult, UnknownMetric

if TYPE_CHECKING:

    from chipcmp.data.dataset import Dataset


def rank(  # noqa: PLR0915 -- one pass: values, what was left out and why, order, columns
    ds: Dataset, metric: str, filters: Filters, top: int | None = None, ascending: bool | None = None,
    columns: str | None = None,
) -> Result:
    """Chips sorted best-first by `metric` (its own direction unless `ascending` says otherwise).

    `metric` is a column, a registry metric, or an expression of them (`chipcmp.expr`); an expression ranks
    higher-first unless --asc.
    """
    import numpy as np

    from chipcmp.core import expr

    check_top(top)
    extra = parse_fields(columns, []) if columns else []
    df = apply_filters(ds.frame, filters)
    if expr.is_expression(metric):
        e = expr.parse(metric)
        values = e.compute(df)
        values = values.replace([np.inf, -np.inf], np.nan) if hasattr(values, "replace") else values
        if not hasattr(values, "isna"):
            raise UnknownMetric(f"--metric {metric!r} names no field, so every chip gets the same value")
        inputs: tuple[str, ...] = e.fields
        key, higher, unit, label = "value", True, e.unit, e.text
        shown = list(e.fields) if len(e.fields) <= 3 else []
    else:
        f = check_field(metric)
        values = field_values(df, metric)
        inputs = f.inputs if isinstance(f, schema.Metric) else (metric,)
        key, higher, unit, label = metric, f.higher_is_better is not False, f.unit, f.label
        shown = list(f.inputs) if isinstance(f, schema.Metric) and len(f.inputs) <= 3 else []
    unknown = values.isna()
    messages = []
    if unknown.any():
        unsupported = unknown & unsupported_mask(ds, df, inputs[0] if key == "value" else metric)
        n_unsup = int(unsupported.sum())
        lacking = [f"{i}: {int(df.loc[unknown & ~unsupported, i].isna().sum())}" for i in inputs
                   if i in df.columns and df.loc[unknown & ~unsupported, i].isna().any()]
        why = f" (unknown {', '.join(lacking)})" if lacking and len(inputs) <= 3 else ""
        parts = []
        if int(unknown.sum()) - n_unsup:
            parts.append(f"{int(unknown.sum()) - n_unsup:,} with unknown {metric}{why}")
        if n_unsup:
            parts.append(f"{n_unsup:,} that do not support it ({inputs[0]} n/a)")
        messages.append(f"left out {int(unknown.sum()):,} of {len(df):,} chips: " + "; ".join(parts))
    if unknown.all():
        raise EmptyResult(f"no chip has a known {metric}; " + (messages[0] if messages else "check the filters"))
    asc = (not higher) if ascending is None else ascending
    # A stable sort of one float column: ties keep the data's order, and a million rows sort in milliseconds.
    order = values[~unknown].sort_values(ascending=asc, kind="stable")
    if top is not None:
        order = order.head(top)
    names = ["name", "vendor", *([] if key == "value" else [metric])]
    names += [i for i in [*shown, *extra] if i not in names]
    picked = with_metrics(df.loc[order.index], names)
    out = picked[names].copy()
    cols = [Col("rank", "#", numeric=True, kind="int", keep=True), *columns_for(names[:2], keep="name")]
    if key == "value":
        out.insert(2, "value", order.to_numpy())
        cols.append(Col("value", f"{label} ({unit})" if unit and unit != "1" else label, numeric=True, bar=True,
                        keep=True, unit=unit if unit != "1" else ""))
    else:
        cols.append(Col.of(metric, bar=True, keep=True))
    cols += columns_for(names[3:] if key != "value" else names[2:])
    out = mark_unsupported(ds, out, names[3:])
    out.insert(0, "rank", range(1, len(out) + 1))
    # Where sources disagree, the best and worst rank a chip could take: always a column of the data (so that CSV
    # and JSON keep one shape), shown in the table only when some rank is not robust.
    spans = value_ranges(ds, df.loc[values[~unknown].index], metric) if key != "value" else None
    known = values[~unknown]
    ranked = rank_ranges(known, spans[0], spans[1], asc) if spans is not None else None
    out["rank_range"] = (ranked.reindex(out.index).to_numpy() if ranked is not None
                         else [str(i) for i in range(1, len(out) + 1)])
    if ranked is not None and out["rank_range"].str.contains("–").any():
        cols.append(Col("rank_range", "Rank range", keep=True))
        messages.append("rank range: where sources disagree on a figure, the best and worst rank it could take "
                        "(`chipcmp show CHIP --sources` gives the values)")
    direction = "ascending" if asc else "descending"
    title = f"Chips by {metric} ({direction})" + (f", {filters.describe()}" if filters.describe() else "")
    return Result(out, cols, title=title, messages=messages,
                  assumptions={"metric": metric, "order": direction, "unit": unit})
