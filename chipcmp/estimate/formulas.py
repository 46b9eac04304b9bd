"""The formulas every estimate shares, each written once: training FLOPs, bytes per element, default MFU.

Imported by training, serving, match and calibration (and by the commands for their defaults); a second copy of
any of these anywhere else is a bug waiting for its first edit. Stdlib only: `--help` reads the defaults.
"""

from __future__ import annotations

import math

from chipcmp.data.schema import PRECISION_BY_NAME

# Model FLOPs utilisation assumed for training when the user gives none, and its range: the median, lowest and
# highest MFU the fitted training runs of data/calibration.csv imply on their dense BF16 peak (Llama 3.1 8B, 70B,
# 405B on H100, Llama 2 70B on A100, DeepSeek-V3 on H800; `chipcmp calibration` shows each). A test holds these
# to what the calibration computes, so a new run that moves them fails until they are updated.
DEFAULT_MFU = 0.33
MFU_RANGE = (0.14, 0.43)


def bytes_per(precision: str) -> float:
    """Bytes one element of weights, KV cache or activations takes at `precision` ('bf16' -> 2.0, 'fp4' -> 0.5),
    from the bit length the precision registry gives."""
    return PRECISION_BY_NAME[precision].bits / 8


def training_flops(active_params: float, tokens: float) -> float:
    """Training compute of a transformer: 6 FLOPs per active parameter per token (forward 2, backward 4)."""
    return 6.0 * active_params * tokens


HOURS_PER_YEAR = 8760.0  # a chip bought is paid off over --years of these hours, at full load


NO_POWER = "no TDP or system power published"  # why a chip has no power basis, in the output's words


def power_basis(tdp_w: float | None, deployed_w: float | None, deployed_scope: str | None,
                system_w: float | None = None, system: str = "") -> tuple[float | None, str]:
    """Watts per chip for energy and power, and what they are: the named system's stated power ÷ its chips,
    else the chip's TDP, else its deployed power (a reference system's power ÷ chips, its scope said), else
    none (no TDP and no system power published)."""
    if system_w and system_w > 0:
        return system_w, f"{system} stated power ÷ chips"
    if tdp_w is not None and not math.isnan(tdp_w) and tdp_w > 0:
        return tdp_w, "TDP"
    if deployed_w is not None and not math.isnan(deployed_w) and deployed_w > 0:
        return deployed_w, f"deployed ({deployed_scope})"
    return None, f"none: {NO_POWER}"
