"""`chipcmp roofline`: attainable throughput at an arithmetic intensity."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import BF16, ChipsArg, PrecisionOpt, TopOpt, command
from chipcmp.ranges import checker

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp roofline --intensity 50", "chipcmp roofline H100 H20 'Ascend 910B' -i 300"))
def roofline(
    ctx: "Context",
    intensity: Annotated[float, typer.Option("--intensity", "-i", callback=checker("--intensity"),
                                             metavar="FLOP/B", show_default=False,
                                             help="Arithmetic intensity, FLOPs per byte of memory traffic.")],
    chips: ChipsArg = None,
    precision: PrecisionOpt = BF16,
    top: TopOpt = None,
) -> "Result":
    """Rank chips by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""

    from chipcmp.estimate.roofline import roofline as attainable

    return attainable(ctx.dataset, intensity, precision.value, chips or [], ctx.filters, top)

