"""`chipcmp show`: one chip in full, or every source behind its figures."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import ChipArg, command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output", "data"), examples=("chipcmp show 'Ascend 910B'", "chipcmp show H20 --sources",
                                              "chipcmp show H20 --format json"))
def show(
    ctx: "Context", chip: ChipArg,
    sources: Annotated[bool, typer.Option("--sources", help="List every figure with each source that gives it, "
                                          "where in the source it stands, and the values other sources give.")]
    = False,
) -> "Result":
    """Show every field of one chip with units, where each figure comes from, its derived metrics and notes."""

    from chipcmp.core import show as chip_show

    return chip_show.figure_sources(ctx.dataset, chip) if sources else chip_show.show_chip(ctx.dataset, chip)

