"""`list`, `export` and `metrics`: the chips with their key figures, everything with every metric, and the
registry of columns and metrics itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import columns_for, parse_fields, plural, with_metrics
from chipcmp.core.filters import Filters, apply_filters
from chipcmp.core.result import Col, Result
from chipcmp.core.support import mark_unsupported, unsupported_masks
from chipcmp.data import schema

if TYPE_CHECKING:

    from chipcmp.data.dataset import Dataset


# Identity, then the figures people compare, then context: a narrow terminal hides from the right.
LIST_COLUMNS = (
    "name", "vendor", "bf16_tflops", "fp8_tflops", "int8_tops", "price_usd", "memory_gb", "memory_bw_tbs", "tdp_w",
    "interconnect_gbs", "form_factor", "release_year",
)


def list_chips(ds: Dataset, filters: Filters, columns: str | None = None) -> Result:
    """Chips as rows with key columns (or the given ones)."""
    names = parse_fields(columns, LIST_COLUMNS)
    if "name" not in names:
        names.insert(0, "name")
    df = with_metrics(apply_filters(ds.frame, filters), names)
    title = plural(len(df), "chip") + (f" ({filters.describe()})" if filters.describe() else "")
    return Result(mark_unsupported(ds, df[names], names), columns_for(names), title=title)


def export(ds: Dataset, filters: Filters) -> Result:
    """The filtered data with every column, every derived metric, its sources and the dataset version."""
    df = apply_filters(ds.frame, filters)
    # One new frame, built once: on a million rows every extra copy costs hundreds of MB.
    out = with_metrics(df[[c.name for c in schema.COLUMNS]])
    metrics = [m.name for m in schema.METRICS]
    # n/a cells travel as masks, applied as each part is written: object columns of a million cells cost GBs.
    unsupported = unsupported_masks(ds, out, [*schema.THROUGHPUT_COLUMNS, *metrics])
    out["dataset_version"] = ds.version
    names = [*(c.name for c in schema.COLUMNS), *metrics]
    cols = [*columns_for(names, keep="name"), Col("dataset_version", "Dataset version")]
    if ds.overridden:
        by_row: dict[str, list[str]] = {}
        for (lbl, c), src in ds.overridden.items():
            by_row.setdefault(lbl, []).append(f"added from {src}" if c == "*" else f"{c}<-{src}")
        out["overridden"] = ["; ".join(by_row.get(str(i), [])) for i in out.index]
        cols.append(Col("overridden", "Overridden"))
    return Result(out, cols, title=plural(len(out), "chip"), unsupported=unsupported)


def metrics_table() -> Result:
    """Every column and derived metric: unit, formula or meaning, and which direction is better."""
    import pandas as pd

    rows = []
    for name, f in schema.FIELD_BY_NAME.items():
        better = f.higher_is_better
        rows.append({"name": name, "type": "metric" if name in schema.METRIC_BY_NAME else "column",
                     "unit": f.unit, "better": "" if better is None else ("higher" if better else "lower"),
                     "description": f.description})
    cols = [Col("name", "Name"), Col("type", "Type"), Col("unit", "Unit"), Col("better", "Better"),
            Col("description", "Formula / meaning")]
    return Result(pd.DataFrame(rows), cols, title="Columns and derived metrics")
