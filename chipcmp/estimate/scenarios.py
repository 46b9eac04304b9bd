"""Serving scenarios and what published results say of the raw model: the latency limits MLPerf sets, and per
class of result (dense or MoE; offline, server, decode or prefill) the factor that scales a raw estimate to
published end-to-end results, with the spread of those results as its range.

A factor is the median of published ÷ raw over the results of its class that are fitted (calibration.csv,
role 'fit'); its range, the lowest and highest of those ratios. `chipcmp calibration` shows each result against
the estimate made without it (leave-one-out) and the held-out results against the fitted factors.
"""

from typing import NamedTuple

# MLPerf Inference latency limits (loadgen mlperf.conf): (TTFT ms, TPOT ms) per scenario; Offline has none.
SCENARIOS = ("offline", "server", "interactive")
MIN_RESULTS = 3  # fitted results a class needs for its own factor and range
LIMITS: dict[str, dict[str, tuple[float, float]]] = {
    "default": {"server": (2000.0, 200.0), "interactive": (450.0, 40.0)},  # llama2-70b
    "Llama 3.1 405B": {"server": (6000.0, 175.0)},  # llama3_1-405b (no interactive scenario read for it)
}


def limits(model: str, scenario: str) -> tuple[float | None, float | None]:
    """(TTFT, TPOT) in ms that `scenario` sets for `model` (MLPerf's for it, else Llama 2 70B's)."""
    if scenario == "offline":
        return None, None
    table = LIMITS.get(model, LIMITS["default"])
    ttft, tpot = table.get(scenario) or LIMITS["default"][scenario]
    return ttft, tpot


class Factor(NamedTuple):
    """What published ÷ raw is for one class: the median, its lowest and highest, and how many results."""

    factor: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, ratios: list[float]) -> "Factor | None":
        if not ratios:
            return None
        return cls(_median(ratios), min(ratios), max(ratios), len(ratios))


def class_of(moe: bool, scenario: str) -> str:
    """'dense server', 'moe decode': the class a result or an estimate belongs to. Interactive is estimated with
    the server factor under its tighter limits (no interactive result is fitted)."""
    kind = "moe" if moe else "dense"
    return f"{kind} {'server' if scenario == 'interactive' else scenario}"


def pick(factors: dict[str, Factor], cls: str) -> Factor | None:
    """The factor of `cls` when at least MIN_RESULTS of its results are fitted, else of its group ('moe decode' ->
    'moe': every fitted MoE result), so that no range rests on one or two runs."""
    own = factors.get(cls)
    if own is not None and own.n >= MIN_RESULTS:
        return own
    return factors.get(cls.split(maxsplit=1)[0]) or own


def _median(values: object) -> float:
    """statistics.median, imported when needed: `--help` and completion import this module."""
    import statistics

    return statistics.median(values)  # type: ignore[arg-type]
