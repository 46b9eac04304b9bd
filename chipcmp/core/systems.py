"""Systems (boards, racks, pods) as a table of their own: systems.csv typed by its registry, with each system's
chip figures joined as `chip_*` columns, so that listing, ranking and comparing systems go through the same code
as chips (`rank.measure`/`rank.order`, `compare.side_by_side`, the registry's metrics)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.compare import side_by_side
from chipcmp.core.fields import check_top, columns_for, with_metrics
from chipcmp.core.rank import measure, order
from chipcmp.core.result import BETTER, WORSE, Col, Result
from chipcmp.data.names import fold
from chipcmp.data.reader import number
from chipcmp.data.registry import CHIP_INPUTS, SYSTEMS
from chipcmp.data.systems import find, rows
from chipcmp.errors import EmptyResult, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset

# The systems table's columns, in the order `chipcmp systems` shows them.
LIST_COLUMNS = ("name", "chip", "chips", "scaleup_domain", "bf16_pflops", "fp8_pflops", "memory_tb",
                "memory_bw_tbs", "power_kw", "power_scope", "bf16_pflops_per_kw", "system_price_usd",
                "bf16_pflops_per_musd", "stated_bf16_pflops", "vendor_vs_chips_bf16", "stated_memory_tb",
                "vendor_vs_chips_memory")
# The rows of a comparison of systems.
COMPARE_ROWS = ("chip", "power_scope", "chips", "scaleup_domain", "bf16_pflops", "fp8_pflops", "memory_tb",
                "memory_bw_tbs", "power_basis_kw", "bf16_pflops_per_kw", "system_price_usd", "bf16_pflops_per_musd")
KEEP = ("name", "bf16_pflops", "bf16_pflops_per_kw")


def frame(ds: Dataset) -> pd.DataFrame:
    """Every system typed by the registry, its chip's figures (as loaded, overlays included) as chip_* columns,
    and whether its chip is in the data at all (`chip_known`)."""
    import pandas as pd

    table = pd.DataFrame(list(rows()))
    for c in SYSTEMS.columns:
        if c.name not in table.columns:
            table[c.name] = ""
        if c.numeric:
            table[c.name] = pd.to_numeric(table[c.name].map(number), errors="coerce").astype("float64")
    chips = ds.frame.set_index("name", drop=False)
    table["chip_known"] = table["chip"].isin(chips.index)
    for col in CHIP_INPUTS:
        table[f"chip_{col}"] = table["chip"].map(chips[col]).astype("float64")
    # the scope is always said: without a stated power, the per-kW figures rest on the chips' TDP alone
    unstated = table["power_kw"].isna() & table["chip_tdp_w"].notna()
    table.loc[unstated, "power_scope"] = "chips (TDP)"
    return table.set_index("name", drop=False)


def select_systems(ds: Dataset, names: list[str], vendor: tuple[str, ...]) -> pd.DataFrame:
    """The systems named (or all), of these vendors, with their chips' figures; refused when a named system's chip
    is not in the data loaded."""
    df = frame(ds)
    if names:
        df = df.loc[[find(n).name for n in names]]
    if vendor:
        keys = {fold(v) for v in vendor}
        df = df[df["vendor"].map(fold).isin(keys)]
        if df.empty:
            raise EmptyResult(f"no system from {', '.join(vendor)}; `chipcmp systems` lists them")
    missing = sorted(df.loc[~df["chip_known"], "chip"].unique())
    if names and missing:
        raise EmptyResult(f"the data loaded has no {', '.join(map(repr, missing))}, the chip of "
                          f"{', '.join(df.loc[~df['chip_known'], 'name'])}: add the chip (--add) or use the bundled "
                          "data")
    return df


def systems(ds: Dataset, names: list[str], vendor: tuple[str, ...], metric: str | None, top: int | None) -> Result:
    """Systems with totals derived from their chips; the named ones, or all (ranked by `metric`)."""
    check_top(top)
    df = select_systems(ds, names, vendor)
    if not df["chip_known"].any():
        raise EmptyResult(f"the data loaded has none of the systems' chips ({', '.join(sorted(set(df['chip'])))}); "
                          "add them with --add, or use the bundled data")
    messages = []
    if metric:
        r = order(measure(df, metric, SYSTEMS), top, None, "system")
        assert r.order is not None
        df, messages = df.loc[r.order.index], r.messages
    elif top:
        df = df.head(top)
    missing = sorted(df.loc[~df["chip_known"], "chip"].unique())
    if missing:
        messages.append(f"no totals for systems whose chip is not in the data loaded: {', '.join(missing)}")
    out = with_metrics(df, None, SYSTEMS)
    cols = columns_for(LIST_COLUMNS, registry=SYSTEMS)
    per_kw = bool(metric) and "per_kw" in str(metric)
    cols = [Col(c.key, c.header, c.numeric, c.bar, "count" if c.key in ("chips", "scaleup_domain") else c.kind,
                keep=c.key in KEEP or c.key == metric or (per_kw and c.key == "power_scope"), unit=c.unit)
            for c in cols]
    scopes = sorted({s.split()[0] for s in out["power_scope"] if isinstance(s, str) and s})
    if per_kw and len(scopes) > 1:
        messages.append(f"per kW mixes power scopes ({', '.join(scopes)}): a rack's or pod's power carries CPUs, "
                        "network and cooling a chips-only figure does not: compare rows of one scope ('Power "
                        "covers')")
    notes = ["Totals are chips × the chip's dense figures; 'Vendor' is the system vendor's own total where "
             "published (a ratio off 1.00× means clocks, power caps or a different basis).",
             "PFLOPS per kW uses the system's stated power and what it covers (rack, pod, chips); without one, the "
             "chips' TDP alone."]
    return Result(out[list(LIST_COLUMNS)].reset_index(drop=True), cols, title=f"{len(out)} systems", notes=notes,
                  messages=messages, assumptions={"metric": metric})


def compare_systems(ds: Dataset, names: list[str], baseline: str | None = None) -> Result:
    """Systems side by side (their chip, size and totals as rows), with each one's ratio to a baseline."""
    if len(names) < 2:
        raise UsageError("comparing systems needs at least two, e.g. chipcmp compare 'CloudMatrix 384' "
                         "'GB200 NVL72'")
    wanted = [find(n).name for n in names]
    if len(set(wanted)) != len(wanted):
        raise UsageError("name each system once")
    base = find(baseline).name if baseline else wanted[0]
    if base not in wanted:
        raise UsageError(f"--baseline {baseline!r} is not one of the compared systems; add it to the list")
    df = with_metrics(select_systems(ds, wanted, ()), None, SYSTEMS)
    order_ = [base, *(w for w in wanted if w != base)]
    table = side_by_side(df, order_, COMPARE_ROWS, SYSTEMS, {s: s for s in order_})
    kinds = [SYSTEMS.by_name[n].kind for n in COMPARE_ROWS]
    notes = [f"ratio: each system's total / {base}'s; {BETTER} better, {WORSE} worse. Totals are chips × the "
             "chip's dense figures; power is as the vendor or analyst states it and covers what the 'Power covers' "
             "row says (rack, pod, chips); without a stated power, the chips' TDP."]
    return Result(table.frame, table.columns, title=" vs ".join(order_), notes=notes, row_kinds=kinds,
                  better=table.better, groups=table.groups, assumptions={"baseline": base, "systems": order_})
