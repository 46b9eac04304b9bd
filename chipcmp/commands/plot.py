"""`chipcmp plot`: a scatter with its Pareto frontier, or bars; in the terminal or as PNG/SVG."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import TopOpt, command
from chipcmp.commands.complete import _complete_metric
from chipcmp.output.formats import IMAGES

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp plot tdp_w bf16_tflops --country CN -o chart.png", "chipcmp plot --bar tpp --top 15",
                   "chipcmp plot --systems power_basis_kw bf16_pflops --log-x --log-y"),
         images=True)
def plot(
    ctx: "Context",
    fields: Annotated[list[str] | None, typer.Argument(
        metavar="X Y [CHIP]...", autocompletion=_complete_metric, show_default=False,
        help="Fields for the x and y axes, then optionally chips (default: all, after filters).")] = None,
    bar: Annotated[str | None, typer.Option("--bar", metavar="METRIC", autocompletion=_complete_metric,
                                            help="A bar chart of one field instead; positionals are chips.")] = None,
    pareto: Annotated[bool, typer.Option("--pareto", help="List the Pareto-frontier chips below the chart.")] = False,
    systems: Annotated[bool, typer.Option("--systems", help="Chart systems (boards, racks, pods: `chipcmp systems "
                                          "--help` lists their fields) instead of chips.")] = False,
    log_x: Annotated[bool, typer.Option("--log-x", help="Logarithmic x axis.")] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    top: TopOpt = None,
    width: Annotated[int | None, typer.Option("--width", min=20, max=1000, help="Chart width in characters "
                                              "(default: the terminal's, 80 in a pipe).")] = None,
) -> "Result":
    """Chart two fields as a labelled scatter with its Pareto frontier, or one field as bars (--bar).

    -o FILE.png or FILE.svg writes an image (needs matplotlib: pip install 'chipcmp[plot]'); --format csv or
    json writes the plotted points.
    """
    from chipcmp.commands.context import terminal_width
    from chipcmp.output import plot as pl

    if ctx.output is not None and ctx.output.suffix.lower() in IMAGES:
        pl.image_kind(ctx.output)  # matplotlib missing: say so before any work
    cols = width or terminal_width()
    words = fields or []
    if bar is not None:
        if systems:
            raise typer.BadParameter("--bar charts chips; rank systems with `chipcmp systems --metric FIELD`")
        return pl.bar_result(ctx.dataset, bar, words, ctx.filters, top, cols)
    if len(words) < 2:
        raise typer.BadParameter("give two fields, e.g. chipcmp plot memory_bw_tbs bf16_tflops (or --bar FIELD)")
    from chipcmp.data.registry import CHIPS, SYSTEMS

    return pl.scatter_result(ctx.dataset, words[0], words[1], words[2:], ctx.filters, log_x, log_y, cols, pareto,
                             SYSTEMS if systems else CHIPS)

