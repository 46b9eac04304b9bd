"""Systems (boards, racks, pods) as tables: totals from their chips beside what the vendor states, power, per
kW and per dollar; ranked or compared side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.core.fields import with_metrics
from chipcmp.core.result import Col, Result
from chipcmp.data.names import fold, suggest
from chipcmp.data.reader import number
from chipcmp.data.systems import find, known, rows
from chipcmp.errors import EmptyResult, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def frame(ds: Dataset) -> pd.DataFrame:
    """Systems with derived totals from their chips' figures (the chips as loaded, overlays included)."""
    import pandas as pd

    chips = with_metrics(ds.frame, ["bf16_achieved_fraction"]).set_index("name", drop=False)
    out = []
    for r in rows():
        n = number(r.get("chips", ""))
        chip = r.get("chip", "")
        if not n or chip not in chips.index:
            continue
        c = chips.loc[chip]

        def total(col: str, scale: float = 1.0, c: pd.Series = c, n: float = n) -> float:
            v = c[col]
            return float(v) * n * scale if known(v) else float("nan")

        power = number(r.get("power_kw", ""))
        price = number(r.get("price_usd", ""))
        chip_price = float(c["price_usd"]) if known(c["price_usd"]) else None
        bf16 = total("bf16_tflops", 1e-3)
        chip_kw = total("tdp_w", 1e-3)
        cost = price if price is not None else (chip_price * n if chip_price is not None else None)
        watts = power if power is not None else (chip_kw if known(chip_kw) else None)
        row: dict[str, object] = {
            "name": r["name"], "vendor": r["vendor"], "chip": chip, "chips": n,
            "scaleup_domain": number(r.get("scaleup_domain", "")) or float("nan"),
            "scaleup_bw_gbs": number(r.get("scaleup_bw_gbs", "")) or float("nan"),
            "bf16_pflops": bf16, "fp8_pflops": total("fp8_tflops", 1e-3),
            "memory_tb": total("memory_gb", 1e-3), "memory_bw_tbs": total("memory_bw_tbs"),
            "chip_tdp_kw": chip_kw, "power_kw": power if power is not None else float("nan"),
            "power_scope": r.get("power_scope", ""),
            "price_usd": cost if cost is not None else float("nan"),
            "price_basis": "system" if price is not None else ("chips × chip price" if cost is not None else ""),
            "stated_bf16_pflops": number(r.get("stated_bf16_pflops", "")) or float("nan"),
            "stated_fp8_pflops": number(r.get("stated_fp8_pflops", "")) or float("nan"),
            "status": r.get("status", ""), "notes": r.get("notes", ""),
        }
        stated = number(r.get("stated_bf16_pflops", ""))
        row["power_basis"] = r.get("power_scope", "") if power is not None else ("chips' TDP" if watts else "")
        row["bf16_pflops_per_kw"] = bf16 / watts if watts and known(bf16) else float("nan")
        row["bf16_pflops_per_musd"] = bf16 / (cost / 1e6) if cost and known(bf16) else float("nan")
        row["vendor_vs_chips_bf16"] = stated / bf16 if stated and known(bf16) and bf16 > 0 else float("nan")
        out.append(row)
    return pd.DataFrame(out)


SYSTEM_METRICS: dict[str, tuple[str, bool | None]] = {  # name -> (label, higher is better; None: no direction)
    "bf16_pflops": ("BF16 (PFLOPS)", True), "fp8_pflops": ("FP8 (PFLOPS)", True),
    "memory_tb": ("HBM (TB)", True), "memory_bw_tbs": ("HBM BW (TB/s)", True),
    "bf16_pflops_per_kw": ("BF16 PFLOPS/kW", True), "bf16_pflops_per_musd": ("BF16 PFLOPS/$M", True),
    "power_kw": ("Power (kW)", False), "chips": ("Chips", None), "scaleup_domain": ("Scale-up domain", True),
}


def systems(ds: Dataset, names: list[str], vendor: tuple[str, ...], metric: str | None, top: int | None) -> Result:
    """Systems with totals derived from their chips; the named ones, or all (ranked by `metric`)."""
    df = frame(ds)
    if names:
        wanted = [find(n).name for n in names]
        df = df.set_index("name", drop=False).loc[wanted]
    if vendor:
        keys = {fold(v) for v in vendor}
        df = df[df["vendor"].map(fold).isin(keys)]
        if df.empty:
            raise EmptyResult(f"no system from {', '.join(vendor)}; `chipcmp systems` lists them")
    if metric:
        if metric not in SYSTEM_METRICS:
            raise UsageError(f"--metric {metric!r} is not a system metric{suggest(metric, list(SYSTEM_METRICS))}"
                             f"\n(system metrics: {', '.join(SYSTEM_METRICS)})")
        df = df[df[metric].notna()].sort_values(metric, ascending=SYSTEM_METRICS[metric][1] is False, kind="stable")
    if top:
        df = df.head(top)
    cols = [Col("name", "System", keep=True), Col("chip", "Chip"), Col("chips", "Chips", True, kind="count"),
            Col("scaleup_domain", "Scale-up", True, kind="count"),
            Col("bf16_pflops", "BF16 (PFLOPS)", True, keep=True), Col("fp8_pflops", "FP8 (PFLOPS)", True),
            Col("memory_tb", "HBM (TB)", True), Col("memory_bw_tbs", "HBM BW (TB/s)", True),
            Col("power_kw", "Power (kW)", True), Col("power_scope", "Power covers"),
            Col("bf16_pflops_per_kw", "BF16 PFLOPS/kW", True, keep=True),
            Col("price_usd", "Price (USD)", True), Col("bf16_pflops_per_musd", "BF16 PFLOPS/$M", True),
            Col("stated_bf16_pflops", "Vendor BF16 (PFLOPS)", True),
            Col("vendor_vs_chips_bf16", "Vendor / chips", True, kind="ratio")]
    notes = ["Totals are chips × the chip's dense figures; 'Vendor' is the system vendor's own total where "
             "published (a ratio off 1.00× means clocks, power caps or a different basis).",
             "PFLOPS per kW uses the system's stated power and what it covers (rack, pod, chips); without one, the "
             "chips' TDP alone."]
    return Result(df.reset_index(drop=True), cols, title=f"{len(df)} systems", notes=notes,
                  assumptions={"metric": metric})


def compare_systems(ds: Dataset, names: list[str], baseline: str | None = None) -> Result:
    """Systems side by side (their chip, size and totals as rows), with each one's ratio to a baseline."""
    import pandas as pd

    from chipcmp.core.result import BETTER, WORSE

    if len(names) < 2:
        raise UsageError("comparing systems needs at least two, e.g. chipcmp compare 'CloudMatrix 384' "
                         "'GB200 NVL72'")
    wanted = [find(n).name for n in names]
    if len(set(wanted)) != len(wanted):
        raise UsageError("name each system once")
    base = find(baseline).name if baseline else wanted[0]
    if base not in wanted:
        raise UsageError(f"--baseline {baseline!r} is not one of the compared systems; add it to the list")
    df = frame(ds).set_index("name", drop=False)
    missing = [w for w in wanted if w not in df.index]
    if missing:
        raise EmptyResult(f"{missing[0]!r} has no chip in the data loaded, so no totals")
    order = [base, *(w for w in wanted if w != base)]
    rows: list[dict[str, object]] = [{"field": "chip", "label": "Chip", **{f"s{i}": df.at[s, "chip"]
                                                                           for i, s in enumerate(order)}},
                                     {"field": "power_scope", "label": "Power covers",
                                      **{f"s{i}": df.at[s, "power_scope"] for i, s in enumerate(order)}}]
    better: dict[tuple[int, str], bool] = {}
    for field, (label, higher) in SYSTEM_METRICS.items():
        row: dict[str, object] = {"field": field, "label": label}
        b = df.at[base, field]
        for i, s in enumerate(order):
            v = df.at[s, field]
            row[f"s{i}"] = v
            if i and known(v) and known(b) and b > 0:
                row[f"r{i}"] = v / b
                if v != b and higher is not None:
                    better[(len(rows), f"r{i}")] = (v > b) == higher
        rows.append(row)
    out = pd.DataFrame(rows)
    cols = [Col("label", "Field", keep=True), Col("s0", base, True, kind="row", name=base, keep=True)]
    groups: list[tuple[str, ...]] = []
    for i, s in enumerate(order[1:], start=1):
        if f"r{i}" not in out.columns:
            out[f"r{i}"] = float("nan")
        out[f"r{i}"] = pd.to_numeric(out[f"r{i}"])
        cols += [Col(f"s{i}", s, True, kind="row", name=s), Col(f"r{i}", "ratio", True, kind="ratio",
                                                              name=f"{s} / {base}")]
        groups.append((f"s{i}", f"r{i}"))
    kinds = ["text", "text", *("float" for _ in SYSTEM_METRICS)]
    notes = [f"ratio: each system's total / {base}'s; {BETTER} better, {WORSE} worse. Totals are chips × the "
             "chip's dense figures; power is as the vendor or analyst states it and covers what the 'Power covers' "
             "row says (rack, pod, chips)."]
    return Result(out, cols, title=" vs ".join(order), notes=notes, row_kinds=kinds, better=better, groups=groups,
                  assumptions={"baseline": base, "systems": order})


def all_chips(ds: Dataset, names: list[str]) -> bool:
    """Whether every name is a chip (then a name that is also a system's is read as the chip)."""
    from chipcmp.data.names import fold, name_keys

    keys = set(name_keys(ds.frame))
    return all(fold(n) in keys for n in names)
