"""What an estimate is asked about, from a command's options: counts with suffixes (70B, 15T), the model (from the
catalogue or described by --params/--active-params) and a named system's chips.

The commands call these and pass plain values on; every message names the option as the user typed it."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from chipcmp.errors import UsageError
from chipcmp.estimate.formulas import training_flops
from chipcmp.ranges import check_range
from chipcmp.text import shorten

if TYPE_CHECKING:
    from chipcmp.data.models import Model
    from chipcmp.data.systems import System


_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}


_COUNT = r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([A-Za-z]?)\s*$"  # compiled on first use


# What a model or a training run can sensibly have: outside is a typo (a forgotten suffix, an extra zero).
COUNT_RANGE = {"--params": (1e6, 1e15), "--active-params": (1e6, 1e15), "--tokens": (1e6, 1e16)}


def parse_count(text: str, option: str) -> float:
    """'70B' -> 7e10. K, M, B (or G), T suffixes; a typo like '70Q', a bare '70' or an absurd size is an error."""
    m = re.match(_COUNT, text)
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


def required_count(text: str, option: str) -> float:
    """A count the command cannot do without: its absence is an error with an example."""
    if not text:
        raise UsageError(f"{option} is required, e.g. {option} 70B")
    return parse_count(text, option)


def alias_note(asked: str | None, m: Model) -> list[str]:
    """'deepseek r1' is 'DeepSeek-V3': said on stderr when the catalogue answers a name with another model's row."""
    from chipcmp.data.names import fold

    if not asked or fold(asked) == fold(m.name):
        return []
    return [f"{asked!r} is {m.name!r} in the model catalogue (an alias: the same architecture and size)"]


def model_from_options(model: str | None, params: str, active: str, what: str) -> Model:
    """The model to estimate: from the catalogue, or described by --params (and --active-params: a mixture of
    experts whenever fewer parameters are active than there are)."""
    from chipcmp.data.models import Model, find

    if model is not None:
        if params or active:
            raise UsageError("give --model or --params/--active-params, not both")
        return find(model)
    if not params:
        raise UsageError(f"{what} needs --model NAME (see `chipcmp models`) or --params N, e.g. --params 70B")
    total = required_count(params, "--params")
    act = required_count(active, "--active-params") if active else total
    if act > total:
        raise UsageError("--active-params cannot exceed --params")
    return Model(f"a {params}-parameter model", total, act, kind="moe" if act < total else "dense")


def system_and_chips(system: str | None, chips: list[str] | None) -> tuple[System | None, list[str]]:
    """--system NAME sets the chip (and the scale-up domain or size); it cannot be combined with chip names."""
    from chipcmp.data.systems import find

    if system is None:
        return None, chips or []
    s = find(system)
    if chips:
        raise UsageError(f"--system {s.name!r} sets the chip ({s.chip}); give no chip names with it")
    return s, [s.chip]


def batch_size(text: str, tpot_ms: float | None) -> int | None:
    """--batch N, or None for auto (the batch is then chosen under the latency targets)."""
    if text.strip().lower() == "auto":
        return None
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"--batch {shorten(text)!r}: give a whole number of sequences, or auto") from None
    if tpot_ms is not None:
        raise UsageError("--tpot-ms picks the batch: use it with --batch auto")
    return n


def cluster_size(system: System | None, n_systems: int | None, n_chips: int | None) -> int | None:
    """Chips in the training cluster: --chips, or --system NAME times --systems N."""
    if n_systems is not None and system is None:
        raise UsageError("--systems N goes with --system NAME")
    if system is None:
        return n_chips
    if n_chips is not None:
        raise UsageError("give --system with --systems, or --chips, not both")
    return system.chips * (n_systems or 1)


def training_flops_of(model: str | None, tokens: str, mfu: float) -> float | None:
    """The training FLOPs of --model over --tokens (both or neither), for match's training days."""
    from chipcmp.data.models import find

    check_range(mfu, "--mfu")
    if model is None and not tokens:
        return None
    if model is None or not tokens:
        raise UsageError("training days need both --model and --tokens")
    return training_flops(find(model).active_params, required_count(tokens, "--tokens"))
