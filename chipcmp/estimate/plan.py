"""`chipcmp plan serve|train`: the fleet a workload needs on each candidate, what it costs, the power it draws,
and how sure that is; filtered by what a buyer may obtain under an export rule and by a budget and a power cap.

A candidate is a chip in its standard box (the serve and train estimates' own layout) or a rack or pod of
systems.csv (its scale-up domain and stated power). The fleet is whole replicas (serve: the output rate over the
replica's calibrated rate, rounded up) or the chips a run needs in --days (train), and for a pod whole systems.
Every figure carries the low and high that the estimate's calibrated range and the price range give.
"""

import math
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.fields import plural, records
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.errors import UsageError
from chipcmp.estimate import obtainable
from chipcmp.estimate.boxes import BOX_CHIPS
from chipcmp.estimate.formulas import HOURS_PER_YEAR
from chipcmp.ranges import check_range
from chipcmp.text import span, two_significant

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset
    from chipcmp.data.systems import System
    from chipcmp.estimate.serving import ServePlan
    from chipcmp.estimate.training import TrainPlan

SERVE_ORDER = {"usd": "usd_per_mtok_out", "capex": "capex_musd", "mw": "power_mw", "chips": "chips"}
TRAIN_ORDER = {"capex": "capex_musd", "mw": "power_mw", "chips": "chips", "days": "days", "usd": "capex_musd"}


class Goal(NamedTuple):
    """The constraints of a decision: a budget, a power cap, whether to scale down to them, the buyer's rule."""

    budget_usd: float | None = None
    power_mw: float | None = None
    fit: bool = False
    buyer: str | None = None
    rule: str | None = None
    by: str = "usd"
    pods: bool = True  # racks and pods of systems.csv as candidates beside the chips

    def check(self, orders: dict[str, str]) -> None:
        obtainable.check(self.buyer, self.rule)
        check_range(self.budget_usd, "--budget")
        check_range(self.power_mw, "--power")
        if self.by not in orders:
            raise UsageError(f"--by {self.by!r}: use one of {', '.join(orders)}")
        if self.fit and self.budget_usd is None and self.power_mw is None:
            raise UsageError("--fit scales a fleet down to --budget or --power: give one of them")


def pods(chip_names: set[str]) -> "list[System]":
    """The racks and pods (more than a box's chips) built from the candidate chips."""
    from chipcmp.data.systems import catalogue

    return [s for s in catalogue() if s.chip in chip_names and s.chips > BOX_CHIPS]


def _export(rows: list[dict[str, Any]], ds: "Dataset", goal: Goal) -> tuple[list[dict[str, Any]], list[str]]:
    """The candidates the buyer may obtain (and why each is kept), and the ones dropped with why."""
    if goal.buyer is None or goal.rule is None:
        return [{**r, "export": ""} for r in rows], []
    import numpy as np

    chip_rows = ds.frame.set_index("name", drop=False).loc[[r["chip"] for r in rows]]
    keep, why = obtainable.status(chip_rows.reset_index(drop=True), goal.buyer, goal.rule)
    marked = [{**r, "export": w} for r, w in zip(rows, why.tolist(), strict=True)]
    keep_ = np.asarray(keep, dtype=bool).tolist()
    kept = [r for r, k in zip(marked, keep_, strict=True) if k]
    dropped = [str(r["name"]) for r, k in zip(marked, keep_, strict=True) if not k]
    lines = [f"Not obtainable by a {goal.buyer.upper()} buyer under {goal.rule}: {len(dropped)} options, among them "
             + _names(dropped) + " (`chipcmp controls --rule " + str(goal.rule) + "` gives each class)."] \
        if dropped else []
    return kept, lines


def _constrain(row: dict[str, Any], goal: Goal, unit: int, per_chip: tuple[float, float, float] | None
               ) -> dict[str, Any]:
    """Against --budget and --power: 'ok', or how far over; with --fit the fleet scaled down to what fits, and
    the output rate (serve: `per_chip` rate and its range) it then gives."""
    over, unknown = [], []
    for name, limit, value, scale in (("budget", goal.budget_usd, row["capex_musd"], 1e6),
                                      ("power", goal.power_mw, row["power_mw"], 1.0)):
        if limit is not None:
            (over.append((name, value * scale / limit)) if _known(value) else unknown.append(name))
    worst = max((x for x in over if x[1] > 1), key=lambda x: x[1], default=None)
    if worst is None:
        return {**row, "status": f"unknown: no {' or '.join(unknown)} figure to check" if unknown else "ok"}
    if not goal.fit:
        return {**row, "status": f"over {worst[0]} {worst[1]:.1f}×", "feasible": False}
    units = math.floor(row["chips"] / unit / worst[1])
    if units < 1:
        return {**row, "status": f"not even one {'replica' if per_chip else 'unit'} fits", "feasible": False}
    scale = units * unit / row["chips"]
    chips = units * unit
    out = {**row, "chips": chips, "status": f"scaled to fit {worst[0]}: {scale:.0%} of the fleet"}
    for k in ("capex_musd", "power_mw", "energy_musd_year"):
        for s in ("", "_low", "_high"):
            if k + s in row:
                out[k + s] = row[k + s] * chips / row["chips" + s] if _known(row[k + s]) else row[k + s]
    out["chips_low"] = out["chips_high"] = chips  # a fixed fleet: the uncertainty is now in what it gives
    if per_chip is not None:
        rate, lo, hi = (chips * x for x in per_chip)
        out["status"] += f", {two_significant(rate)} tok/s ({span(lo, hi)})"
    return out


def _names(names: Any, most: int = 8) -> str:
    """The first `most` names, then how many more."""
    names = list(names)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _known(v: object) -> bool:
    return isinstance(v, (int, float)) and v == v and not math.isinf(v)  # noqa: PLR0124


# ---- serving ---------------------------------------------------------------------------------------------------

def serve_candidates(ds: "Dataset", sp: "ServePlan", chips: list[str], filters: Filters,
                     goal: Goal) -> list[dict[str, Any]]:
    """Each candidate's serving estimate: the chips in their box, then (unless a system was named) the racks and
    pods of the chips selected, in one pass; in `serve`'s order (most output per chip first), each named for
    what is bought (the chip, or the system)."""
    from chipcmp.data.systems import catalogue
    from chipcmp.estimate import serving

    extra = []
    if goal.pods and not sp.system_name:
        names = set(select(ds, chips, filters)["name"])
        extra = [(s.name, s.chip, s.power_kw * 1000 / s.chips if s.power_kw else None) for s in pods(names)]
    found = serving.estimate_rows(ds, sp, chips, filters, serving.factors(ds), extra)
    rows = [found[i] for i in serving.by_output(found)]
    nan = float("nan")
    sized = {s.name: s.chips for s in catalogue()}
    out = []
    for r in rows:
        row = {**dict.fromkeys(serving.NUMBERS, nan), **dict.fromkeys(serving.TEXTS, ""), **r}
        row["unit_chips"] = sized.get(str(row["system"]), 0)
        row["name"] = row["system"] or row["chip"]
        out.append(row)
    return out


def _serve_fleet(r: dict[str, Any], rate: float, sp: "ServePlan") -> dict[str, Any]:
    """Replicas for `rate` output tokens/s at the estimate and at its range; chips, capex, power, $ per token."""
    cpr = int(r["chips_per_replica"])
    unit = int(r["unit_chips"]) or cpr

    def chips_for(per_chip: float) -> float:
        if not _known(per_chip) or per_chip <= 0:
            return float("nan")
        n = math.ceil(rate / (per_chip * cpr)) * cpr
        return float(math.ceil(n / unit) * unit) if r["unit_chips"] else float(n)

    n, n_low, n_high = (chips_for(r["tokens_s_chip"]), chips_for(r["tokens_s_chip_high"]),
                        chips_for(r["tokens_s_chip_low"]))
    w = r["power_w"]
    out: dict[str, Any] = {"name": r["name"], "chip": r["chip"], "layout": r["layout"], "chips": n,
                           "chips_low": n_low, "chips_high": n_high, "export": r.get("export", ""),
                           "units": n / unit if r["unit_chips"] else float("nan"), "feasible": True}
    for suffix, chips_ in (("", n), ("_low", n_low), ("_high", n_high)):
        price = r["price_usd" + suffix]
        out["capex_musd" + suffix] = chips_ * price / 1e6 if _known(price) else float("nan")
        out["power_mw" + suffix] = chips_ * w / 1e6 if _known(w) else float("nan")
    out["energy_musd_year"] = out["power_mw"] * 1000 * sp.pue * sp.kwh_usd * HOURS_PER_YEAR / 1e6
    out["decode_rate"], out["energy_h"] = r["decode_tokens_s_chip"], r["energy_usd_per_chip_hour"]
    out["chip_price"] = r["price_usd"]
    floor_price = r["price_usd_low"] if _known(r["price_usd_low"]) else r["price_usd"]
    fastest = r["decode_tokens_s_chip_high"]
    out["usd_per_mtok_out_floor"] = (floor_price / (sp.years * HOURS_PER_YEAR) / (fastest * 3600) * 1e6
                                     if _known(floor_price) and _known(fastest) and fastest > 0 else float("nan"))
    for side, col in (("out", "decode_tokens_s_chip"), ("in", "prefill_tokens_s_chip")):
        mid, lo, hi = (r[col], r[col + "_high"], r[col + "_low"])  # a faster chip makes a token cheaper
        out[f"usd_per_mtok_{side}"] = r["usd_per_chip_hour"] / (mid * 3600) * 1e6
        out[f"usd_per_mtok_{side}_low"] = r["usd_per_chip_hour_low"] / (lo * 3600) * 1e6
        out[f"usd_per_mtok_{side}_high"] = r["usd_per_chip_hour_high"] / (hi * 3600) * 1e6
    return out


SERVE_COLUMNS = [
    Col("name", "Option", keep=True), Col("chips", "Chips", True, kind="count", keep=True),
    Col("chips_range", "range"), Col("layout", "Layout"),
    Col("capex_musd", "Capex ($M)", True, kind="estimate", keep=True), Col("capex_range", "range"),
    Col("power_mw", "MW", True, kind="estimate", keep=True),
    Col("usd_per_mtok_out", "$/M out", True, kind="estimate", keep=True), Col("out_range", "range", keep=True),
    Col("usd_per_mtok_in", "$/M in", True, kind="estimate"), Col("energy_musd_year", "Energy $M/yr", True,
                                                                kind="estimate"),
    Col("status", "Status", keep=True), Col("export", "Export", kind="note", keep=True),
    Col("note", "Note", kind="note", keep=True),
]


def plan_serve(ds: "Dataset", sp: "ServePlan", rate: float, goal: Goal, chips: list[str], filters: Filters) -> Result:
    """The fleet per candidate for `rate` output tokens/s under the plan's latency limits, best first."""
    import pandas as pd

    goal.check(SERVE_ORDER)
    check_range(rate, "--output-rate")
    cands, dropped = _export(serve_candidates(ds, sp, chips, filters, goal), ds, goal)
    rows, missing = [], []
    for r in cands:
        if not _known(r["tokens_s_chip"]):
            missing.append(str(r["name"]))
            continue
        fleet = _constrain(_serve_fleet(r, rate, sp), goal, int(r["unit_chips"]) or int(r["chips_per_replica"]),
                           (r["tokens_s_chip"], r["tokens_s_chip_low"], r["tokens_s_chip_high"]))
        rows.append({**fleet, "note": r["note"]})
    out = _finish(pd.DataFrame(rows), SERVE_ORDER[goal.by])
    title = f"Serving {sp.model.name} at {rate:,.0f} output tokens/s, {sp.scenario_used} scenario"
    notes = [_verdict_serve(out, sp, goal), *dropped,
             *([f"No estimate for {plural(len(missing), 'option')} ({_names(missing)}); `chipcmp serve` says why for "
                "each."] if missing else []),
             "Chips: whole replicas (a pod: whole systems) for the output rate at the calibrated estimate; range: "
             "at the estimate's calibrated low and high (`chipcmp calibration`) and the price range. MW: chips × "
             "the power basis (system power ÷ chips, else TDP, else deployed; no PUE). $/M out and in: a chip-hour "
             f"bought (price over {sp.years:g} years + energy at {sp.kwh_usd:g} $/kWh × PUE {sp.pue:g}) over the "
             "decode and the prefill rate.",
             obtainable_note(goal)]
    assumptions = {"output_rate": rate, "by": goal.by, "budget_usd": goal.budget_usd, "power_mw": goal.power_mw,
                   "fit": goal.fit, "buyer": goal.buyer, "rule": goal.rule, "model": sp.model.name,
                   "scenario": sp.scenario_used, "years": sp.years, "kwh_usd": sp.kwh_usd, "pue": sp.pue}
    return Result(out, _columns(SERVE_COLUMNS, goal), title=title, notes=[n for n in notes if n],
                  assumptions=assumptions)


def _columns(cols: list[Col], goal: Goal) -> list[Col]:
    """The plan's columns: the export one only for a --buyer, the days one for train only when they vary."""
    return [c for c in cols if c.key != "export" or goal.buyer is not None]


def obtainable_note(goal: Goal) -> str:
    if goal.buyer is None:
        return ""
    from chipcmp.estimate.rules import DISCLAIMER, RULE_BY_ID

    r = RULE_BY_ID[goal.rule or ""]
    return f"Export: {goal.buyer.upper()} buyer under {r.id} ({r.citation}). {DISCLAIMER}"


def _finish(out: "pd.DataFrame", key: str) -> "pd.DataFrame":
    """Ranges as text beside their figures, feasible options first, best first by `key`."""
    import pandas as pd

    if out.empty:
        return pd.DataFrame(columns=[c.key for c in SERVE_COLUMNS + TRAIN_COLUMNS if c.key != "note"] + ["note"])
    for base, label in (("chips", "chips_range"), ("capex_musd", "capex_range"), ("usd_per_mtok_out", "out_range"),
                        ("days", "days_range")):
        if f"{base}_low" in out.columns:
            out[label] = [span(a, b) for a, b in zip(out[f"{base}_low"], out[f"{base}_high"], strict=True)]
    if "usd_per_mtok_out_floor" in out.columns:  # no power figure: the least a token can cost, its price alone
        floor = out["usd_per_mtok_out_floor"]
        unknown = out["usd_per_mtok_out"].isna() & floor.notna() & (floor > 0)
        out.loc[unknown, "out_range"] = ["≥" + two_significant(v) for v in floor[unknown]]
    if "feasible" not in out.columns:
        out["feasible"] = True
    out["feasible"] = out["feasible"].fillna(True).astype(bool)
    return out.sort_values(["feasible", key, "name"], ascending=[False, True, True], na_position="last",
                           kind="mergesort").reset_index(drop=True)


def _verdict_serve(out: "pd.DataFrame", sp: "ServePlan", goal: Goal) -> str:
    """The winner, then the chip price below which each of the next options would win on $ per token."""
    key = SERVE_ORDER[goal.by]
    text, best = _verdict(out, key, goal.by)
    if best is None or key != "usd_per_mtok_out":
        return text
    others = out[(out["name"] != best["name"]) & out["feasible"]].head(3)
    return text + "".join(_breakeven(best, r, sp) for _, r in others.iterrows())


def _verdict(out: "pd.DataFrame", key: str, by: str) -> "tuple[str, pd.Series | None]":
    """Which option wins on `key`, by how much over the next, and whether their ranges overlap; and the winner."""
    ok = out[out["feasible"] & out[key].notna()] if not out.empty else out
    if ok.empty:
        return "Verdict: no option meets the constraints with known figures.", None
    best = ok.iloc[0]
    if len(ok) == 1:
        return f"Verdict: {best['name']} is the only option with known figures ({_fmt(best, key)}).", best
    second = ok.iloc[1]
    low, high = f"{key}_low", f"{key}_high"
    overlap = ("; their ranges overlap, so the order is not certain" if low in ok.columns and
               second[low] <= best[high] else "")
    return (f"Verdict: {best['name']} wins on {by} ({_fmt(best, key)}), {second[key] / best[key]:.1f}× better than "
            f"{second['name']} ({_fmt(second, key)}){overlap}.", best)


def _fmt(row: "pd.Series", key: str) -> str:
    unit = {"usd_per_mtok_out": "$/M output tokens", "capex_musd": "$M capex", "power_mw": "MW", "chips": "chips",
            "days": "days"}[key]
    return f"{two_significant(row[key])} {unit}"


def _breakeven(best: "pd.Series", other: "pd.Series", sp: "ServePlan") -> str:
    """What `other` would need to beat the winner on $ per output token: below which chip price (its energy
    known), or below which power per chip (its price known, its power not: Ascend 910B)."""
    if not _known(other["decode_rate"]):
        return ""
    hour_needed = best["usd_per_mtok_out"] * other["decode_rate"] * 3600 / 1e6  # the chip-hour cost that ties
    if _known(other["energy_h"]):
        price_tie = (hour_needed - other["energy_h"]) * sp.years * HOURS_PER_YEAR
        if price_tie <= 0:
            return f" {other['name']} cannot win on price alone: its energy per token costs more."
        return f" {other['name']} wins if its price is below ${two_significant(price_tie)} per chip."
    if _known(other.get("chip_price")):
        room = hour_needed - other["chip_price"] / (sp.years * HOURS_PER_YEAR)
        if room <= 0:
            overlap = (_known(other.get("usd_per_mtok_out_floor")) and _known(best.get("usd_per_mtok_out_high"))
                       and other["usd_per_mtok_out_floor"] <= best["usd_per_mtok_out_high"])
            return (f" {other['name']} cannot win at the central estimates: its price alone costs more per token, "
                    "whatever its power" + (" (the ranges overlap, so this is not certain)." if overlap else "."))
        watts = room / (sp.pue * sp.kwh_usd) * 1000
        return (f" {other['name']} (no power figure) wins if it draws under {two_significant(watts)} W per chip "
                f"(PUE {sp.pue:g}, ${sp.kwh_usd:g}/kWh).")
    return ""


# ---- training --------------------------------------------------------------------------------------------------

TRAIN_COLUMNS = [
    Col("name", "Option", keep=True), Col("chips", "Chips", True, kind="count", keep=True),
    Col("chips_range", "range"), Col("days", "Days", True, kind="estimate", keep=True),
    Col("days_range", "range", keep=True), Col("capex_musd", "Capex ($M)", True, kind="estimate", keep=True),
    Col("capex_range", "range"), Col("power_mw", "MW", True, kind="estimate", keep=True),
    Col("energy_mwh", "MWh", True, kind="estimate"), Col("status", "Status", keep=True),
    Col("export", "Export", kind="note", keep=True),
]


def _train_fleet(r: dict[str, Any], tp: "TrainPlan", unit: int) -> dict[str, Any]:
    """Chips for --days (or days on --chips) at the default MFU and at the ends of its range."""
    out: dict[str, Any] = {"name": r["name"], "chip": r["chip"], "export": r.get("export", ""), "feasible": True}
    hours = {"": r["chip_hours"], "_low": r["chip_hours_low"], "_high": r["chip_hours_high"]}
    for s, h in hours.items():
        if tp.days is not None:
            out["chips" + s] = float(math.ceil(h / (tp.days * 24) / unit) * unit) if _known(h) else float("nan")
            out["days" + s] = tp.days
        else:
            out["chips" + s] = float(tp.chips or 0)
            out["days" + s] = h / (tp.chips or 1) / 24 if _known(h) else float("nan")
    price = {"": r["price_usd"], "_low": r.get("price_usd_low"), "_high": r.get("price_usd_high")}
    for s in ("", "_low", "_high"):
        p = price[s]
        out["capex_musd" + s] = out["chips" + s] * p / 1e6 if _known(p) else float("nan")
        out["power_mw" + s] = out["chips" + s] * r["power_w"] / 1e6 if _known(r["power_w"]) else float("nan")
    out["energy_mwh"] = r["energy_mwh"]
    out["energy_musd_year"] = float("nan")
    return out


def plan_train(ds: "Dataset", tp: "TrainPlan", goal: Goal, chips: list[str], filters: Filters) -> Result:
    """Chips (for --days) or days (on --chips) per candidate, with capex, MW and MWh and their ranges."""
    import pandas as pd

    from chipcmp.estimate import training

    goal.check(TRAIN_ORDER)
    if (tp.days is None) == (tp.chips is None):
        raise UsageError("plan train needs --days N (how many chips?) or --chips N (how long?)")
    base = training.train(ds, tp, chips, filters).frame
    df = select(ds, chips, filters).set_index("name", drop=False)
    base = base.assign(chip=base["name"], price_usd_low=df.loc[base["name"], "price_usd_low"].to_numpy(),
                       price_usd_high=df.loc[base["name"], "price_usd_high"].to_numpy())
    cands, dropped = _export(records(base), ds, goal)
    rows, missing = [], []
    for r in cands:
        if not _known(r["chip_hours"]):
            missing.append(str(r["name"]))
            continue
        rows.append(_constrain(_train_fleet(r, tp, 1), goal, 1, None))
    out = _finish(pd.DataFrame(rows), TRAIN_ORDER[goal.by])
    what = tp.model or "the model"
    title = f"Training {what} on {tp.tokens / 1e12:g}T tokens" + (f" in {tp.days:g} days" if tp.days else
                                                                 f" on {tp.chips:,} chips")
    notes = [_verdict(out, TRAIN_ORDER[goal.by], goal.by)[0], *dropped,
             *([f"No estimate for {plural(len(missing), 'option')} ({_names(missing)}): no BF16 figure."]
               if missing else []),
             f"At MFU {tp.mfu:g}; ranges at the MFU range published runs imply (`chipcmp calibration`) and the "
             "price range. MW: chips × the power basis (no PUE).", obtainable_note(goal)]
    return Result(out, _columns(TRAIN_COLUMNS, goal), title=title, notes=[n for n in notes if n],
                  assumptions={"tokens": tp.tokens, "days": tp.days, "chips": tp.chips, "mfu": tp.mfu,
                               "by": goal.by, "budget_usd": goal.budget_usd, "power_mw": goal.power_mw,
                               "buyer": goal.buyer, "rule": goal.rule})
