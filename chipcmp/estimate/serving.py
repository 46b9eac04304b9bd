"""`chipcmp serve`: how many chips a replica of a model needs, how fast it serves at a batch, and what a million
output tokens cost, on each chip.

The model (every assumption is returned with the result):

- A replica is the fewest chips that hold the weights and the KV cache of the batch at full context, rounded up
  to a power of two (tensor parallelism splits heads evenly), with `MEMORY_USABLE` of each chip's memory usable.
  When that is more chips than the chip's scale-up domain (NVLink, HCCS, ICI; from systems.csv or --system), the
  result says the replica would have to cross it.
- One decode step (one token for each sequence of the batch) takes the larger of
  bytes moved / (replica memory bandwidth × bandwidth efficiency) and FLOPs / (replica peak × compute efficiency),
  plus two all-reduces per layer over the chip's interconnect (ring: 2(n-1)/n of the activations each way, plus a
  fixed latency per collective). Bytes moved: the weights every token uses, the routed experts a batch touches
  (MoE: E × (1 − (1 − k/E)^B) of E experts per layer), and the batch's KV cache at the mean context.
- Prefill of one prompt: FLOPs / (peak × efficiency) against reading the weights once, plus its all-reduces;
  time to first token is that.
- Efficiencies come from published measurements of the chip (measured.csv: achieved matmul and memory bandwidth
  over peak) and fall back to stated defaults otherwise; each row says which it used.
- Cost per million output tokens: the purchase price spread over --years plus energy (TDP × PUE × --kwh-price),
  or a rental price per chip-hour, at full load.
- Chips the model does not represent (wafer-scale SRAM machines, deterministic dataflow chips) are listed as not
  modelled, with the reason, never with a bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chipcmp.core.fields import check_precision
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.data.models import Model
from chipcmp.errors import UsageError
from chipcmp.estimate.formulas import bytes_per, power_basis
from chipcmp.ranges import check_range

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset
    from chipcmp.data.schema import Precision


MEMORY_USABLE = 0.9  # of each chip's memory, for weights and KV cache (the rest: activations, runtime, fragmentation)


DEFAULT_COMPUTE_EFF = 0.6  # of peak, where no measurement of the chip is published


DEFAULT_BW_EFF = 0.8  # of peak memory bandwidth, likewise


COLLECTIVE_LATENCY_S = 8e-6  # per all-reduce (NVLink-class fabrics; a few µs of launch and sync)


ACTIVATION_BYTES = 2.0  # BF16 activations in the all-reduces


DEFAULT_TPOT_MS = 50.0  # --batch auto without --tpot-ms: an interactive target (20 tokens/s per user)


BATCHES = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)


@dataclass(frozen=True)
class ServePlan:
    model: Model
    weight_bytes: float = 2.0  # per parameter
    kv_bytes: float = 2.0  # per KV-cache element
    precision: str = "bf16"  # compute precision
    prompt: int = 2048  # tokens in
    output: int = 512  # tokens out
    batch: int | None = 1  # None: pick the batch that maximises throughput under tpot_ms
    tpot_ms: float | None = None
    years: float = 4.0
    kwh_usd: float = 0.10
    pue: float = 1.3
    rent_usd_hour: float | None = None
    system_domain: int | None = None  # scale-up domain from --system
    system_name: str = ""
    replica: int | None = None  # chips per replica, when the user fixes the tensor-parallel degree
    system_w: float | None = None  # --system: its stated power ÷ its chips

    @property
    def tpot_limit(self) -> float | None:
        return self.tpot_ms if self.tpot_ms is not None else (DEFAULT_TPOT_MS if self.batch is None else None)

    def check(self) -> None:
        check_precision(self.precision)
        context = self.model.context
        if context and self.prompt + self.output > context:
            raise UsageError(f"{self.model.name} reads at most {context:,} tokens (its context); --prompt "
                             f"{self.prompt:,} + --output-tokens {self.output:,} = {self.prompt + self.output:,}")
        for option, value in (("--years", self.years), ("--kwh-price", self.kwh_usd), ("--rent", self.rent_usd_hour),
                              ("--tpot-ms", self.tpot_ms), ("--pue", self.pue), ("--prompt", self.prompt),
                              ("--output-tokens", self.output), ("--replica", self.replica), ("--batch", self.batch)):
            check_range(value, option)


def compute_precision(weights: str) -> str:
    """The precision the matmuls run at: the weights' own, or BF16 for 4-bit weights (dequantised on the fly)."""
    return weights if bytes_per(weights) >= 1 else "bf16"


def chip_spec(r: pd.Series, precision: str, domain: int | None) -> dict[str, Any]:
    """What the estimate needs of one chip: peak at `precision`, memory and bandwidth, interconnect, and the
    efficiencies its published measurements give (measured.csv), else the stated defaults."""
    peak = r[f"{precision}_{check_precision(precision).unit}"]
    measured_c = r.get(f"{precision}_achieved_tflops") if precision in ("bf16", "fp8") else None
    measured_b = r.get("memory_bw_achieved_tbs")
    compute_eff = measured_c / peak if _num(measured_c) and _num(peak) else DEFAULT_COMPUTE_EFF
    bw_eff = measured_b / r["memory_bw_tbs"] if _num(measured_b) and _num(r["memory_bw_tbs"]) else DEFAULT_BW_EFF
    return {"peak_tflops": float(peak) if _num(peak) else float("nan"),
            "memory_bw_tbs": float(r["memory_bw_tbs"]) if _num(r["memory_bw_tbs"]) else float("nan"),
            "memory_gb": float(r["memory_gb"]) if _num(r["memory_gb"]) else float("nan"),
            "interconnect_gbs": float(r["interconnect_gbs"]) if _num(r["interconnect_gbs"]) else 0.0,
            "compute_eff": min(compute_eff, 1.0), "bw_eff": min(bw_eff, 1.0), "domain": domain,
            "measured_compute": _num(measured_c), "measured_bw": _num(measured_b)}


def not_modelled(row: pd.Series) -> str:
    """Why the decode model does not represent this chip, or ''."""
    memory = str(row.get("memory_type") or "")
    if row.get("kind") == "wafer":
        return "wafer-scale SRAM machine: weights stream from on-wafer SRAM and external memory, not HBM"
    if "SRAM" in memory.upper():
        return "SRAM-only design: a model is spread over many chips' SRAM in a deterministic pipeline"
    return ""


@dataclass(frozen=True)
class Estimate:
    chips: int
    batch: int
    step_s: float
    tokens_s: float
    ttft_s: float
    bound: str
    crosses_domain: bool


def _replica_chips(need_gb: float, memory_gb: float) -> int:
    n = max(1, math.ceil(need_gb / (memory_gb * MEMORY_USABLE)))
    return 1 << (n - 1).bit_length()  # a power of two: tensor parallelism splits heads evenly


def estimate(plan: ServePlan, chip: dict[str, Any], batch: int) -> Estimate | None:
    """One chip's replica at one batch; None when a needed figure of the chip is unknown."""
    m = plan.model
    peak, bw, memory = chip["peak_tflops"], chip["memory_bw_tbs"], chip["memory_gb"]
    if not (peak > 0 and bw > 0 and memory > 0):
        return None
    kv_per_token = m.kv_elements_per_token()
    kv_token_bytes = (kv_per_token or 0.0) * plan.kv_bytes
    context = plan.prompt + plan.output
    weights = m.params * plan.weight_bytes
    kv_total = kv_token_bytes * context * batch
    n = _replica_chips((weights + kv_total) / 1e9, memory)
    if plan.replica is not None:
        if plan.replica < n:
            return None  # does not fit
        n = plan.replica
    dense, experts = m.weight_split()
    touched = 1.0
    if m.moe and m.experts and m.experts_per_token:
        k_over_e = m.experts_per_token / m.experts
        touched = 1.0 - (1.0 - k_over_e) ** batch
    mean_context = plan.prompt + plan.output / 2
    bytes_step = (dense + experts * touched) * plan.weight_bytes + kv_token_bytes * mean_context * batch
    flops_step = batch * (2.0 * m.active_params + m.attention_flops_per_token(mean_context))
    t_mem = bytes_step / (n * bw * 1e12 * chip["bw_eff"])
    t_cmp = flops_step / (n * peak * 1e12 * chip["compute_eff"])
    t_comm = _allreduce_time(plan, chip, n, batch)
    step = max(t_mem, t_cmp) + t_comm
    prefill_flops = 2.0 * m.active_params * plan.prompt + m.attention_flops_per_token(plan.prompt / 2) * plan.prompt
    prefill_compute = prefill_flops / (n * peak * 1e12 * chip["compute_eff"])
    ttft = max(prefill_compute, m.params * plan.weight_bytes / (n * bw * 1e12 * chip["bw_eff"])) + \
        _allreduce_time(plan, chip, n, plan.prompt)
    # Continuous batching: every request's prompt is prefilled too, so a replica's output rate counts that work.
    cycle = batch * (prefill_compute + _allreduce_time(plan, chip, n, plan.prompt)) + plan.output * step
    domain = chip.get("domain")
    crosses = bool(domain and n > domain)
    bound = "memory" if t_mem >= t_cmp else "compute"
    if t_comm > max(t_mem, t_cmp):
        bound = "interconnect"
    return Estimate(n, batch, step, batch * plan.output / cycle, ttft, bound, crosses)


def _allreduce_time(plan: ServePlan, chip: dict[str, Any], n: int, tokens: int) -> float:
    m = plan.model
    if n == 1 or not m.layers or not m.hidden:
        return 0.0
    link = chip.get("interconnect_gbs") or 0.0
    if link <= 0:
        return float("inf")
    size = tokens * m.hidden * ACTIVATION_BYTES
    per_direction = link / 2 * 1e9
    one = 2 * (n - 1) / n * size / per_direction + COLLECTIVE_LATENCY_S
    return 2 * m.layers * one


def best_batch(plan: ServePlan, chip: dict[str, Any]) -> Estimate | None:
    """The batch with the most tokens per second per chip whose time per output token meets --tpot-ms."""
    best = None
    for b in BATCHES:
        e = estimate(plan, chip, b)
        if e is None:
            continue  # a figure is unknown, or the batch does not fit the fixed replica
        if plan.tpot_limit is not None and e.step_s * 1000 > plan.tpot_limit:
            continue
        # a replica inside the scale-up domain beats one that crosses it, whatever the numbers say
        key = (not e.crosses_domain, e.tokens_s / e.chips)
        if best is None or key > (not best.crosses_domain, best.tokens_s / best.chips):
            best = e
    return best


def serve(ds: Dataset, plan: ServePlan, chips: list[str], filters: Filters, domains: dict[str, int]) -> Result:
    """Per chip: chips per replica, output tokens/s per replica and per chip, time per output token, tokens/s per
    user, time to first token, $ per million output tokens (purchase and rental) and tokens per kWh."""
    import pandas as pd

    plan.check()
    p = check_precision(plan.precision)
    df = select(ds, chips, filters)
    out = pd.DataFrame([_chip_row(ds, plan, p, label, r, domains) for label, r in df.iterrows()])
    for c in ("chips_per_replica", "batch", "tokens_s_replica", "tokens_s_chip", "tpot_ms", "tokens_s_user",
              "ttft_s", "usd_per_mtok_buy", "usd_per_mtok_rent", "tokens_per_kwh"):
        if c not in out.columns:
            out[c] = float("nan")
    for c in ("bound", "eff_source", "note"):
        if c not in out.columns:
            out[c] = ""
    out = out.sort_values(["tokens_s_chip", "name"], ascending=[False, True], na_position="last", kind="mergesort")
    cols = [Col.of("name"), Col("chips_per_replica", "Chips / replica", True, kind="count", keep=True),
            Col("batch", "Batch", True, kind="count"),
            Col("tokens_s_chip", "Out tok/s per chip", True, keep=True, bar=True),
            Col("tpot_ms", "TPOT (ms)", True), Col("tokens_s_user", "Tok/s per user", True),
            Col("ttft_s", "TTFT (s)", True), Col("usd_per_mtok_buy", "$/M tok (buy)", True, keep=True),
            Col("usd_per_mtok_rent", "$/M tok (rent)", True), Col("tokens_per_kwh", "Tok/kWh", True),
            Col("bound", "Bound"), Col("eff_source", "Efficiency (compute/BW)"),
            Col("tokens_s_replica", "Out tok/s per replica", True), Col("note", "Note", keep=True)]
    title = f"Serving {plan.model.name} ({'MoE' if plan.model.moe else 'dense'}), {p.label} compute"
    return Result(out, cols, title=title, notes=_notes(plan), assumptions=_assumptions(plan, p.name))


def _chip_row(ds: Dataset, plan: ServePlan, p: Precision, label: object, r: pd.Series,
              domains: dict[str, int]) -> dict[str, object]:
    """One chip's estimate as a row of the table, or the reason it has none."""
    name = str(r["name"])
    base = {"name": name, "vendor": r["vendor"]}
    reason = not_modelled(r)
    if reason:
        return {**base, "note": f"not modelled: {reason}"}
    # A chip without units for the compute precision runs it from higher-precision units (FP8 weights
    # dequantised to BF16, as on Ascend 910B): the estimate says so rather than giving up.
    prec = p
    if not _num(r[p.column]) and ds.is_unsupported(label, p.column):
        prec = check_precision("bf16")
    chip = chip_spec(r, prec.name, plan.system_domain or domains.get(name))
    e = estimate(plan, chip, plan.batch) if plan.batch is not None else best_batch(plan, chip)
    if e is None:
        return {**base, "note": "no estimate: " + _no_estimate(ds, plan, prec, label, r)}
    price, rent = r.get("price_usd"), plan.rent_usd_hour or r.get("rent_usd_hour")
    watts, basis = power_basis(r["tdp_w"], r.get("deployed_w"), r.get("deployed_scope"), plan.system_w,
                               plan.system_name)
    energy_h = watts / 1000 * plan.pue * plan.kwh_usd if watts else float("nan")
    buy_h = float(price) / (plan.years * 8760) + energy_h if _num(price) else float("nan")
    mtok_s = e.tokens_s * 3600 / 1e6  # million tokens per replica-hour
    measured_c, measured_b = chip["measured_compute"], chip["measured_bw"]
    return {
        **base, "chips_per_replica": e.chips, "batch": e.batch, "tokens_s_replica": e.tokens_s,
        "tokens_s_chip": e.tokens_s / e.chips, "tpot_ms": e.step_s * 1000, "tokens_s_user": 1 / e.step_s,
        "ttft_s": e.ttft_s, "bound": e.bound,
        "usd_per_mtok_buy": e.chips * buy_h / mtok_s if not math.isnan(buy_h) else float("nan"),
        "usd_per_mtok_rent": e.chips * float(rent) / mtok_s if _num(rent) else float("nan"),
        "tokens_per_kwh": e.tokens_s * 3600 / (e.chips * watts * plan.pue / 1000) if watts else float("nan"),
        "power_basis": basis,
        "compute_eff": chip["compute_eff"], "bw_eff": chip["bw_eff"],
        "eff_source": ("measured" if measured_c else "default") + "/" + ("measured" if measured_b else "default"),
        "price_kind": (f"{r.get('price_kind')} {r.get('price_date')}" if _num(price) else ""),
        "note": "; ".join(x for x in (
            f"replica of {e.chips} crosses the {int(chip['domain'])}-chip scale-up domain"
            if e.crosses_domain else "",
            f"no {p.label} units: {prec.label} compute" if prec is not p else "",
            "no power figure (no TDP or system power published): no energy, so no $/M tok (buy) or tokens/kWh"
            if not watts else "") if x),
    }


def _no_estimate(ds: Dataset, plan: ServePlan, prec: Precision, label: object, r: pd.Series) -> str:
    """Why a chip has no estimate: a figure unknown or unsupported, weights that do not fit the replica asked
    for, or no batch within the latency target."""
    lacking = [c for c in (prec.column, "memory_bw_tbs", "memory_gb") if not _num(r[c])]
    if lacking:
        why = "not supported" if ds.is_unsupported(label, prec.column) else "unknown"
        return f"{', '.join(lacking)} {why}"
    weights = plan.model.params * plan.weight_bytes / 1e9
    if plan.replica is not None and weights > plan.replica * float(r["memory_gb"]) * MEMORY_USABLE:
        need = _replica_chips(weights, float(r["memory_gb"]))
        return (f"{weights:,.0f} GB of weights do not fit {plan.replica} × {float(r['memory_gb']):g} GB "
                f"({MEMORY_USABLE:.0%} usable); --replica {need} or more")
    if plan.replica is not None:
        return f"the KV cache of even one sequence does not fit --replica {plan.replica}"
    return f"no batch meets --tpot-ms {plan.tpot_limit:g}"


def _assumptions(plan: ServePlan, precision: str) -> dict[str, object]:
    m = plan.model
    return {
        "model": m.name, "params": m.params, "active_params": m.active_params, "moe": m.moe,
        "weight_bytes_per_param": plan.weight_bytes, "kv_bytes_per_element": plan.kv_bytes,
        "compute_precision": precision, "prompt_tokens": plan.prompt, "output_tokens": plan.output,
        "batch": "auto" if plan.batch is None else plan.batch, "chips_per_replica": plan.replica or "fewest",
        "tpot_ms_limit": plan.tpot_limit,
        "memory_usable": MEMORY_USABLE, "default_compute_eff": DEFAULT_COMPUTE_EFF, "default_bw_eff": DEFAULT_BW_EFF,
        "collective_latency_s": COLLECTIVE_LATENCY_S, "years": plan.years, "kwh_usd": plan.kwh_usd, "pue": plan.pue,
        "rent_usd_per_chip_hour": plan.rent_usd_hour, "system": plan.system_name or None,
    }


def _notes(plan: ServePlan) -> list[str]:
    m = plan.model
    kv = m.kv_elements_per_token()
    notes = [
        f"{m.name}: {m.params / 1e9:,.1f}B params ({m.active_params / 1e9:,.1f}B active per token"
        + (f", {m.experts_per_token} of {m.experts} experts" if m.moe else "") + f"); weights "
        f"{plan.weight_bytes:g} B/param = {m.params * plan.weight_bytes / 1e9:,.0f} GB; KV "
        + (f"{kv * plan.kv_bytes / 1024:,.0f} KiB per token ({m.attention})" if kv else "unknown (no shape)")
        + f"; prompt {plan.prompt:,} + output {plan.output:,} tokens.",
        "Decode step = max(bytes / (BW × eff), FLOPs / (peak × eff)) + 2 all-reduces per layer; output rate "
        "counts each request's prefill too (continuous batching); replica = fewest "
        f"chips (power of two) holding weights + KV in {MEMORY_USABLE:.0%} of memory; efficiencies from "
        f"measured.csv, else {DEFAULT_COMPUTE_EFF:g} compute / {DEFAULT_BW_EFF:g} bandwidth.",
        f"Cost at full load: price over {plan.years:g} years + energy at {plan.kwh_usd:g} $/kWh × PUE {plan.pue:g}"
        ", or the latest rental per chip-hour (prices.csv; --rent overrides).",
        "An upper bound: against published vLLM throughput on 8 × MI300X these estimates run 1.8–2.4× high "
        "(`chipcmp calibration`); compare chips by it, and discount absolute figures accordingly.",
    ]
    if plan.batch is None:
        notes.append("Batch: the one with the most output tokens/s per chip" +
                     f" whose time per output token is at most {plan.tpot_limit:g} ms" +
                     (" (the default target; --tpot-ms sets another)." if plan.tpot_ms is None else "."))
    return notes


def _num(v: object) -> bool:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return f == f and f > 0  # noqa: PLR0124


def scaleup_domains() -> dict[str, int]:
    """Chip -> the largest scale-up domain a published system of it has (systems.csv)."""
    from chipcmp.data.systems import catalogue

    out: dict[str, int] = {}
    for s in catalogue():
        if s.scaleup_domain:
            out[s.chip] = max(out.get(s.chip, 0), s.scaleup_domain)
    return out
