"""Workload estimates from the same data: training time and cost (`train`), serving limits (`serve`), and the
roofline ranking (`roofline`).

Every assumption (formula, precision, MFU, PUE, prices) is returned with the result: printed under the table,
exported as columns and as JSON meta. A chip lacking a needed figure stays in the output with unknown values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp.core import Filters, check_positive, check_precision, select
from chipcmp.errors import UsageError
from chipcmp.result import Col, Result
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_COUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([A-Za-z]?)\s*$")
# Bytes per element for weights/KV cache by precision name.
BYTES = {"fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5}


# What a model or a training run can sensibly have: outside is a typo (a forgotten suffix, an extra zero).
COUNT_RANGE = {"--params": (1e6, 1e15), "--active-params": (1e6, 1e15), "--tokens": (1e6, 1e16)}


def parse_count(text: str, option: str) -> float:
    """'70B' -> 7e10. K, M, B (or G), T suffixes; a typo like '70Q', a bare '70' or an absurd size is an error."""
    m = _COUNT.match(text)
    if not m or m[3].upper() not in _SUFFIX:
        raise UsageError(f"{option} {shorten(text)!r}: write a positive number with a K, M, B or T suffix, "
                         "e.g. 70B or 2T")
    value = float(f"{m[1]}e{m[2] or 0}") * _SUFFIX[m[3].upper()]  # 1e400 overflows to inf: rejected below
    lo, hi = COUNT_RANGE.get(option, (1.0, 1e18))
    if not m[3] and not m[2] and value < lo:
        raise UsageError(f"{option} {text}: a bare number counts single {option.strip('-').split('-')[-1]}; "
                         f"did you mean {text}B (billions)? Write the suffix: K, M, B or T")
    if math.isinf(value) or value > hi:
        raise UsageError(f"{option} {shorten(text)!r} is too large: at most {human_count(hi)}")
    if not value >= lo:
        raise UsageError(f"{option} {shorten(text)!r} is too small: at least {human_count(lo)}")
    return value


def human_count(x: float) -> str:
    """7e10 -> '70B', 2e12 -> '2T', 1.5e9 -> '1.5B'."""
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if x >= scale:
            return f"{x / scale:.4g}{suffix}"
    return f"{x:.4g}"


def _unknown_note(df: pd.DataFrame, key: str, needs: list[str]) -> list[str]:
    missing = df[df[key].isna()]
    if missing.empty:
        return []
    lacking = [n for n in needs if missing[n].isna().any()]
    return [f"{len(missing)} chips have unknown results for lack of {' or '.join(lacking)}: "
            + ", ".join(missing["name"].head(8)) + (" ..." if len(missing) > 8 else "")]


@dataclass(frozen=True)
class TrainPlan:
    params: float
    tokens: float
    precision: str = "bf16"
    mfu: float = 0.4
    chips: int | None = None
    days: float | None = None
    pue: float = 1.0
    kwh_usd: float | None = None
    rent_usd_hour: float | None = None

    def check(self) -> None:
        check_precision(self.precision)
        check_positive(self.mfu, "--mfu", upper=1.0)
        check_positive(self.pue, "--pue")
        check_positive(self.kwh_usd, "--kwh-price")
        check_positive(self.rent_usd_hour, "--rent")
        check_positive(self.days, "--days")
        if self.days is not None and not 1 / 24 <= self.days <= 36_500:
            raise UsageError(f"--days {self.days:g} is out of range: from one hour (0.042) to 100 years (36500)")
        if self.kwh_usd is not None and self.kwh_usd > 10:
            raise UsageError(f"--kwh-price {self.kwh_usd:g} USD per kWh is out of range: at most 10")
        if self.rent_usd_hour is not None and self.rent_usd_hour > 10_000:
            raise UsageError(f"--rent {self.rent_usd_hour:g} USD per chip-hour is out of range: at most 10000")
        if self.chips is not None and self.chips < 1:
            raise UsageError(f"--chips {self.chips} must be at least 1")
        if self.chips is not None and self.days is not None:
            raise UsageError("give --chips (how long?) or --days (how many chips?), not both")
        if self.pue < 1:
            raise UsageError(f"--pue {self.pue:g} is below 1: PUE is facility power over IT power, at least 1")


def train(ds: Dataset, plan: TrainPlan, chips: list[str], filters: Filters) -> Result:
    """Training compute (6·N·D), chip-hours at the given MFU, wall-clock or chips needed, energy and cost."""
    import numpy as np

    plan.check()
    p = check_precision(plan.precision)
    df = select(ds, chips, filters)
    flops = 6.0 * plan.params * plan.tokens
    peak = df[p.column] * 1e12
    out = df[["name", "vendor"]].copy()
    out["peak_tflops"] = df[p.column]
    out["chip_hours"] = flops / (peak * plan.mfu) / 3600.0
    if plan.chips is not None:
        out["cluster_chips"] = float(plan.chips)
        out["days"] = out["chip_hours"] / plan.chips / 24.0
    elif plan.days is not None:
        out["cluster_chips"] = np.ceil(out["chip_hours"] / (plan.days * 24.0))
        out["days"] = plan.days
    out["energy_mwh"] = out["chip_hours"] * df["tdp_w"] * plan.pue / 1e6
    out["electricity_usd"] = out["energy_mwh"] * 1000.0 * plan.kwh_usd if plan.kwh_usd else float("nan")
    out["price_usd"] = df["price_usd"]
    out["hardware_usd"] = out["cluster_chips"] * df["price_usd"] if "cluster_chips" in out else float("nan")
    out["rental_usd"] = out["chip_hours"] * plan.rent_usd_hour if plan.rent_usd_hour else float("nan")
    sort = "days" if plan.chips is not None else ("cluster_chips" if plan.days is not None else "chip_hours")
    out = out.sort_values([sort, "name"], na_position="last", kind="mergesort")
    # assumptions travel with the data (CSV columns, JSON meta) and under the table
    assumptions = {"flops_formula": "6 * params * tokens (dense transformer)", "total_flops": flops,
                   "params": plan.params, "tokens": plan.tokens, "precision": p.name, "mfu": plan.mfu,
                   "pue": plan.pue, "kwh_usd": plan.kwh_usd, "rent_usd_per_chip_hour": plan.rent_usd_hour}
    for k in ("precision", "mfu", "pue", "flops_formula"):
        out[k] = assumptions[k]
    cols = [Col.of("name"), Col.of("vendor"), Col("peak_tflops", f"{p.label} peak (TFLOPS)", True),
            Col("chip_hours", "Chip-hours", True)]
    if plan.chips is not None:
        cols.append(Col("days", f"Days on {plan.chips:,} chips", True))
    elif plan.days is not None:
        cols.append(Col("cluster_chips", f"Chips for {plan.days:g} days", True, kind="count"))
    cols.append(Col("energy_mwh", "Energy (MWh)", True))
    if plan.kwh_usd:
        cols.append(Col("electricity_usd", "Electricity (USD)", True))
    if "cluster_chips" in out:
        cols.append(Col("hardware_usd", "Hardware (USD)", True))
    if plan.rent_usd_hour:
        cols.append(Col("rental_usd", "Rental (USD)", True))
    footer = [
        f"Compute: 6 × {human_count(plan.params)} params × {human_count(plan.tokens)} tokens = {flops:.3g} FLOPs "
        "(dense transformer).",
        f"Assumed: {p.label} dense peak, MFU {plan.mfu:g}, PUE {plan.pue:g}"
        + ("" if plan.pue > 1 else " (chip TDP only: no cooling, hosts or network)")
        + (f", electricity {plan.kwh_usd:g} USD/kWh" if plan.kwh_usd else "")
        + (f", rental {plan.rent_usd_hour:g} USD per chip-hour" if plan.rent_usd_hour else "") + ".",
        "Energy = chip-hours × TDP × PUE; hardware = chips × the data's price (see `chipcmp show` for its kind).",
    ]
    known = out.assign(tdp_w=df["tdp_w"], **{p.column: df[p.column]})
    notes = _unknown_note(known, "chip_hours", [p.column])
    no_tdp = known["chip_hours"].notna() & known["tdp_w"].isna()
    if no_tdp.any():
        notes.append(f"{int(no_tdp.sum())} chips have unknown energy and electricity cost for lack of tdp_w")
    title = f"Training a {human_count(plan.params)}-parameter model on {human_count(plan.tokens)} tokens"
    return Result(out, cols, title=title,
                  messages=notes, notes=footer, assumptions=assumptions)


@dataclass(frozen=True)
class ServePlan:
    params: float
    weight_bytes: float = 2.0  # per parameter
    precision: str = "bf16"  # compute precision for prefill and the roofline
    kv_gb: float | None = None
    context: int | None = None
    batch: int = 1
    layers: int | None = None
    kv_hidden: int | None = None  # KV heads × head dim
    kv_bytes: float = 2.0


def kv_cache_gb(plan: ServePlan) -> float:
    """KV cache in decimal GB: given directly, or 2 (K and V) × layers × context × batch × kv_hidden × bytes."""
    if plan.kv_gb is not None:
        return plan.kv_gb
    shape = (plan.context, plan.layers, plan.kv_hidden)
    if all(v is None for v in shape):
        return 0.0
    if any(v is None for v in shape):
        raise UsageError("a KV cache needs --context, --layers and --kv-hidden together (or --kv-gb directly)")
    return 2.0 * plan.layers * plan.context * plan.batch * plan.kv_hidden * plan.kv_bytes / 1e9  # type: ignore[operator]


def serve(ds: Dataset, plan: ServePlan, chips: list[str], filters: Filters) -> Result:
    """Chips to hold weights + KV cache, memory-bound decode limit, compute-bound prefill limit, and which binds."""
    import numpy as np

    p = check_precision(plan.precision)
    for name, v in (("--batch", plan.batch), ("--context", plan.context), ("--layers", plan.layers),
                    ("--kv-hidden", plan.kv_hidden)):
        if v is not None and v < 1:
            raise UsageError(f"{name} {v} must be at least 1")
    check_positive(plan.weight_bytes, "--bytes-per-param")
    check_positive(plan.kv_bytes, "--kv-bytes")
    check_positive(plan.kv_gb, "--kv-gb", upper=1e7)
    check_positive(plan.weight_bytes, "--bytes-per-param", upper=8)
    check_positive(plan.kv_bytes, "--kv-bytes", upper=8)
    for name, v, top in (("--batch", plan.batch, 1_000_000), ("--context", plan.context, 100_000_000),
                         ("--layers", plan.layers, 100_000), ("--kv-hidden", plan.kv_hidden, 10_000_000)):
        if v is not None and v > top:
            raise UsageError(f"{name} {v} is out of range: at most {top:,}")
    df = select(ds, chips, filters)
    weights_gb = plan.params * plan.weight_bytes / 1e9
    kv_gb = kv_cache_gb(plan)
    out = df[["name", "vendor", "memory_gb", "memory_bw_tbs"]].copy()
    out["chips_to_hold"] = np.ceil((weights_gb + kv_gb) / df["memory_gb"].where(df["memory_gb"] > 0))
    n = out["chips_to_hold"]
    # One decode step reads every weight once plus the sequence's KV cache; the chips holding the model share it.
    bytes_per_token = (weights_gb + kv_gb / plan.batch) * 1e9
    out["decode_tokens_s"] = n * df["memory_bw_tbs"] * 1e12 / bytes_per_token
    out["peak_tflops"] = df[p.column]
    out["prefill_tokens_s"] = n * df[p.column] * 1e12 / (2.0 * plan.params)
    intensity = 2.0 * plan.params * plan.batch / ((weights_gb + kv_gb) * 1e9)  # FLOP per byte of one decode step
    ridge = df[p.column] / df["memory_bw_tbs"]
    out["decode_intensity"] = intensity
    out["ridge_point"] = ridge
    out["decode_bound"] = _bound(intensity, ridge)
    out = out.sort_values(["decode_tokens_s", "name"], ascending=[False, True], na_position="last", kind="mergesort")
    assumptions = {"params": plan.params, "bytes_per_param": plan.weight_bytes, "weights_gb": weights_gb,
                   "kv_cache_gb": kv_gb, "batch": plan.batch, "precision": p.name,
                   "decode_formula": "chips × memory BW / (weight bytes + KV bytes per sequence)",
                   "prefill_formula": "chips × peak FLOPs / (2 × params)"}
    for k in ("batch", "precision", "weights_gb", "kv_cache_gb"):
        out[k] = assumptions[k]
    cols = [Col.of("name"), Col.of("vendor"), Col.of("memory_gb"), Col("chips_to_hold", "Chips to hold", True,
            kind="count"), Col("decode_tokens_s", "Decode tok/s (1 seq)", True),
            Col("prefill_tokens_s", "Prefill tok/s", True), Col("ridge_point", "Ridge (FLOP/B)", True),
            Col("decode_bound", f"Decode at batch {plan.batch}")]
    footer = [
        f"Weights {weights_gb:,.1f} GB ({human_count(plan.params)} params × {plan.weight_bytes:g} B) + KV cache "
        f"{kv_gb:,.1f} GB ({plan.kv_bytes:g} B per element); chips to hold = ceil(total / memory), nothing else "
        "counted.",
        "Decode limit = chips × memory bandwidth / bytes read per token (upper bound, one sequence); prefill limit = "
        f"chips × {p.label} dense peak / (2 × params) (upper bound).",
        f"Roofline: a decode step at batch {plan.batch} does {intensity:.3g} FLOP per byte; below a chip's ridge "
        "point it is memory-bound.",
    ]
    notes = _unknown_note(out.assign(**{p.column: df[p.column]}), "decode_tokens_s", ["memory_gb", "memory_bw_tbs"])
    return Result(out, cols, title=f"Serving a {human_count(plan.params)}-parameter model", messages=notes,
                  notes=footer, assumptions=assumptions)


def _bound(intensity: float | pd.Series, ridge: pd.Series) -> pd.Series:
    """'memory' below the ridge point, 'compute' at or above it, missing where the ridge is unknown."""
    import pandas as pd

    return pd.Series("compute", index=ridge.index).mask(ridge > intensity, "memory").where(ridge.notna())


def roofline(ds: Dataset, intensity: float, precision: str, chips: list[str], filters: Filters,
             top: int | None = None) -> Result:
    """Chips ranked by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""
    import numpy as np

    check_positive(intensity, "--intensity")
    p = check_precision(precision)
    df = select(ds, chips, filters)
    out = df[["name", "vendor", p.column, "memory_bw_tbs"]].copy()
    out["ridge_point"] = df[p.column] / df["memory_bw_tbs"]
    out["attainable_tflops"] = np.minimum(df[p.column], df["memory_bw_tbs"] * intensity)
    out["bound"] = _bound(intensity, out["ridge_point"])
    out = out.sort_values(["attainable_tflops", "name"], ascending=[False, True], na_position="last",
                          kind="mergesort")
    notes = _unknown_note(out, "attainable_tflops", [p.column, "memory_bw_tbs"])
    if top is not None:
        out = out.head(top)
    out["intensity"] = intensity
    out["precision"] = p.name
    cols = [Col.of("name"), Col.of("vendor"), Col("attainable_tflops", "Attainable (TFLOPS)", True, bar=True),
            Col.of(p.column), Col.of("memory_bw_tbs"), Col("ridge_point", "Ridge (FLOP/B)", True),
            Col("bound", "Bound")]
    footer = [f"Attainable = min({p.label} dense peak, memory bandwidth × {intensity:g} FLOP/byte) (roofline model)."]
    return Result(out, cols, title=f"Roofline at {intensity:g} FLOP/byte ({p.label})", messages=notes, notes=footer,
                  assumptions={"intensity": intensity, "precision": p.name})
