"""`chipcmp calibration`: estimates beside the published results they are measured against."""

from typing import TYPE_CHECKING

from chipcmp.commands.base import command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output",), examples=("chipcmp calibration", "chipcmp calibration --format csv"))
def calibration(ctx: "Context") -> "Result":
    """Show `train` and `serve` estimates beside published results (GPU-hours of training runs, serving throughput)
    with the ratio: how far to trust an estimate."""
    from chipcmp.estimate.calibration import calibration as table

    return table(ctx.dataset)

