"""`chipcmp serve`: for each chip, the replica layout that serves a model best under a scenario's latency limits,
its output per chip (end to end, and in the decode phase alone) with the range published results give, and what
a million output tokens cost.

The raw model is `replica`'s; `scenarios` scales it by what published end-to-end runs of its class achieved
(`chipcmp calibration` shows each against its estimate), and the range is the spread of those runs. Prices carry
their own range (market prices that disagree) into $ per million tokens. Efficiencies start from the chip's
published measurements (measured.csv: achieved matmul and bandwidth over peak), else stated defaults.
Chips the model does not represent (wafer-scale SRAM machines, deterministic dataflow chips) are listed as not
modelled, with the reason, never with a bound.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.fields import check_precision, records
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.data.models import Model
from chipcmp.errors import UsageError
from chipcmp.estimate import replica as layout
from chipcmp.estimate.formulas import HOURS_PER_YEAR, NO_POWER, bytes_per, power_basis
from chipcmp.estimate.replica import DEFAULT_BW_EFF, DEFAULT_COMPUTE_EFF, efficiencies, not_modelled, positive
from chipcmp.estimate.scenarios import SCENARIOS, Factor, class_of, limits, pick
from chipcmp.ranges import check_range
from chipcmp.text import span, two_significant

if TYPE_CHECKING:
    from chipcmp.data.dataset import Dataset

DEFAULT_SCENARIO = "server"


class ServePlan(NamedTuple):
    """What is served and how: the model, its precisions and shape, the latency limits, the costs."""

    model: Model
    weight_bytes: float = 2.0  # per parameter
    kv_bytes: float = 2.0  # per KV-cache element
    precision: str = "bf16"  # compute precision
    prompt: int = 2048  # tokens in
    output: int = 512  # tokens out
    batch: int | None = None  # None: the batch with the most output under the limits
    tpot_ms: float | None = None
    years: float = 4.0
    kwh_usd: float = 0.10
    pue: float = 1.3
    rent_usd_hour: float | None = None
    system_name: str = ""
    replica: int | None = None  # chips per replica, when the user fixes it (the tool picks the layout)
    system_w: float | None = None  # --system: its stated power ÷ its chips
    scenario: str | None = None  # offline, server, interactive: MLPerf's latency limits
    ttft_ms: float | None = None
    tokens_per_step: float = 1.0  # mean tokens a decode step yields (multi-token prediction, speculation)

    @property
    def scenario_used(self) -> str:
        return self.scenario or ("offline" if self.batch is not None else DEFAULT_SCENARIO)

    def shape(self) -> layout.Shape:
        """The served shape with the latency limits: --tpot-ms and --ttft-ms where given, else the scenario's."""
        ttft, tpot = limits(self.model.name, self.scenario_used) if self.batch is None else (None, None)
        return layout.Shape(self.model, self.weight_bytes, self.kv_bytes, self.prompt, self.output,
                             self.tpot_ms if self.tpot_ms is not None else tpot,
                             self.ttft_ms if self.ttft_ms is not None else ttft, self.tokens_per_step)

    def check(self) -> None:
        check_precision(self.precision)
        context = self.model.context
        if context and self.prompt + self.output > context:
            raise UsageError(f"{self.model.name} reads at most {context:,} tokens (its context); --prompt "
                             f"{self.prompt:,} + --output-tokens {self.output:,} = {self.prompt + self.output:,}")
        if self.scenario is not None and self.scenario not in SCENARIOS:
            raise UsageError(f"--scenario {self.scenario!r} is not one of {', '.join(SCENARIOS)}")
        for option, value in (("--years", self.years), ("--kwh-price", self.kwh_usd), ("--rent", self.rent_usd_hour),
                              ("--tpot-ms", self.tpot_ms), ("--ttft-ms", self.ttft_ms), ("--pue", self.pue),
                              ("--prompt", self.prompt), ("--output-tokens", self.output),
                              ("--replica", self.replica), ("--batch", self.batch),
                              ("--tokens-per-step", self.tokens_per_step)):
            check_range(value, option)


def compute_precision(weights: str) -> str:
    """The precision the matmuls run at: the weights' own, or BF16 for 4-bit weights (dequantised on the fly)."""
    return weights if bytes_per(weights) >= 1 else "bf16"


CHECK_BAND = (0.67, 1.5)  # a chip's own published results outside this band of its estimates get a note


def chip_checks(ds: "Dataset") -> dict[str, list[float]]:
    """Per chip, how its estimates compared with its own published results (median ratio, results)."""
    from chipcmp.data import bundle

    built = bundle.computed(ds, "chip_checks")
    if built is not None:
        return dict(built)
    from chipcmp.estimate.calibration import chip_ratios

    return chip_ratios(ds)


def factors(ds: "Dataset") -> dict[str, Factor]:
    """The calibration factors: from the release's bundle for the bundled data, else computed."""
    from chipcmp.data import bundle

    built = bundle.computed(ds, "factors")
    if built is not None:
        return {c: Factor(*v) for c, v in built.items()}
    from chipcmp.estimate.calibration import factors as fit

    return fit(ds)


def serve(ds: "Dataset", plan: ServePlan, chips: list[str], filters: Filters,
          pods: Sequence[tuple[str, str, float | None]] = ()) -> Result:
    """Per chip: layout, output tokens/s per chip (end to end and decode) with ranges, time per output token,
    time to first token, $ per million output tokens (purchase and rental), tokens per kWh. `pods` (system name,
    its chip, its watts per chip) add one row each for a chip of the selection served in that system."""
    import pandas as pd

    plan.check()
    p = check_precision(plan.precision)
    fs = factors(ds)
    rows = estimate_rows(ds, plan, chips, filters, fs, pods)
    out = pd.DataFrame(rows)  # columns in the order the rows first name them
    for c in NUMBERS:
        if c not in out.columns:
            out[c] = float("nan")
    for c in TEXTS:
        if c not in out.columns:
            out[c] = ""
    out = out.take(by_output(rows))
    title = f"Serving {plan.model.name} ({'MoE' if plan.model.moe else 'dense'}), {p.label} compute, " \
            f"{plan.scenario_used} scenario"
    return Result(out, COLUMNS, title=title, notes=_notes(plan, fs), assumptions=_assumptions(plan, p.name, fs))


def by_output(rows: list[dict[str, object]]) -> list[int]:
    """The rows' positions, most output per chip first, those without an estimate last, each by name (a stable
    sort): the order of `serve`'s table and of `plan`'s candidates."""

    def key(r: dict[str, object]) -> tuple[bool, float, str]:
        t = r.get("tokens_s_chip")
        return (False, -t, str(r["name"])) if isinstance(t, float) and positive(t) else (True, 0.0, str(r["name"]))

    return sorted(range(len(rows)), key=lambda i: key(rows[i]))


def estimate_rows(ds: "Dataset", plan: ServePlan, chips: list[str], filters: Filters, fs: dict[str, Factor],
                  pods: Sequence[tuple[str, str, float | None]] = ()) -> list[dict[str, object]]:
    """`serve`'s rows as dicts, in the order of the selection (then the pods), calibrated by `fs` (`factors`): a
    row without an estimate has only its name, vendor, note and what is known. What `plan` builds on, without
    a table in between."""
    plan.check()
    p = check_precision(plan.precision)
    df = select(ds, chips, filters)
    chips_ = list(zip(df.index, records(df), strict=True))
    rows = [{**_chip_row(ds, plan, p.name, label, r, fs), "chip": r["name"], "system": ""} for label, r in chips_]
    by_name = {str(r["name"]): (label, r) for label, r in chips_}
    for system, chip, watts in pods:
        label, r = by_name[chip]
        in_pod = plan._replace(system_name=system, system_w=watts)
        rows.append({**_chip_row(ds, in_pod, p.name, label, r, fs), "chip": chip, "system": system})
    _checked(rows, chip_checks(ds))
    return rows


NUMBERS = ("chips_per_replica", "batch", "tokens_s_chip", "tokens_s_chip_low", "tokens_s_chip_high",
           "decode_tokens_s_chip", "decode_tokens_s_chip_low", "decode_tokens_s_chip_high", "tokens_s_replica",
           "tpot_ms", "tokens_s_user", "ttft_s", "usd_per_mtok_buy", "usd_per_mtok_buy_low", "usd_per_mtok_buy_high",
           "usd_per_mtok_rent", "usd_per_mtok_capex", "tokens_per_kwh", "prefill_tokens_s_chip",
           "prefill_tokens_s_chip_low", "prefill_tokens_s_chip_high", "power_w", "usd_per_chip_hour",
           "usd_per_chip_hour_low", "usd_per_chip_hour_high", "energy_usd_per_chip_hour", "price_usd", "price_usd_low",
           "price_usd_high")
TEXTS = ("layout", "box", "bound", "power_basis", "note", "tokens_range", "usd_range")
COLUMNS = [Col("name", "Name", keep=True), Col("chips_per_replica", "Chips / replica", True, kind="count", keep=True),
           Col("layout", "Layout"), Col("batch", "Batch", True, kind="count"),
           Col("tokens_s_chip", "Out tok/s per chip", True, kind="estimate", keep=True),
           Col("tokens_range", "range", keep=True),
           Col("decode_tokens_s_chip", "Decode tok/s per chip", True, kind="estimate", keep=True),
           Col("tpot_ms", "TPOT (ms)", True, kind="estimate"), Col("ttft_s", "TTFT (s)", True, kind="estimate"),
           Col("usd_per_mtok_buy", "$/M tok (buy)", True, kind="estimate", keep=True),
           Col("usd_range", "$ range", keep=True), Col("usd_per_mtok_rent", "$/M tok (rent)", True, kind="estimate"),
           Col("tokens_per_kwh", "Tok/kWh", True, kind="estimate"), Col("bound", "Bound"),
           Col("power_basis", "Power basis"), Col("box", "Scale-up domain"),
           Col("note", "Note", keep=True, kind="note")]


def _chip_row(ds: "Dataset", plan: ServePlan, precision: str, label: object, r: Mapping[str, Any],
              fs: dict[str, Factor]) -> dict[str, object]:
    """One chip's estimate as a row of the table, or the reason it has none."""
    from chipcmp.estimate.boxes import box_of

    base: dict[str, object] = {"name": str(r["name"]), "vendor": r["vendor"]}
    reason = not_modelled(r)
    if reason:
        return {**base, "note": f"not modelled: {reason}"}
    # A chip without units for the compute precision runs it from higher-precision units (FP8 weights
    # dequantised to BF16, as on Ascend 910B): the estimate says so rather than giving up.
    prec = precision
    spec = check_precision(prec)
    if not positive(r[f"{prec}_{spec.unit}"]) and ds.is_unsupported(label, spec.column):
        prec = "bf16"
    column = check_precision(prec).column
    if not (positive(r[column]) and positive(r["memory_bw_tbs"]) and positive(r["memory_gb"])):
        lacking = [c for c in (column, "memory_bw_tbs", "memory_gb") if not positive(r[c])]
        return {**base, "note": f"no estimate: {', '.join(lacking)} unknown"}
    box = box_of(str(r["name"]), r["interconnect_gbs"], plan.system_name)
    c_eff, b_eff = efficiencies(r, prec)
    chip = layout.chip_of(r, float(r[column]), box.domain, box.scaleout_gbs, c_eff, b_eff)
    shape = plan.shape()
    e = layout.best(shape, chip, plan.replica, plan.batch)
    if e is None:
        return {**base, "box": box.basis, "note": "no estimate: " + layout.why_none(shape, chip, plan.replica)}
    row = {**base, **_figures(plan, e, fs, r), "box": box.basis}
    if plan.scenario_used == "offline" and plan.batch is None:
        # no latency limits: at least what the server scenario sustains (the two classes are fitted apart, so
        # a memory-bound batch can leave the offline factor below the server one)
        server = plan._replace(scenario="server")
        e2 = layout.best(server.shape(), chip, plan.replica, None)
        alt = _figures(server, e2, fs, r) if e2 is not None else None
        if alt is not None and alt["tokens_s_chip"] > row["tokens_s_chip"]:  # type: ignore[operator]
            row.update(alt)
    capex: Any = row.get("usd_per_mtok_capex")
    row["note"] = "; ".join(x for x in (
        f"no {precision.upper()} units: {prec.upper()} compute" if prec != precision else "",
        f"no power figure ({NO_POWER}): no energy, so no $/M tok (buy) or tokens/kWh"
        + ("; the $ range gives the least it can cost: its price alone, at the fastest estimate (≥)"
           if positive(capex) else "")
        if not positive(row.get("tokens_per_kwh")) else "",
        "no market price of the chip (`chipcmp show` lists its prices, --price-kind order or cost uses others)"
        if not positive(r.get("price_usd")) else "") if x)
    return row


def _checked(rows: list[dict[str, object]], checks: dict[str, list[float]]) -> None:
    """A note on each chip whose own published results the model misses by more than CHECK_BAND."""
    for row in rows:
        ratio, n = checks.get(str(row["name"]), (1.0, 0))
        if n and positive(row.get("tokens_s_chip")) and not CHECK_BAND[0] <= ratio <= CHECK_BAND[1]:
            word = "optimistic" if ratio > 1 else "pessimistic"
            text = (f"the model is {ratio:.1f}× {word} against this chip's own {int(n)} published result"
                    f"{'s' * (n != 1)} (`chipcmp calibration`): read its figures near the "
                    f"{'low' if ratio > 1 else 'high'} end of the range")
            row["note"] = "; ".join(x for x in (str(row["note"]), text) if x)


def _figures(plan: ServePlan, e: layout.Estimate, fs: dict[str, Factor], r: Mapping[str, Any]) -> dict[str, object]:
    """The calibrated figures of an estimate, with their ranges, cost and energy."""
    moe = plan.model.moe
    f = pick(fs, class_of(moe, plan.scenario_used)) or Factor(1.0, 1.0, 1.0, 0)
    d = pick(fs, class_of(moe, "decode")) or f
    per_chip = e.tokens_s / e.chips
    decode = e.decode_tokens_s / e.chips
    watts, basis = power_basis(r["tdp_w"], r.get("deployed_w"), r.get("deployed_scope"), plan.system_w,
                               plan.system_name)
    out: dict[str, object] = {
        "chips_per_replica": e.chips, "layout": e.layout, "batch": e.batch, "bound": e.bound,
        "tokens_s_chip": per_chip * f.factor, "tokens_s_chip_low": per_chip * f.low,
        "tokens_s_chip_high": per_chip * f.high, "decode_tokens_s_chip": decode * d.factor,
        "decode_tokens_s_chip_low": decode * d.low, "decode_tokens_s_chip_high": decode * d.high,
        "tokens_s_replica": e.tokens_s * f.factor, "tpot_ms": e.step_s / plan.tokens_per_step * 1000,
        "tokens_s_user": plan.tokens_per_step / e.step_s, "ttft_s": e.ttft_s, "power_basis": basis,
        "tokens_per_kwh": per_chip * f.factor * 3600 / (watts * plan.pue / 1000) if watts else float("nan"),
    }
    out["tokens_range"] = span(per_chip * f.low, per_chip * f.high)
    pf = pick(fs, class_of(moe, "prefill")) or f
    prefill = plan.prompt / e.prefill_s / e.chips if e.prefill_s > 0 else float("nan")
    out.update(prefill_tokens_s_chip=prefill * pf.factor, prefill_tokens_s_chip_low=prefill * pf.low,
               prefill_tokens_s_chip_high=prefill * pf.high, power_w=watts or float("nan"))
    out.update(_costs(plan, per_chip, f, r, watts))
    return out


def _costs(plan: ServePlan, per_chip: float, f: Factor, r: Mapping[str, Any], watts: float | None) -> dict[str, object]:
    """$ per million output tokens at full load: price over --years plus energy, or the rental; the buy range
    pairs the cheapest price with the fastest estimate and the dearest with the slowest."""
    energy_h = watts / 1000 * plan.pue * plan.kwh_usd if watts else float("nan")
    rent: Any = plan.rent_usd_hour or r.get("rent_usd_hour")
    mtok_h = per_chip * 3600 / 1e6  # million tokens per chip-hour, before the factor

    def buy(price: Any, factor: float) -> float:
        if not positive(price) or not watts:
            return float("nan")
        return (float(price) / (plan.years * HOURS_PER_YEAR) + energy_h) / (mtok_h * factor)

    mid, low, high = buy(r.get("price_usd"), f.factor), buy(r.get("price_usd_low"), f.high), \
        buy(r.get("price_usd_high"), f.low)
    def hour(price: Any) -> float:  # one chip-hour bought: its price over --years plus its energy
        return float(price) / (plan.years * HOURS_PER_YEAR) + energy_h if positive(price) and watts else float("nan")

    return {"price_usd": r.get("price_usd"), "price_usd_low": r.get("price_usd_low"),
            "price_usd_high": r.get("price_usd_high"),
            "usd_per_chip_hour": hour(r.get("price_usd")), "usd_per_chip_hour_low": hour(r.get("price_usd_low")),
            "usd_per_chip_hour_high": hour(r.get("price_usd_high")), "energy_usd_per_chip_hour": energy_h,
            "usd_per_mtok_buy": mid, "usd_per_mtok_buy_low": low, "usd_per_mtok_buy_high": high,
            "usd_range": span(low, high) if positive(mid) else _floor(plan, r, mtok_h * f.high),
            # the price's share alone, known even where the power is not (a floor under $/M tok bought)
            "usd_per_mtok_capex": float(r["price_usd"]) / (plan.years * HOURS_PER_YEAR) / (mtok_h * f.factor)
            if positive(r.get("price_usd")) else float("nan"),
            "usd_per_mtok_rent": float(rent) / (mtok_h * f.factor) if positive(rent) else float("nan")}


def _floor(plan: ServePlan, r: Mapping[str, Any], mtok_h: float) -> str:
    """'≥0.30': the least a million tokens can cost where only the price is known (no power figure): the lowest
    price over --years at the fastest estimate, energy left out."""
    price: Any = r.get("price_usd_low") if positive(r.get("price_usd_low")) else r.get("price_usd")
    if not positive(price) or not mtok_h > 0:
        return "—"
    return "≥" + two_significant(float(price) / (plan.years * HOURS_PER_YEAR) / mtok_h)


def _assumptions(plan: ServePlan, precision: str, fs: dict[str, Factor]) -> dict[str, object]:
    m = plan.model
    shape = plan.shape()
    return {
        "model": m.name, "params": m.params, "active_params": m.active_params, "moe": m.moe,
        "weight_bytes_per_param": plan.weight_bytes, "kv_bytes_per_element": plan.kv_bytes,
        "compute_precision": precision, "prompt_tokens": plan.prompt, "output_tokens": plan.output,
        "scenario": plan.scenario_used, "tpot_ms_limit": shape.tpot_ms, "ttft_ms_limit": shape.ttft_ms,
        "tokens_per_step": plan.tokens_per_step, "batch": "auto" if plan.batch is None else plan.batch,
        "chips_per_replica": plan.replica or "best", "memory_usable": layout.MEMORY_USABLE,
        "default_compute_eff": DEFAULT_COMPUTE_EFF, "default_bw_eff": DEFAULT_BW_EFF,
        "step_overhead_s": layout.STEP_OVERHEAD_S, "factors": {c: f._asdict() for c, f in fs.items()},
        "years": plan.years, "kwh_usd": plan.kwh_usd, "pue": plan.pue,
        "rent_usd_per_chip_hour": plan.rent_usd_hour, "system": plan.system_name or None,
    }


def _notes(plan: ServePlan, fs: dict[str, Factor]) -> list[str]:
    m = plan.model
    kv = m.kv_elements_per_token()
    shape = plan.shape()
    f = pick(fs, class_of(m.moe, plan.scenario_used))
    limit = ", ".join(x for x in (f"TPOT ≤ {shape.tpot_ms:g} ms" if shape.tpot_ms else "",
                                  f"TTFT ≤ {shape.ttft_ms / 1000:g} s" if shape.ttft_ms else "") if x) or "none"
    return [
        f"{m.name}: {m.params / 1e9:,.1f}B params ({m.active_params / 1e9:,.1f}B active per token"
        + (f", {m.experts_per_token} of {m.experts} experts" if m.moe and m.experts else "") + f"); weights "
        f"{plan.weight_bytes:g} B/param = {m.params * plan.weight_bytes / 1e9:,.0f} GB; KV "
        + (f"{kv * plan.kv_bytes / 1024:,.0f} KiB per token ({m.attention})" if kv else "unknown (no shape)")
        + f"; prompt {plan.prompt:,} + output {plan.output:,} tokens.",
        f"Scenario {plan.scenario_used}: latency limits {limit} (MLPerf's where it defines them; --tpot-ms and "
        "--ttft-ms override). Layout and batch: the most output per chip within them (TPn: tensor parallel over n "
        "chips, EPn: experts spread over n chips; inside one scale-up domain unless it says 'over k domains').",
        "Out tok/s: end to end, prefill included (continuous batching); decode tok/s: the decode phase alone "
        "(batch ÷ TPOT ÷ chips), the figure disaggregated deployments publish.",
        (f"Calibrated on published runs of its class ({class_of(m.moe, plan.scenario_used)}: × {f.factor:.2f}, "
         f"range {f.low:.2f}–{f.high:.2f} over {f.n} runs; `chipcmp calibration`)." if f else
         "No published run of this class: the raw model, uncalibrated (`chipcmp calibration`)."),
        f"Cost at full load: price over {plan.years:g} years + energy at {plan.kwh_usd:g} $/kWh × PUE {plan.pue:g}"
        ", or the rental per chip-hour (prices.csv; --rent overrides); the $ range pairs the price range with the "
        "throughput range.",
    ]
