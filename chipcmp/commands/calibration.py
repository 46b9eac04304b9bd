"""`chipcmp calibration`: estimates beside the published results they are measured against."""

from typing import Any

from chipcmp.commands.base import command


@command(groups=("output",), examples=("chipcmp calibration", "chipcmp calibration --format csv"))
def calibration(ctx: Any) -> Any:
    """Show `train` and `serve` estimates beside published results (GPU-hours of training runs, serving throughput)
    with the ratio: how far to trust an estimate."""
    from chipcmp.estimate.calibration import calibration as table

    return table(ctx.dataset)

