"""`chipcmp systems`: boards, racks and pods."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import TopOpt, VendorOpt, command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output", "data"), examples=("chipcmp systems", "chipcmp systems 'CloudMatrix 384' 'GB200 NVL72'",
                                              "chipcmp systems --metric bf16_pflops_per_kw --top 5"))
def systems(
    ctx: "Context",
    names: Annotated[list[str] | None, typer.Argument(help="Systems to show (default: all).", show_default=False)]
    = None,
    metric: Annotated[str | None, typer.Option("--metric", "-m", help="Rank by a system metric: bf16_pflops, "
                                               "fp8_pflops, memory_tb, memory_bw_tbs, bf16_pflops_per_kw, "
                                               "bf16_pflops_per_musd, power_kw, chips, scaleup_domain.")] = None,
    top: TopOpt = None,
    vendor: VendorOpt = [],
) -> "Result":
    """Systems (boards, racks, pods): chips, scale-up domain, totals from their chips, power, per kW and per $."""

    from chipcmp.core import systems as sy

    return sy.systems(ctx.dataset, names or [], tuple(vendor), metric, top)

