"""Systems (data/systems.csv): boards, racks and pods as rows of their own, with totals derived from their chips,
and `match`: how many of one chip equal N of another, by a metric, and what that takes.

A system row names its chip (a row of chips.csv) and how many; its totals (dense BF16/FP8 PFLOPS, HBM TB and TB/s)
are chips × the chip's figures. Where the system's vendor states a total differently, both are shown with the
ratio, so a clock or power cap that the chip row does not carry is visible.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chipcmp.core import check_field, field_values, with_metrics
from chipcmp.errors import DataError, EmptyResult, UsageError
from chipcmp.fileio import bundled_path
from chipcmp.names import fold, suggest
from chipcmp.result import Col, Result

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

SYSTEMS = "systems.csv"


@dataclass(frozen=True)
class System:
    name: str
    vendor: str
    chip: str
    chips: int
    scaleup_domain: int | None
    power_kw: float | None
    power_scope: str
    aliases: tuple[str, ...]


def _known(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def _f(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=2)
def _rows(path: str) -> tuple[dict[str, str], ...]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return tuple(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{Path(path).name} cannot be read ({e}); reinstall chipcmp") from None


def rows() -> tuple[dict[str, str], ...]:
    return _rows(str(bundled_path(SYSTEMS)))


def catalogue() -> list[System]:
    out = []
    for r in rows():
        n = _f(r.get("chips", ""))
        if not n:
            continue
        dom = _f(r.get("scaleup_domain", ""))
        out.append(System(r["name"], r["vendor"], r["chip"], int(n), int(dom) if dom else None,
                          _f(r.get("power_kw", "")), r.get("power_scope", ""),
                          tuple(a for a in r.get("aliases", "").split("|") if a.strip())))
    return out


def find(name: str) -> System:
    """The system called `name` (or an alias; case and punctuation don't matter)."""
    systems = catalogue()
    for s in systems:
        if fold(name) in {fold(s.name), *(fold(a) for a in s.aliases)} or fold(name) == fold(s.name.replace(
                s.vendor, "")):
            return s
    raise UsageError(f"unknown system {name!r}" + (suggest(name, [s.name for s in systems])
                                                    or "; `chipcmp systems` lists them"))


def frame(ds: Dataset) -> pd.DataFrame:
    """Systems with derived totals from their chips' figures (the chips as loaded, overlays included)."""
    import pandas as pd

    chips = with_metrics(ds.frame, ["bf16_achieved_fraction"]).set_index("name", drop=False)
    out = []
    for r in rows():
        n = _f(r.get("chips", ""))
        chip = r.get("chip", "")
        if not n or chip not in chips.index:
            continue
        c = chips.loc[chip]

        def total(col: str, scale: float = 1.0, c: pd.Series = c, n: float = n) -> float:
            v = c[col]
            return float(v) * n * scale if _known(v) else float("nan")

        power = _f(r.get("power_kw", ""))
        price = _f(r.get("price_usd", ""))
        chip_price = float(c["price_usd"]) if _known(c["price_usd"]) else None
        bf16 = total("bf16_tflops", 1e-3)
        chip_kw = total("tdp_w", 1e-3)
        cost = price if price is not None else (chip_price * n if chip_price is not None else None)
        watts = power if power is not None else (chip_kw if _known(chip_kw) else None)
        row: dict[str, object] = {
            "name": r["name"], "vendor": r["vendor"], "chip": chip, "chips": n,
            "scaleup_domain": _f(r.get("scaleup_domain", "")) or float("nan"),
            "scaleup_bw_gbs": _f(r.get("scaleup_bw_gbs", "")) or float("nan"),
            "bf16_pflops": bf16, "fp8_pflops": total("fp8_tflops", 1e-3),
            "memory_tb": total("memory_gb", 1e-3), "memory_bw_tbs": total("memory_bw_tbs"),
            "chip_tdp_kw": chip_kw, "power_kw": power if power is not None else float("nan"),
            "power_scope": r.get("power_scope", ""),
            "price_usd": cost if cost is not None else float("nan"),
            "price_basis": "system" if price is not None else ("chips × chip price" if cost is not None else ""),
            "stated_bf16_pflops": _f(r.get("stated_bf16_pflops", "")) or float("nan"),
            "stated_fp8_pflops": _f(r.get("stated_fp8_pflops", "")) or float("nan"),
            "status": r.get("status", ""), "notes": r.get("notes", ""),
        }
        stated = _f(r.get("stated_bf16_pflops", ""))
        row["power_basis"] = r.get("power_scope", "") if power is not None else ("chips' TDP" if watts else "")
        row["bf16_pflops_per_kw"] = bf16 / watts if watts and _known(bf16) else float("nan")
        row["bf16_pflops_per_musd"] = bf16 / (cost / 1e6) if cost and _known(bf16) else float("nan")
        row["vendor_vs_chips_bf16"] = stated / bf16 if stated and _known(bf16) and bf16 > 0 else float("nan")
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


# --- match ---------------------------------------------------------------------------------------------------

MATCH_METRICS = ("bf16_tflops", "fp8_tflops", "bf16_achieved_tflops", "fp8_achieved_tflops", "memory_gb",
                 "memory_bw_tbs", "tpp")


def match(ds: Dataset, chip: str, other: str, count: int, by: str, model_flops: float | None = None,
          mfu: float = 0.4) -> Result:
    """How many of `chip` equal `count` of `other` by a metric (or every sensible one), with power, cost and
    systems; with `model_flops`, the days a training run takes on each side."""
    import pandas as pd

    from chipcmp.names import resolve

    if count < 1 or count > 10_000_000:
        raise UsageError(f"--count {count} is out of range: from 1 to 10,000,000")
    a_lbl, b_lbl = resolve(ds.frame, [chip, other])
    metrics = list(MATCH_METRICS) if by == "all" else [check_field(by).name]
    both = with_metrics(ds.frame.loc[[a_lbl, b_lbl]], metrics)
    a, b = both.loc[a_lbl], both.loc[b_lbl]
    sys_of = {s.chip: s for s in sorted(catalogue(), key=lambda s: s.chips)}
    rows = []
    for m in metrics:
        va, vb = field_values(both, m).loc[a_lbl], field_values(both, m).loc[b_lbl]
        row: dict[str, object] = {"metric": m}
        if not (_known(va) and _known(vb) and va > 0):
            lbl, side = (a_lbl, a) if not _known(va) or not va else (b_lbl, b)
            inputs = [m] if m in ds.frame.columns else list(getattr(check_field(m), "inputs", ()))
            na = any(ds.is_unsupported(lbl, i) for i in inputs)
            row["note"] = f"{side['name']} {'does not support it' if na else 'has no known figure'}"
            rows.append(row)
            continue
        n = math.ceil(count * vb / va)
        row.update(per_chip_ratio=vb / va, chips_needed=n)
        for side, cnt, c in (("a", n, a), ("b", count, b)):
            row[f"{side}_power_mw"] = cnt * c["tdp_w"] / 1e6 if c["tdp_w"] == c["tdp_w"] else float("nan")
            row[f"{side}_cost_musd"] = cnt * c["price_usd"] / 1e6 if c["price_usd"] == c["price_usd"] else float("nan")
            s = sys_of.get(str(c["name"]))
            row[f"{side}_systems"] = f"{math.ceil(cnt / s.chips):,} × {s.name}" if s else ""
            if model_flops and c["bf16_tflops"] == c["bf16_tflops"]:
                row[f"{side}_train_days"] = model_flops / (cnt * c["bf16_tflops"] * 1e12 * mfu) / 86400
        rows.append(row)
    out = pd.DataFrame(rows)
    an, bn = str(a["name"]), str(b["name"])
    for c in ("per_chip_ratio", "chips_needed", "a_power_mw", "b_power_mw", "a_cost_musd", "b_cost_musd",
              "a_systems", "b_systems", "note"):
        if c not in out.columns:
            out[c] = float("nan") if not c.endswith(("systems", "note")) else ""
    cols = [Col("metric", "Matched by", keep=True),
            Col("chips_needed", f"{an} needed", True, kind="count", keep=True),
            Col("per_chip_ratio", f"{bn} / {an} per chip", True, kind="ratio"),
            Col("a_power_mw", f"{an} MW", True), Col("b_power_mw", f"{bn} MW", True),
            Col("a_cost_musd", f"{an} $M", True), Col("b_cost_musd", f"{bn} $M", True),
            Col("a_systems", f"{an} systems"), Col("b_systems", f"{bn} systems")]
    if model_flops:
        cols += [Col("a_train_days", f"{an} days", True), Col("b_train_days", f"{bn} days", True)]
    cols.append(Col("note", "Note", keep=True))
    notes = [f"{count:,} × {bn}: how many {an} give the same total by each metric; power is chips × TDP (no "
             "hosts, network or cooling); cost is chips × the data's price (its kind and date: `chipcmp show`).",
             "Matching peak figures ignores what the interconnect and software deliver: a training cluster of "
             "weaker chips also needs more communication. The metric rows disagree: choose the one your workload "
             "is bound by."]
    if model_flops:
        notes.append(f"Training days at MFU {mfu:g} on BF16 dense peak for {model_flops:.3g} FLOPs.")
    return Result(out, cols, title=f"{an} to match {count:,} × {bn}", notes=notes,
                  assumptions={"chip": an, "to": bn, "count": count, "by": by, "mfu": mfu,
                               "model_flops": model_flops})


def is_system(name: str) -> bool:
    try:
        find(name)
    except UsageError:
        return False
    return True


def compare_systems(ds: Dataset, names: list[str], baseline: str | None = None) -> Result:
    """Systems side by side (their chip, size and totals as rows), with each one's ratio to a baseline."""
    import pandas as pd

    from chipcmp.result import BETTER, WORSE

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
            if i and _known(v) and _known(b) and b > 0:
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
