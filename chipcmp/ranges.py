"""The sensible range of every numeric option, declared once: the commands check their options against it as
they are parsed (one callback), and the estimates check the same values when called from Python. A value outside
is a usage error that names the option as typed, its range and unit, and quotes at most 60 characters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chipcmp.errors import UsageError
from chipcmp.text import shorten

# option -> (lowest, highest, lowest excluded, unit): outside is a typo or a misunderstanding, never a plan.
RANGES: dict[str, tuple[float, float, bool, str]] = {
    "--chips": (1, 10_000_000, False, "chips"),
    "--systems": (1, 100_000, False, "systems"),
    "--days": (1 / 24, 36_500, False, "days (one hour to 100 years)"),
    "--mfu": (0.01, 1, False, "(a fraction of peak)"),
    "--pue": (1, 3, False, "(1 = chips only)"),
    "--kwh-price": (0, 10, True, "USD per kWh"),
    "--rent": (0, 10_000, True, "USD per chip-hour"),
    "--years": (0.25, 20, False, "years"),
    "--prompt": (1, 10_000_000, False, "tokens"),
    "--output-tokens": (1, 10_000_000, False, "tokens"),
    "--tpot-ms": (0, 60_000, True, "ms"),
    "--ttft-ms": (0, 600_000, True, "ms"),
    "--replica": (1, 100_000, False, "chips"),
    "--batch": (1, 1_000_000, False, "sequences"),
    "--tokens-per-step": (1, 16, False, "tokens"),
    "--count": (1, 100_000_000, False, "chips"),
    "--tflops": (0, 1e9, True, "TFLOPS"),
    "--tpp": (0, 1e12, True, ""),
    "--die-area": (1, 100_000, False, "mm²"),
    "--interconnect": (0, 1e7, True, "GB/s"),
    "--memory-bw": (0, 1e5, True, "TB/s"),
    "--intensity": (0, 1e9, True, "FLOP/B"),
    "--top": (1, 1_000_000, False, ""),
    "--since": (1950, 2100, False, ""),
    "--output-rate": (0, 1e12, True, "tokens/s"),
    "--budget": (0, 1e13, True, "USD"),
    "--power": (0, 1e5, True, "MW"),
}


def check_range(value: float | None, option: str) -> None:
    """A usage error unless `value` (when given) lies in the option's range."""
    if value is None:
        return
    lo, hi, open_low, unit = RANGES[option]
    ok = not math.isnan(value) and (lo < value if open_low else lo <= value) and value <= hi
    if not ok:
        low = f"above {_plain(lo)}" if open_low else f"from {_plain(lo)}"
        raise UsageError(f"{option} {shorten(f'{value:g}' if isinstance(value, float) else value)} is out of "
                         f"range: {low} to {_plain(hi)}{' ' + unit if unit else ''}")


def _plain(x: float) -> str:
    """1e7 -> '10,000,000', 0.25 -> '0.25', 1/24 -> '0.04167'."""
    return f"{x:,.0f}" if x == int(x) and abs(x) < 1e15 else f"{x:.4g}"


def checker(option: str) -> Callable[[Any], Any]:
    """A typer callback that checks the option as it is parsed."""

    def check(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            check_range(value, option)
        return value

    return check
