"""One replica of a model on one chip type: its layout, the time of a decode step and of a prefill, and what it
sustains under latency limits. The raw, uncalibrated model; `scenarios` scales it by what published runs
achieved.

- A replica holds the weights and the batch's KV cache in MEMORY_USABLE of its chips' memory. Dense models use
  tensor parallelism (two all-reduces per layer); a mixture of experts spreads its experts over the replica
  (expert parallelism: an all-to-all dispatch and combine per MoE layer) with attention split the same way.
- Inside the scale-up domain collectives use the chip's interconnect; a replica larger than the domain (MoE only,
  and only where a system of the chip states its scale-out bandwidth) sends its all-to-all over the scale-out
  network, the slower of the two.
- A decode step takes max(bytes / (bandwidth × efficiency), FLOPs / (peak × efficiency)) plus its collectives and
  a fixed per-step overhead; with multi-token prediction or speculative decoding a step yields
  `tokens_per_step` tokens. A prefill of one prompt is compute-bound against reading the weights once.
- Under a latency target the batch is the largest that keeps the time per output token within --tpot-ms and the
  time to first token (the prompt's prefill, queued behind others at the target load) within --ttft-ms.
"""

import math
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.models import Model

MEMORY_USABLE = 0.9  # of each chip's memory, for weights and KV cache (the rest: activations, runtime, fragmentation)
COLLECTIVE_LATENCY_S = 8e-6  # per collective (NVLink-class fabrics; a few µs of launch and sync)
STEP_OVERHEAD_S = 2e-3  # per decode step: scheduling, kernel launches, sampling (serving frameworks measure 1-5 ms)
ACTIVATION_BYTES = 2.0  # BF16 activations in the collectives
QUEUE_FACTOR = 1.5  # time to first token under load: the prefill itself plus half as long queued (M/D/1 at ~50%)
BATCHES = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)
MAX_REPLICA = 512
DEFAULT_COMPUTE_EFF = 0.6  # of peak, where no measurement of the chip is published
DEFAULT_BW_EFF = 0.8  # of peak memory bandwidth, likewise


class Shape(NamedTuple):
    """What is served and under which limits."""

    model: "Model"
    weight_bytes: float
    kv_bytes: float
    prompt: int
    output: int
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_step: float = 1.0


class Chip(NamedTuple):
    peak_tflops: float
    memory_bw_tbs: float
    memory_gb: float
    interconnect_gbs: float
    domain: int
    scaleout_gbs: float | None
    compute_eff: float
    bw_eff: float


class Estimate(NamedTuple):
    """One replica at one batch. A tuple: the layout search builds thousands of them (a frozen dataclass's
    __init__ cost ~10x as much)."""

    chips: int
    batch: int
    step_s: float  # one decode step
    tokens_s: float  # output tokens per second of the replica, prefill included (end to end)
    decode_tokens_s: float  # output tokens per second of the replica's decode phase alone (batch / TPOT)
    prefill_s: float  # one prompt's prefill
    ttft_s: float
    bound: str
    layout: str


def fewest_chips(shape: Shape, chip: Chip, batch: int = 1) -> int:
    """The fewest chips (a power of two) whose usable memory holds the weights and `batch` sequences' KV."""
    need = (shape.model.params * shape.weight_bytes + _kv_bytes(shape) * batch) / 1e9
    n = max(1, math.ceil(need / (chip.memory_gb * MEMORY_USABLE)))
    return 1 << (n - 1).bit_length()


def _kv_bytes(shape: Shape) -> float:
    """KV cache of one sequence at full context."""
    return (shape.model.kv_elements_per_token() or 0.0) * shape.kv_bytes * (shape.prompt + shape.output)


def replica_sizes(shape: Shape, chip: Chip, fixed: int | None) -> list[int]:
    """Replica sizes worth trying: the one asked for, or from the fewest that hold the weights up to the
    scale-up domain (dense) or beyond it over the scale-out network (a mixture of experts, when stated)."""
    if fixed is not None:
        return [fixed]
    low = fewest_chips(shape, chip)
    top = chip.domain
    if shape.model.moe and chip.scaleout_gbs:
        top = MAX_REPLICA
    sizes = []
    n = low
    while n <= max(low, top):
        sizes.append(n)
        n *= 2
    return sizes


def estimate(shape: Shape, chip: Chip, n: int, batch: int) -> Estimate | None:
    """The replica of `n` chips at `batch`; None when the batch's KV cache does not fit or a figure is missing."""
    fixed = _fixed(shape, chip, n)
    return _estimate(shape, chip, n, batch, fixed) if fixed is not None else None


class _Fixed(NamedTuple):
    """What a replica's estimate needs that does not depend on the batch: worked out once per layout."""

    weights: float  # bytes of the weights
    kv_seq: float  # bytes of one sequence's KV cache at full context
    capacity: float  # usable bytes of the replica's memory
    dense: float
    experts: float
    mean_context: float
    kv_token: float  # KV bytes per token of context
    attention: float  # attention FLOPs of one new token at the mean context
    mem_rate: float  # bytes per second the replica streams
    flop_rate: float  # FLOP/s the replica sustains
    prefill: float  # one prompt's prefill, seconds
    layout: str


def _fixed(shape: Shape, chip: Chip, n: int) -> _Fixed | None:
    m = shape.model
    if not (chip.peak_tflops > 0 and chip.memory_bw_tbs > 0 and chip.memory_gb > 0):
        return None
    dense, experts = m.weight_split()
    mem_rate = n * chip.memory_bw_tbs * 1e12 * chip.bw_eff
    flop_rate = n * chip.peak_tflops * 1e12 * chip.compute_eff
    prefill_flops = (2.0 * m.active_params + m.attention_flops_per_token(shape.prompt / 2)) * shape.prompt
    prefill = max(prefill_flops / flop_rate, m.params * shape.weight_bytes / mem_rate) + \
        _collectives(m, chip, n, shape.prompt)
    mean_context = shape.prompt + shape.output / 2
    return _Fixed(m.params * shape.weight_bytes, _kv_bytes(shape), n * chip.memory_gb * 1e9 * MEMORY_USABLE,
                  dense, experts, mean_context, (m.kv_elements_per_token() or 0.0) * shape.kv_bytes,
                  m.attention_flops_per_token(mean_context), mem_rate, flop_rate, prefill, _layout(m, chip, n))


def _estimate(shape: Shape, chip: Chip, n: int, batch: int, f: _Fixed) -> Estimate | None:
    m = shape.model
    if f.weights + f.kv_seq * batch > f.capacity:
        return None
    touched = 1.0
    if m.moe and m.experts and m.experts_per_token:
        touched = 1.0 - (1.0 - m.experts_per_token / m.experts) ** batch
    bytes_step = (f.dense + f.experts * touched) * shape.weight_bytes + f.kv_token * f.mean_context * batch
    tps = shape.tokens_per_step
    flops_step = batch * tps * (2.0 * m.active_params + f.attention)
    t_mem = bytes_step / f.mem_rate
    t_cmp = flops_step / f.flop_rate
    t_comm = _collectives(m, chip, n, batch * tps)
    step = max(t_mem, t_cmp) + t_comm + STEP_OVERHEAD_S
    # Continuous batching: every request's prompt is prefilled too, so a replica's output rate counts that work.
    cycle = batch * f.prefill + shape.output / tps * step
    bound = "interconnect" if t_comm > max(t_mem, t_cmp) else ("memory" if t_mem >= t_cmp else "compute")
    return Estimate(n, batch, step, batch * shape.output / cycle, batch * tps / step, f.prefill,
                    f.prefill * QUEUE_FACTOR, bound, f.layout)


def _layout(m: "Model", chip: Chip, n: int) -> str:
    if n == 1:
        return "1 chip"
    split = f"EP{n}" if m.moe else f"TP{n}"
    return split if n <= chip.domain else f"{split} over {math.ceil(n / chip.domain)} domains"


def _collectives(m: "Model", chip: Chip, n: int, tokens: float) -> float:
    """Two all-reduces per layer (tensor parallel) or an all-to-all dispatch and combine per layer (experts)."""
    if n == 1 or not m.layers or not m.hidden:
        return 0.0
    link = chip.interconnect_gbs if n <= chip.domain else (chip.scaleout_gbs or 0.0)
    if link <= 0:
        return float("inf")
    size = tokens * m.hidden * ACTIVATION_BYTES
    per_direction = link / 2 * 1e9
    one = (2 * (n - 1) / n if not m.moe else (n - 1) / n) * size / per_direction + COLLECTIVE_LATENCY_S
    return 2 * m.layers * one


def best(shape: Shape, chip: Chip, fixed: int | None = None, batch: int | None = None) -> Estimate | None:
    """The layout and batch with the most output per chip that meets the latency limits (or at the batch
    given); a replica inside the scale-up domain beats one that crosses it at equal throughput. A layout that
    outputs nothing (its collectives cross a link of no known speed) is none: `why_none` says why."""
    found: Estimate | None = None
    for n in replica_sizes(shape, chip, fixed):
        f = _fixed(shape, chip, n)
        if f is None:
            continue
        e = _largest(shape, chip, n, f, (batch,) if batch is not None else BATCHES)
        if e is not None and e.tokens_s > 0 and (found is None or _key(e, chip) > _key(found, chip)):
            found = e
    return found


def _largest(shape: Shape, chip: Chip, n: int, f: _Fixed, batches: tuple[int, ...]) -> Estimate | None:
    """The replica at the largest batch that fits and meets the limits, found by bisection. A larger batch holds
    more KV cache and takes longer per step, so the batches that pass are a prefix of `batches`; and output per
    second rises with the batch (a step's time is a fixed part plus parts that grow at most linearly with it),
    so the largest that passes is the best. (Where nothing is output, every batch ties at zero: `best` drops
    such a layout.)"""
    lo, hi, found = 0, len(batches), None  # batches[:lo] pass; batches[hi:] fail
    while lo < hi:
        mid = (lo + hi) // 2
        e = _estimate(shape, chip, n, batches[mid], f)
        if e is not None and _meets(shape, e):
            lo, found = mid + 1, e
        else:
            hi = mid
    return found


def _meets(shape: Shape, e: Estimate) -> bool:
    if shape.tpot_ms is not None and e.step_s / shape.tokens_per_step * 1000 > shape.tpot_ms:
        return False
    return not (shape.ttft_ms is not None and e.ttft_s * 1000 > shape.ttft_ms)


def _key(e: Estimate, chip: Chip) -> tuple[float, bool]:
    return (e.tokens_s / e.chips, e.chips <= chip.domain)


def why_none(shape: Shape, chip: Chip, fixed: int | None) -> str:
    """Why no layout meets the limits: the weights alone, the KV cache, or the latency targets."""
    weights = shape.model.params * shape.weight_bytes / 1e9
    if fixed is not None and weights > fixed * chip.memory_gb * MEMORY_USABLE:
        need = fewest_chips(shape, chip)
        return (f"{weights:,.0f} GB of weights do not fit {fixed} × {chip.memory_gb:g} GB "
                f"({MEMORY_USABLE:.0%} usable); --replica {need} or more")
    if fixed is not None and estimate(shape, chip, fixed, 1) is None:
        return f"the KV cache of even one sequence does not fit --replica {fixed}"
    ones = [e for n in replica_sizes(shape, chip, fixed) if (e := estimate(shape, chip, n, 1)) is not None]
    if not ones:
        return (f"{weights:,.0f} GB of weights and the KV cache do not fit the {chip.domain}-chip scale-up domain "
                f"of {chip.memory_gb:g} GB chips")
    fastest = min(ones, key=lambda e: e.step_s)
    if math.isinf(fastest.step_s):
        why = ("and no scale-out bandwidth is published for a system of it" if shape.model.moe else
               "which tensor parallelism does not cross (pipeline parallelism is not modelled)")
        return f"needs {fewest_chips(shape, chip)} chips, beyond its {chip.domain}-chip scale-up domain, {why}"
    limits = " and ".join(x for x in (f"TPOT ≤ {shape.tpot_ms:g} ms" if shape.tpot_ms else "",
                                      f"TTFT ≤ {shape.ttft_ms / 1000:g} s" if shape.ttft_ms else "") if x)
    return (f"even one sequence on {fastest.chips} chips takes TPOT {fastest.step_s / shape.tokens_per_step * 1000:.0f}"
            f" ms and TTFT {fastest.ttft_s:.2g} s, over the limits {limits} (--scenario offline drops them)")


def chip_of(r: Any, peak: float, domain: int, scaleout: float | None, compute_eff: float, bw_eff: float) -> Chip:
    """A chip's row as the model needs it."""

    def num(v: Any) -> float:
        return float(v) if isinstance(v, (int, float)) and v == v else float("nan")  # noqa: PLR0124

    ic = num(r["interconnect_gbs"])
    return Chip(peak, num(r["memory_bw_tbs"]), num(r["memory_gb"]), ic if ic == ic else 0.0, domain,  # noqa: PLR0124
                scaleout, compute_eff, bw_eff)


def efficiencies(r: "pd.Series", precision: str) -> tuple[float, float]:
    """Compute and bandwidth efficiency: the chip's published measurements over its peaks, else the defaults."""
    peak = r.get(f"{precision}_tflops")
    measured_c = r.get(f"{precision}_achieved_tflops") if precision in ("bf16", "fp8") else None
    measured_b = r.get("memory_bw_achieved_tbs")
    c = measured_c / peak if positive(measured_c) and positive(peak) else DEFAULT_COMPUTE_EFF
    b = measured_b / r["memory_bw_tbs"] if positive(measured_b) and positive(r["memory_bw_tbs"]) else DEFAULT_BW_EFF
    return min(c, 1.0), min(b, 1.0)


def not_modelled(row: "pd.Series") -> str:
    """Why the decode model does not represent this chip, or ''."""
    memory = str(row.get("memory_type") or "")
    if row.get("kind") == "wafer":
        return "wafer-scale SRAM machine: weights stream from on-wafer SRAM and external memory, not HBM"
    if "SRAM" in memory.upper():
        return "SRAM-only design: a model is spread over many chips' SRAM in a deterministic pipeline"
    return ""


def positive(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v > 0  # noqa: PLR0124
