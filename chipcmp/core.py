"""The core: pure pandas over the loaded chips. Filters, name resolution, metrics, list/show/compare/rank/export.

Nothing here prints or exits: functions return frames or a `Result` and raise the domain errors of
`chipcmp.errors`; the CLI decides how to show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp import schema, where
from chipcmp.errors import EmptyResult, UnknownMetric, UsageError
from chipcmp.names import fold, fold_series, resolve, suggest
from chipcmp.result import BETTER, WORSE, Col, Result
from chipcmp.schema import NOT_SUPPORTED

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

LIST_COLUMNS = (
    "name", "vendor", "form_factor", "release_year", "memory_gb", "memory_bw_tbs", "interconnect_gbs", "tdp_w",
    "bf16_tflops", "fp8_tflops", "int8_tops", "price_usd",
)
# Rows of `compare` besides the metrics flagged `default` in the registry.
COMPARE_COLUMNS = (
    "vendor", "vendor_country", "kind", "form_factor", "release_year", "process_node", "compute_dies",
    "die_area_mm2", "memory_gb", "memory_type", "memory_bw_tbs", "interconnect_gbs", "tdp_w",
    *schema.THROUGHPUT_COLUMNS, "price_usd", "price_kind", "confidence",
)


# --- metrics -------------------------------------------------------------------------------------------------


def field_names(kind: str = "all") -> list[str]:
    """Names of columns and/or metrics, for completion and error messages."""
    if kind == "metric":
        return list(schema.METRIC_BY_NAME)
    if kind == "numeric":
        return list(schema.NUMERIC_FIELDS)
    return list(schema.FIELD_BY_NAME)


def check_field(name: str, *, numeric: bool = True) -> schema.Field:
    """The registry entry for `name`, or UnknownMetric listing what is valid."""
    f = schema.FIELD_BY_NAME.get(name)
    if f is None or (numeric and not f.numeric):
        choices = field_names("numeric" if numeric else "all")
        raise UnknownMetric(f"unknown metric {name!r}{suggest(name, choices)}"
                            "\n(`chipcmp metrics` lists and explains every one)")
    return f


def check_precision(name: str) -> schema.Precision:
    """The registry's precision called `name`, or a usage error listing them."""
    p = schema.PRECISION_BY_NAME.get(name.lower())
    if p is None:
        raise UsageError(f"--precision {name!r} is not one of {', '.join(schema.PRECISION_BY_NAME)}")
    return p


def check_positive(value: float | None, option: str, *, upper: float | None = None) -> None:
    """A usage error unless `value` (when given) is a finite number above 0 (and at most `upper`)."""
    import math

    if value is None:
        return
    if not value > 0 or math.isinf(value) or (upper is not None and value > upper):
        bound = f" and at most {upper:g}" if upper is not None else ""
        raise UsageError(f"{option} {value:g} is out of range: it must be a positive number{bound}")


def check_top(top: int | None) -> None:
    if top is not None and top < 1:
        raise UsageError(f"--top {top}: give a positive number of chips")


def with_metrics(df: pd.DataFrame, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Add derived metrics (all, or those named) as columns, computed vectorised; columns are left alone."""
    wanted = schema.METRICS if names is None else [schema.METRIC_BY_NAME[n] for n in names
                                                   if n in schema.METRIC_BY_NAME]
    new = {m.name: m.compute(df) for m in wanted if m.name not in df.columns}
    if not new:
        return df
    import numpy as np
    import pandas as pd

    out = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)
    cols = list(new)
    out[cols] = out[cols].replace([np.inf, -np.inf], np.nan)  # belt and braces: a ratio is never infinite
    return out


# --- filters -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The filters every data command takes. Each given filter narrows; values within one filter are ORed."""

    vendor: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    since: int | None = None
    where: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [f"vendor={'|'.join(self.vendor)}" if self.vendor else "",
                 f"country={'|'.join(self.country)}" if self.country else "",
                 f"kind={'|'.join(self.kind)}" if self.kind else "",
                 f"since={self.since}" if self.since is not None else "",
                 *self.where]
        return ", ".join(p for p in parts if p)


def _match_values(df: pd.DataFrame, column: str, wanted: Sequence[str], option: str) -> pd.Series:
    """Rows whose `column` equals one of `wanted` (case/punctuation-insensitive); unknown values are an error."""
    key = fold_series(df[column])
    present = sorted(set(df[column].dropna()))
    mask = key.eq("__none__")
    for w in wanted:
        k = fold(w)
        hit = key.eq(k)
        if not hit.any():
            raise UsageError(f"{option} {w!r} matches no chip{suggest(w, present)}"
                             f"\n(known: {', '.join(present)})")
        mask |= hit
    return mask


def apply_filters(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The rows that pass every filter. Metrics named in --where are computed (and kept) as needed."""
    conditions = [where.parse(w) for w in f.where]
    if f.kind:
        bad = [k for k in f.kind if k.lower() not in schema.KINDS]
        if bad:
            raise UsageError(f"--kind {bad[0]!r} is not a kind; use one of {', '.join(schema.KINDS)}")
    if not (f.vendor or f.country or f.kind or f.since is not None or conditions):
        return df  # nothing to filter: no copy of a possibly huge frame
    df = with_metrics(df, [c.field for c in conditions])
    mask = df["name"].notna()
    if f.vendor:
        mask &= _match_values(df, "vendor", f.vendor, "--vendor")
    if f.country:
        mask &= _match_values(df, "vendor_country", f.country, "--country")
    if f.kind:
        mask &= df["kind"].str.lower().isin([k.lower() for k in f.kind])
    if f.since is not None:
        mask &= df["release_year"].ge(f.since)
    for c in conditions:
        s = df[c.field]
        if isinstance(c.value, str):
            hit = where.OPS[c.op](fold_series(s), fold(c.value)) & s.notna()
        else:
            hit = where.OPS[c.op](s, c.value) & s.notna()
        mask &= hit
    out = df[mask]
    if out.empty:
        raise EmptyResult(f"no chip matches the filters ({f.describe()}); loosen them or check `chipcmp list`")
    return out


def select(ds: Dataset, chips: Sequence[str], filters: Filters) -> pd.DataFrame:
    """The chips named (all when none are), narrowed by the filters."""
    df = ds.frame.loc[resolve(ds.frame, chips)] if chips else ds.frame
    return apply_filters(df, filters)


# --- commands ------------------------------------------------------------------------------------------------


def _cols(names: Iterable[str], bar: str | None = None, keep: str | None = None) -> list[Col]:
    return [Col.of(n, bar=n == bar, keep=n == keep) for n in names]


def _parse_fields(spec: str | None, default: Sequence[str]) -> list[str]:
    if spec is None:
        return list(default)
    if spec.strip().lower() == "all":
        return [n for n in schema.FIELD_BY_NAME if n != "name"]
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise UsageError(f"{spec!r} names no field; give names separated by commas, or 'all'")
    for n in names:
        if n not in schema.FIELD_BY_NAME:
            raise UnknownMetric(f"unknown field {n!r}{suggest(n, field_names())}"
                                "\n(`chipcmp metrics` lists every column and metric, or use 'all')")
    return names


def plural(n: int, word: str) -> str:
    """'1 chip', '2 chips'."""
    return f"{n:,} {word}{'s' * (n != 1)}"


def _unsupported_source(name: str) -> str | None:
    """The column whose n/a cells make `name` "not supported": itself, or a metric's throughput input."""
    f = schema.FIELD_BY_NAME.get(name)
    if isinstance(f, schema.Metric):
        if not f.inputs or f.inputs[0] not in schema.THROUGHPUT_COLUMNS or len(f.inputs) > 2:
            return None
        return f.inputs[0]
    return name


def unsupported_mask(ds: Dataset, df: pd.DataFrame, name: str) -> pd.Series:
    """Rows where `name` is "not supported": the column is n/a, or a metric's throughput input is."""
    import pandas as pd

    column = _unsupported_source(name)
    labels = ds.unsupported_labels(column) if column else set()
    if not labels:
        return pd.Series(False, index=df.index)
    return pd.Series(df.index.isin(list(labels)), index=df.index)


def mark_unsupported(ds: Dataset, df: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """`df` with "n/a" where a chip does not support a format (and the value is therefore not unknown)."""
    if not ds.unsupported:
        return df
    marked = ds.unsupported_columns()
    fixed = {}
    for n in names:
        if n not in df.columns or _unsupported_source(n) not in marked:
            continue  # most columns: decided without touching pandas
        mask = unsupported_mask(ds, df, n) & df[n].isna()
        if mask.any():
            fixed[n] = df[n].astype(object).mask(mask, NOT_SUPPORTED)
    return df.assign(**fixed) if fixed else df


def list_chips(ds: Dataset, filters: Filters, columns: str | None = None) -> Result:
    """Chips as rows with key columns (or the given ones)."""
    names = _parse_fields(columns, LIST_COLUMNS)
    if "name" not in names:
        names.insert(0, "name")
    df = with_metrics(apply_filters(ds.frame, filters), names)
    title = plural(len(df), "chip") + (f" ({filters.describe()})" if filters.describe() else "")
    return Result(mark_unsupported(ds, df[names], names), _cols(names), title=title)


def _figure_facts(ds: Dataset, label: object, name: str) -> dict[str, tuple[str, str]]:
    """field -> (where the figure comes from, the other values sources give), for the chip's stored figures."""
    from chipcmp import provenance

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
    if not source and not _missing(value) and derived:
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
        override = ds.origin(label, name) if not is_metric and not _missing(value) else None
        source, others = _source_of(name, value, override, facts)
        rows.append({"field": name, "label": f.label, "value": value, "unit": f.unit,
                     "kind": "metric" if is_metric else "column", "overridden_by": override or "",
                     "source": source, "other_values": others})
    frame = pd.DataFrame(rows)
    cols = [Col("label", "Field", keep=True), Col("value", "Value", numeric=True, kind="row", keep=True),
            Col("unit", "Unit"), Col("source", "Source"), Col("other_values", "Other sources say")]
    if ds.overridden:
        cols.append(Col("overridden_by", "From"))
    notes = [f"Sources: {' '.join(_split(row['sources']))}",
             f"`chipcmp show {query!r} --sources` lists every figure with its source and where in it the figure "
             "stands."]
    if _text(row.get("status")) == "announced":
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
    info = {"chip": row["name"], "vendor": row["vendor"], "confidence": _text(row["confidence"]),
            "sources": _split(row["sources"]), "notes": _text(row["notes"]), "price_source": _text(row["price_source"])}
    title = f"{row['vendor']} {row['name']} (confidence: {_text(row['confidence']) or 'unknown'})"
    kinds = [schema.FIELD_BY_NAME[n].kind for n in frame["field"]]
    return Result(frame, cols, title=title, notes=notes, assumptions=info, row_kinds=kinds)


def figure_sources(ds: Dataset, query: str) -> Result:
    """Every figure of one chip with each source that gives it: the chosen value's sources first, then the other
    values sources give (alternative), older figures the vendor replaced (superseded) and sources not accepted
    (rejected)."""
    import pandas as pd

    from chipcmp import provenance

    (label,) = resolve(ds.frame, [query])
    name = str(ds.frame.at[label, "name"])
    order = {r: i for i, r in enumerate(schema.SOURCE_ROLES)}
    fields = list(schema.COLUMN_BY_NAME)
    rows = sorted(provenance.figure_rows(name), key=lambda r: (fields.index(r["field"]) if r["field"] in fields
                                                                 else 999, order.get(r.get("role", ""), 9)))
    if not rows:
        raise EmptyResult(f"{name!r} has no per-figure sources in the bundled data; its row lists: "
                          f"{' '.join(_split(ds.frame.at[label, 'sources'])) or 'none'}")
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


def _tidy(text: str) -> str:
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def value_ranges(ds: Dataset, df: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series] | None:
    """The low and high ends of `name` per chip where acceptable sources disagree (a metric: evaluated at its
    inputs' ends), or None when no chip in `df` has a range."""
    import itertools

    import numpy as np
    import pandas as pd

    from chipcmp import provenance

    if ds.sources[0].label != "bundled":
        return None
    spans = provenance.ranges()
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


def rank_ranges(values: pd.Series, lo: pd.Series, hi: pd.Series, ascending: bool) -> pd.Series:
    """'3–5' where a chip's rank depends on which source is right (its best rank at its good end against every
    other chip at its bad end, and the reverse), or its one rank."""
    import pandas as pd

    good, bad = (lo, hi) if ascending else (hi, lo)
    sign = 1 if ascending else -1
    g, b = (sign * good.to_numpy(dtype=float)), (sign * bad.to_numpy(dtype=float))
    best = 1 + (b[None, :] < g[:, None]).sum(axis=1) - (b < g)  # others beating my best even at their worst
    worst = 1 + (g[None, :] < b[:, None]).sum(axis=1) - (g < b)
    out = [f"{x}–{y}" if x != y else f"{x}" for x, y in zip(best, worst, strict=True)]
    return pd.Series(out, index=values.index)


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)  # noqa: PLR0124


def compare(  # noqa: PLR0915 -- values, ratios, verdicts and provenance marks of one table
    ds: Dataset, queries: Sequence[str], baseline: str | None = None, metrics: str | None = None,
) -> Result:
    """Chips as columns, fields as rows, with each chip's ratio to the baseline (the first chip by default).

    A ratio carries ▲ when the chip is better than the baseline on that row's metric and ▼ when worse, by the
    metric's own direction; rows without a direction (years, die counts) have no ratio.
    """
    import pandas as pd

    labels = resolve(ds.frame, queries)  # every typo first, before "needs two chips"
    if len(queries) < 2:
        raise UsageError("compare needs at least two chips, e.g. chipcmp compare 'Ascend 910B' H100 H20")
    default = [*COMPARE_COLUMNS, *(m.name for m in schema.METRICS if m.default)]
    names = [n for n in _parse_fields(metrics, default) if n != "name"]
    plain = with_metrics(ds.frame.loc[labels], names)
    df = mark_unsupported(ds, plain, names)
    chips = [str(c) for c in df["name"]]
    base_label = labels[0] if baseline is None else resolve(ds.frame, [baseline])[0]
    if base_label not in labels:
        raise UsageError(f"--baseline {baseline!r} is not one of the compared chips; add it to the list")
    base = str(ds.frame.at[base_label, "name"])
    order = [base_label, *(lbl for lbl in labels if lbl != base_label)]
    key = {lbl: f"chip{i}" for i, lbl in enumerate(order)}
    ratio = {lbl: f"ratio{i}" for i, lbl in enumerate(order) if lbl != base_label}
    rows = []
    better: dict[tuple[int, str], bool] = {}
    for pos, n in enumerate(names):
        f = schema.FIELD_BY_NAME[n]
        row: dict[str, object] = {"field": n, "label": f.label, "unit": f.unit}
        b = df.at[base_label, n]
        for lbl in order:
            v = df.at[lbl, n]
            row[key[lbl]] = v
            if lbl == base_label:
                continue
            # Ratios only where a direction is defined: 2,024 / 2,022 years or a ratio of die counts mean nothing.
            ok = f.higher_is_better is not None and _number(v) and _number(b) and b > 0
            row[ratio[lbl]] = v / b if ok else float("nan")
            if ok and v != b:
                better[(pos, ratio[lbl])] = (v > b) == f.higher_is_better
        rows.append(row)
    frame = pd.DataFrame(rows)
    for r in ratio.values():
        frame[r] = pd.to_numeric(frame[r])
    name_of = dict(zip(labels, chips, strict=True))
    cols = [Col("label", "Field", keep=True), Col("unit", "Unit"),
            Col(key[base_label], base, numeric=True, kind="row", name=base, keep=True)]
    groups: list[tuple[str, ...]] = []
    for lbl in order[1:]:
        cols += [Col(key[lbl], name_of[lbl], numeric=True, kind="row", name=name_of[lbl]),
                 Col(ratio[lbl], "ratio", numeric=True, kind="ratio", name=f"{name_of[lbl]} / {base}")]
        groups.append((key[lbl], ratio[lbl]))
    messages = [f"{q!r} is {ds.frame.at[lbl, 'name']!r}" for q, lbl in zip(queries, labels, strict=True)
                if fold(q) != fold(ds.frame.at[lbl, "name"])]
    # Cells a user's file or --price set: marked in tables, listed in a provenance column in CSV/JSON.
    marks: set[tuple[int, str]] = set()
    sources: list[str] = []
    for i, n in enumerate(names):
        from_user = [(lbl, ds.origin(lbl, n)) for lbl in order
                     if n in schema.COLUMN_BY_NAME and not _missing(df.at[lbl, n]) and ds.origin(lbl, n)]
        sources.append("; ".join(f"{name_of[lbl]}<-{src}" for lbl, src in from_user))
        marks |= {(i, key[lbl]) for lbl, _ in from_user}
    notes = [f"ratio: each chip's figure / {base}'s; {BETTER} better, {WORSE} worse by the row's own direction "
             "(`chipcmp metrics`); — unknown, n/a not supported."]
    ranged, spans_text = _range_marks(ds, plain, names, {lbl: (key[lbl], name_of[lbl]) for lbl in order})
    if ranged:
        notes.append("~ sources disagree on this figure" + (": " + "; ".join(spans_text) if spans_text else "")
                     + " (`chipcmp show CHIP --sources`)")
    if any(sources):
        frame["overridden"] = sources
        files = sorted({ds.overridden[k] for k in ds.overridden})
        notes.append(f"* value from {', '.join(files)}, not the bundled data")
    return Result(frame, cols, title=f"{' vs '.join(chips)} (ratios to {base})", messages=messages,
                  row_kinds=[schema.FIELD_BY_NAME[n].kind for n in names], marks=marks, notes=notes,
                  assumptions={"baseline": base, "chips": chips}, better=better, groups=groups, ranged=ranged)


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v  # noqa: PLR0124


def _range_marks(ds: Dataset, df: pd.DataFrame, names: Sequence[str],
                 columns: dict[object, tuple[str, str]]) -> tuple[set[tuple[int, str]], list[str]]:
    """The (row, column key) cells of compare whose figure has a range, and the ranges in words."""
    import pandas as pd

    ranged: set[tuple[int, str]] = set()
    words = []
    for i, n in enumerate(names):
        spans = value_ranges(ds, df, n) if schema.FIELD_BY_NAME[n].numeric else None
        if spans is None:
            continue
        for lbl, (key, chip) in columns.items():
            lo, hi = spans[0].get(lbl), spans[1].get(lbl)
            if lo is not None and hi is not None and pd.notna(lo) and pd.notna(hi) and hi > lo:
                ranged.add((i, key))
                if n in schema.COLUMN_BY_NAME:
                    words.append(f"{schema.FIELD_BY_NAME[n].label} {chip} {lo:g}–{hi:g}")
    return ranged, words


def field_values(df: pd.DataFrame, name: str) -> pd.Series:
    """A column, or a metric computed on the spot without copying the frame."""
    if name in df.columns:
        return df[name]
    import numpy as np

    return schema.METRIC_BY_NAME[name].compute(df).replace([np.inf, -np.inf], np.nan)


def rank(  # noqa: PLR0915 -- one pass: values, what was left out and why, order, columns
    ds: Dataset, metric: str, filters: Filters, top: int | None = None, ascending: bool | None = None,
    columns: str | None = None,
) -> Result:
    """Chips sorted best-first by `metric` (its own direction unless `ascending` says otherwise).

    `metric` is a column, a registry metric, or an expression of them (`chipcmp.expr`); an expression ranks
    higher-first unless --asc.
    """
    import numpy as np

    from chipcmp import expr

    check_top(top)
    extra = _parse_fields(columns, []) if columns else []
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
    cols = [Col("rank", "#", numeric=True, kind="int", keep=True), *_cols(names[:2], keep="name")]
    if key == "value":
        out.insert(2, "value", order.to_numpy())
        cols.append(Col("value", f"{label} ({unit})" if unit and unit != "1" else label, numeric=True, bar=True,
                        keep=True, unit=unit if unit != "1" else ""))
    else:
        cols.append(Col.of(metric, bar=True, keep=True))
    cols += _cols(names[3:] if key != "value" else names[2:])
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


def export(ds: Dataset, filters: Filters) -> Result:
    """The filtered data with every column, every derived metric, its sources and the dataset version."""
    import numpy as np
    import pandas as pd

    df = apply_filters(ds.frame, filters)
    # One new frame, built once: on a million rows every extra copy costs hundreds of MB.
    metrics = {m.name: m.compute(df).replace([np.inf, -np.inf], np.nan) for m in schema.METRICS}
    out = pd.concat([df[[c.name for c in schema.COLUMNS]], pd.DataFrame(metrics, index=df.index)], axis=1)
    out = mark_unsupported(ds, out, [*schema.THROUGHPUT_COLUMNS, *metrics])
    out["dataset_version"] = ds.version
    names = [*(c.name for c in schema.COLUMNS), *metrics]
    cols = [*_cols(names, keep="name"), Col("dataset_version", "Dataset version")]
    if ds.overridden:
        by_row: dict[str, list[str]] = {}
        for (lbl, c), src in ds.overridden.items():
            by_row.setdefault(lbl, []).append(f"added from {src}" if c == "*" else f"{c}<-{src}")
        out["overridden"] = ["; ".join(by_row.get(str(i), [])) for i in out.index]
        cols.append(Col("overridden", "Overridden"))
    return Result(out, cols, title=plural(len(out), "chip"))


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


# --- helpers -------------------------------------------------------------------------------------------------


def _split(cell: object) -> list[str]:
    text = _text(cell)
    return [s.strip() for s in text.split("|") if s.strip()] if text else []


def _text(cell: object) -> str:
    return cell if isinstance(cell, str) else ""
