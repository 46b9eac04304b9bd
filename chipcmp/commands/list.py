"""`chipcmp list`: chips with their key figures."""

from typing import TYPE_CHECKING

from chipcmp.commands.base import command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command("list", examples=("chipcmp list --country CN", "chipcmp list --where 'memory_gb>=128' -o big.csv",
                           "chipcmp list --columns name,bf16_tflops,tdp_w,bf16_tflops_per_watt"), own_columns=True)
def list_cmd(ctx: "Context") -> "Result":
    """List chips with their key figures."""
    from chipcmp.core import listing

    return listing.list_chips(ctx.dataset, ctx.filters, ctx.columns_spec)

