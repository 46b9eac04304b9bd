"""`chipcmp compare`: chips (or systems) side by side."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import command
from chipcmp.commands.complete import _complete_chip, _complete_field

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output", "data"), examples=(
    "chipcmp compare 'Ascend 910B' H100 H20", "chipcmp compare A100 H100 --baseline H100 --metrics bf16_tflops,tdp_w",
    "chipcmp compare H20 H800 -o h20_vs_h800.md"))
def compare(
    ctx: "Context",
    chips: Annotated[list[str], typer.Argument(help="Two or more chips; the first is the baseline.",
                                               autocompletion=_complete_chip, show_default=False)],
    baseline: Annotated[str | None, typer.Option(
        "--baseline", "-b", autocompletion=_complete_chip,
        help="Chip the ratios are relative to (default: the first).")] = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", "-m", metavar="A,B,...", autocompletion=_complete_field,
        help="Rows to show: columns and metrics ('all' for every one).")] = None,
    systems_: Annotated[bool, typer.Option("--systems", help="The names are systems (`chipcmp systems`); also "
                                           "assumed when every name is a system and none a chip.")] = False,
) -> "Result":
    """Compare chips (or systems) side by side, with each one's ratio to a baseline (▲ better, ▼ worse)."""
    from chipcmp.core import compare as chips_compare
    from chipcmp.data.systems import is_system

    if systems_ or (all(is_system(n) for n in chips) and not chips_compare.all_chips(ctx.dataset, chips)):
        if metrics is not None:
            from chipcmp.errors import UsageError

            raise UsageError("--metrics picks chip fields; a comparison of systems shows their totals")
        from chipcmp.core import systems as sy

        return sy.compare_systems(ctx.dataset, chips, baseline)
    return chips_compare.compare(ctx.dataset, chips, baseline, metrics)

