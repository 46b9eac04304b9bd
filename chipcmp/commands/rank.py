"""`chipcmp rank`: chips (or systems) by a metric or expression, best first."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import TopOpt, command
from chipcmp.commands.complete import _complete_metric

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp rank --metric bf16_tflops_per_watt --top 10",
                   "chipcmp rank --metric 'memory_bw_tbs / price_usd * 1000' --country CN",
                   "chipcmp rank -m tpp --asc --where 'tpp>=1000'"), own_columns=True)
def rank(
    ctx: "Context",
    metric: Annotated[str, typer.Option("--metric", "-m", autocompletion=_complete_metric, show_default=False,
                                        help="Column or metric to rank by (see `chipcmp metrics`), or an "
                                             "expression of them, e.g. 'memory_bw_tbs / price_usd * 1000'.")],
    top: TopOpt = None,
    asc: Annotated[bool | None, typer.Option("--asc/--desc", help="Override the metric's own best-first "
                                                "direction.", show_default=False)] = None,
    systems_: Annotated[bool, typer.Option("--systems", help="Rank systems by a system metric (see `chipcmp "
                                           "systems --help`) instead of chips.")] = False,
) -> "Result":
    """Rank chips (or --systems) by a column or metric, best first; those with an unknown value are left out."""

    from chipcmp.core import rank as chips_rank
    from chipcmp.core import systems as sy

    if systems_:

        ctx.refuse(("country", "kind", "since", "where"), "systems are filtered by --vendor only")
        if asc is not None:
            from chipcmp.errors import UsageError

            raise UsageError("--asc/--desc apply to chips; a system metric ranks in its own direction")
        return sy.systems(ctx.dataset, [], ctx.filters.vendor, metric, top)
    return chips_rank.rank(ctx.dataset, metric, ctx.filters, top, asc, ctx.columns_spec)

