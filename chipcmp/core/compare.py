"""Chips side by side: each field of each chip with its ratio to a baseline (▲ better, ▼ worse by the field's
direction), marks for figures whose sources disagree (~) and for unsupported formats."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from chipcmp.core.fields import is_number, is_unknown, parse_fields, with_metrics
from chipcmp.core.ranges import range_marks
from chipcmp.core.result import BETTER, WORSE, Col, Result
from chipcmp.core.support import mark_unsupported
from chipcmp.data import schema
from chipcmp.data.names import fold, resolve
from chipcmp.data.registry import CHIPS, Registry
from chipcmp.data.schema import Metric
from chipcmp.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


# Rows of `compare` besides the metrics flagged `default` in the registry.
COMPARE_COLUMNS = (
    "vendor", "vendor_country", "kind", "form_factor", "release_year", "process_node", "compute_dies",
    "die_area_mm2", "memory_gb", "memory_type", "memory_bw_tbs", "interconnect_gbs", "tdp_w",
    *schema.THROUGHPUT_COLUMNS, "price_usd", "price_kind", "confidence",
)


class SideBySide(NamedTuple):
    """Rows of a table side by side: one row per field, one column per row of the table with its ratio to the
    baseline. What chips and systems share; `compare` adds what only chips have (marks, ranges, overrides)."""

    frame: "pd.DataFrame"
    columns: list[Col]
    better: dict[tuple[int, str], bool]
    groups: list[tuple[str, ...]]
    key: dict[object, str]  # row label -> its value column


def side_by_side(df: "pd.DataFrame", order: Sequence[object], names: Sequence[str], registry: Registry,
                 shown: dict[object, str]) -> SideBySide:
    """Each field of `names` as a row; the rows of `df` labelled `order` as columns (the first is the baseline),
    each with its ratio to the baseline where the field has a direction (▲ better, ▼ worse)."""
    import pandas as pd

    base_label = order[0]
    key = {lbl: f"chip{i}" for i, lbl in enumerate(order)}
    ratio = {lbl: f"ratio{i}" for i, lbl in enumerate(order) if lbl != base_label}
    rows = []
    better: dict[tuple[int, str], bool] = {}
    for pos, n in enumerate(names):
        f = registry.by_name[n]
        row: dict[str, object] = {"field": n, "label": f.label, "unit": f.unit}
        b = df.at[base_label, n]
        for lbl in order:
            v = df.at[lbl, n]
            row[key[lbl]] = v
            if lbl == base_label:
                continue
            # A ratio where it means something: a year or a die count has none; a two-sided metric (the ridge
            # point) has one, but no better or worse.
            ok = (f.higher_is_better is not None or isinstance(f, Metric)) and is_number(v) and is_number(b) and b > 0
            row[ratio[lbl]] = v / b if ok else float("nan")
            if ok and v != b and f.higher_is_better is not None:
                better[(pos, ratio[lbl])] = (v > b) == f.higher_is_better
        rows.append(row)
    frame = pd.DataFrame(rows)
    for r in ratio.values():
        frame[r] = pd.to_numeric(frame[r])
    base = shown[base_label]
    cols = [Col("label", "Field", keep=True), Col("unit", "Unit"),
            Col(key[base_label], base, numeric=True, kind="row", name=base, keep=True)]
    groups: list[tuple[str, ...]] = []
    for lbl in order[1:]:
        cols += [Col(key[lbl], shown[lbl], numeric=True, kind="row", name=shown[lbl]),
                 Col(ratio[lbl], "ratio", numeric=True, kind="ratio", name=f"{shown[lbl]} / {base}")]
        groups.append((key[lbl], ratio[lbl]))
    return SideBySide(frame, cols, better, groups, key)


def compare(ds: "Dataset", queries: Sequence[str], baseline: str | None = None, metrics: str | None = None) -> Result:
    """Chips as columns, fields as rows, with each chip's ratio to the baseline (the first chip by default).

    A ratio carries ▲ when the chip is better than the baseline on that row's metric and ▼ when worse, by the
    metric's own direction; rows without a direction (years, die counts) have no ratio.
    """
    labels = resolve(ds.frame, queries)  # every typo first, before "needs two chips"
    if len(queries) < 2:
        raise UsageError("compare needs at least two chips, e.g. chipcmp compare 'Ascend 910B' H100 H20")
    default = [*COMPARE_COLUMNS, *(m.name for m in schema.METRICS if m.default)]
    names = [n for n in parse_fields(metrics, default) if n != "name"]
    plain = with_metrics(ds.frame.loc[labels], names)
    df = mark_unsupported(ds, plain, names)
    base_label = labels[0] if baseline is None else resolve(ds.frame, [baseline])[0]
    if base_label not in labels:
        raise UsageError(f"--baseline {baseline!r} is not one of the compared chips; add it to the list")
    order = [base_label, *(lbl for lbl in labels if lbl != base_label)]
    name_of = {lbl: str(ds.frame.at[lbl, "name"]) for lbl in labels}
    table = side_by_side(df, order, names, CHIPS, name_of)
    base, chips = name_of[base_label], [name_of[lbl] for lbl in labels]
    messages = [f"{q!r} is {name_of[lbl]!r}" for q, lbl in zip(queries, labels, strict=True)
                if fold(q) != fold(name_of[lbl])]
    notes = [f"ratio: each chip's figure / {base}'s; {BETTER} better, {WORSE} worse by the row's own direction "
             "(`chipcmp metrics`); — unknown, n/a not supported."]
    ranged, spans_text = range_marks(ds, plain, names, {lbl: (table.key[lbl], name_of[lbl]) for lbl in order})
    if ranged:
        notes.append("~ sources disagree on this figure" + (": " + "; ".join(spans_text) if spans_text else "")
                     + " (`chipcmp show CHIP --sources`)")
    marks = _overrides(ds, df, names, order, table, name_of, notes)
    unpowered = [name_of[lbl] for lbl in order if not is_number(ds.frame.at[lbl, "tdp_w"])
                 and not is_number(ds.frame.at[lbl, "deployed_w"])]
    if unpowered and any("watt" in n or "_kw" in n for n in names):
        notes.append(f"No power figure for {', '.join(unpowered)} in the data: no TDP, and no system of it states "
                     "its power, so its per-watt figures are unknown (—), not low (`chipcmp show CHIP --sources` "
                     "lists what sources give).")
    return Result(table.frame, table.columns, title=f"{' vs '.join(chips)} (ratios to {base})", messages=messages,
                  row_kinds=[schema.FIELD_BY_NAME[n].kind for n in names], marks=marks, notes=notes,
                  assumptions={"baseline": base, "chips": chips}, better=table.better, groups=table.groups,
                  ranged=ranged)


def _overrides(ds: "Dataset", df: "pd.DataFrame", names: Sequence[str], order: Sequence[object], table: SideBySide,
               name_of: dict[object, str], notes: list[str]) -> set[tuple[int, str]]:
    """Cells a user's file or --price set: marked in tables, listed in a provenance column in CSV/JSON."""
    marks: set[tuple[int, str]] = set()
    sources: list[str] = []
    for i, n in enumerate(names):
        from_user = [(lbl, ds.origin(lbl, n)) for lbl in order
                     if n in schema.COLUMN_BY_NAME and not is_unknown(df.at[lbl, n]) and ds.origin(lbl, n)]
        sources.append("; ".join(f"{name_of[lbl]}<-{src}" for lbl, src in from_user))
        marks |= {(i, table.key[lbl]) for lbl, _ in from_user}
    if any(sources):
        table.frame["overridden"] = sources
        files = sorted({ds.overridden[k] for k in ds.overridden})
        notes.append(f"* value from {', '.join(files)}, not the bundled data")
    return marks


def all_chips(ds: "Dataset", names: Sequence[str]) -> bool:
    """Whether every name is a chip (then a name that is also a system's is read as the chip)."""
    from chipcmp.data.names import name_keys

    keys = set(name_keys(ds.frame))
    return all(fold(n) in keys for n in names)
