"""One chip in full: every field with its unit, where each figure comes from, its derived metrics and notes; and
`--sources`, every source behind every figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import is_unknown, split_list, text_of, with_metrics
from chipcmp.core.result import Col, Result
from chipcmp.core.support import unsupported_mask
from chipcmp.data import schema
from chipcmp.data.names import resolve
from chipcmp.data.schema import NOT_SUPPORTED
from chipcmp.errors import EmptyResult

if TYPE_CHECKING:

    from chipcmp.data.dataset import Dataset


def _figure_facts(ds: Dataset, label: object, name: str) -> dict[str, tuple[str, str]]:
    """field -> (where the figure comes from, the other values sources give), for the chip's stored figures."""
    from chipcmp.data import provenance

    if ds.sources[0].label != "bundled" or ds.origin(label, "*"):
        return {}
    facts: dict[str, tuple[str, str]] = {}
    by_field: dict[str, list[dict[str, str]]] = {}
    for r in provenance.figure_rows(name):
        by_field.setdefault(r["field"], []).append(r)
    for field, rows in by_field.items():
        chosen = [r for r in rows if r.get("role") == "chosen"]
        kinds = sorted({r.get("source_kind", "") for r in chosen})
        others = sorted({_tidy(r["value"]) for r in rows if r.get("role") == "alternative"}, key=lambda v: (len(v), v))
        facts[field] = (f"{provenance.figure_confidence(chosen)} ({', '.join(kinds)})" if chosen else "",
                        ", ".join(others))
    return facts


def _source_of(name: str, value: object, override: str | None,
               facts: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """What `show` says a figure comes from, and the other values sources give."""
    source, others = facts.get(name, ("", ""))
    if name in schema.METRIC_BY_NAME:
        return "derived", ""
    if override:
        return override, others
    derived = schema.COLUMN_BY_NAME[name].derived_from
    if not source and not is_unknown(value) and derived:
        return f"{derived}.csv", others
    return source, others


def show_chip(ds: Dataset, query: str) -> Result:
    """Every field of one chip with its unit, where it comes from, and the other values sources give; then its
    derived metrics."""
    import pandas as pd

    (label,) = resolve(ds.frame, [query])
    row = with_metrics(ds.frame.loc[[label]]).iloc[0]
    facts = _figure_facts(ds, label, str(row["name"]))
    rows = []
    unknown_metrics = 0
    one = ds.frame.loc[[label]]
    for name, f in schema.FIELD_BY_NAME.items():
        if name in ("name", "sources", "notes", "price_source"):
            continue
        is_metric = name in schema.METRIC_BY_NAME
        value: object = row[name]
        if pd.isna(value) and bool(unsupported_mask(ds, one, name).iloc[0]):
            value = NOT_SUPPORTED
        elif is_metric and pd.isna(value):
            unknown_metrics += 1  # every column is listed, known or not; a metric only when it can be computed
            continue
        override = ds.origin(label, name) if not is_metric and not is_unknown(value) else None
        source, others = _source_of(name, value, override, facts)
        rows.append({"field": name, "label": f.label, "value": value, "unit": f.unit,
                     "kind": "metric" if is_metric else "column", "overridden_by": override or "",
                     "source": source, "other_values": others})
    frame = pd.DataFrame(rows)
    cols = [Col("label", "Field", keep=True), Col("value", "Value", numeric=True, kind="row", keep=True),
            Col("unit", "Unit"), Col("source", "Source"), Col("other_values", "Other sources say")]
    if ds.overridden:
        cols.append(Col("overridden_by", "From"))
    notes = [f"Sources: {' '.join(split_list(row['sources']))}",
             f"`chipcmp show {query!r} --sources` lists every figure with its source and where in it the figure "
             "stands."]
    if text_of(row.get("status")) == "announced":
        notes.insert(0, "Announced, not shipping: its figures are the vendor's preliminary ones.")
    if unknown_metrics:
        notes.append(f"{unknown_metrics} derived metrics are unknown for lack of inputs "
                     "(`chipcmp metrics` lists them)")
    if pd.notna(row["price_source"]):
        notes.append(f"Price source: {row['price_source']}")
    if pd.notna(row["notes"]):
        notes.append(f"Notes: {row['notes']}")
    known = [c for c in schema.NUMERIC_COLUMNS if pd.notna(row[c])]
    if not known:
        notes.append("No figure of this chip has been published by a source chipcmp accepts; it is listed so "
                     "that its absence is visible.")
    info = {"chip": row["name"], "vendor": row["vendor"], "confidence": text_of(row["confidence"]),
            "sources": split_list(row["sources"]), "notes": text_of(row["notes"]),
            "price_source": text_of(row["price_source"])}
    title = f"{row['vendor']} {row['name']} (confidence: {text_of(row['confidence']) or 'unknown'})"
    kinds = [schema.FIELD_BY_NAME[n].kind for n in frame["field"]]
    return Result(frame, cols, title=title, notes=notes, assumptions=info, row_kinds=kinds)


def figure_sources(ds: Dataset, query: str) -> Result:
    """Every figure of one chip with each source that gives it: the chosen value's sources first, then the other
    values sources give (alternative), older figures the vendor replaced (superseded) and sources not accepted
    (rejected)."""
    import pandas as pd

    from chipcmp.data import provenance

    (label,) = resolve(ds.frame, [query])
    name = str(ds.frame.at[label, "name"])
    order = {r: i for i, r in enumerate(schema.SOURCE_ROLES)}
    fields = list(schema.COLUMN_BY_NAME)
    bundled = ds.sources[0].label == "bundled" and not ds.origin(label, "*")
    # The bundled provenance describes the bundled figures only: a figure from the user's file says so instead.
    rows = [_user_row(ds, label, r) for r in provenance.figure_rows(name)] if bundled else []
    rows += _user_rows(ds, label, {r["field"] for r in rows}, bundled)
    rows = sorted(rows, key=lambda r: (fields.index(r["field"]) if r["field"] in fields else 999,
                                       order.get(r.get("role", ""), 9)))
    if not rows:
        raise EmptyResult(f"{name!r} has no per-figure sources; its row lists: "
                          f"{' '.join(split_list(ds.frame.at[label, 'sources'])) or 'none'}")
    frame = pd.DataFrame([{"field": r["field"], "value": r["value"], "role": r.get("role", ""),
                           "kind": r.get("source_kind", ""), "source": r.get("source_url", ""),
                           "locator": r.get("locator", ""), "read": r.get("read_date", ""),
                           "note": r.get("note", "")} for r in rows])
    cols = [Col("field", "Field", keep=True), Col("value", "Value", numeric=True, keep=True), Col("role", "Role"),
            Col("kind", "Kind"), Col("source", "Source", keep=True, whole=True), Col("locator", "Where in it"),
            Col("note", "Note")]
    notes = ["chosen: the value the tool uses; alternative: another value an acceptable source gives (it makes a "
             "range); superseded: an older figure the vendor replaced; discounted: a reading that does not apply "
             "(another variant, a rounding, an unclear basis); rejected: a source chipcmp does not accept (mirror, "
             "content farm, wiki), kept for the record."]
    return Result(frame, cols, title=f"Sources of {name}'s figures", notes=notes,
                  assumptions={"chip": name, "confidence": provenance.row_confidence(name)})


def _user_row(ds: Dataset, label: object, r: dict[str, str]) -> dict[str, str]:
    """A bundled source row, demoted when the user's file replaced the figure it gives."""
    origin = ds.origin(label, r["field"])
    if origin and r.get("role") == "chosen":
        return {**r, "role": "superseded", "note": f"the bundled figure; this run uses {origin}'s. {r.get('note', '')}"}
    return r


def _user_rows(ds: Dataset, label: object, seen: set[str], bundled: bool) -> list[dict[str, str]]:
    """One row per figure that came from the user's file (--add, --price, or --data): the value the tool uses."""
    out = []
    for column in schema.COLUMNS:
        value = ds.frame.at[label, column.name]
        origin = ds.origin(label, column.name) or (None if bundled else ds.sources[0].label)
        if origin is None or is_unknown(value) or column.name in ("name", "sources", "notes", "aliases"):
            continue
        if not column.numeric and column.name not in ("vendor", "form_factor", "memory_type", "process_node"):
            continue
        out.append({"field": column.name, "value": str(value), "role": "chosen", "source_kind": "user",
                    "source_url": origin, "locator": "", "note": "from the user's file, not the bundled data"})
    return out


def _tidy(text: str) -> str:
    try:
        return f"{float(text):g}"
    except ValueError:
        return text
