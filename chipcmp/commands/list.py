"""`chipcmp list`: chips with their key figures."""

from typing import Any

from chipcmp.commands.base import command


@command("list", examples=("chipcmp list --country CN", "chipcmp list --where 'memory_gb>=128' -o big.csv",
                           "chipcmp list --columns name,bf16_tflops,tdp_w,bf16_tflops_per_watt"))
def list_cmd(ctx: Any) -> Any:
    """List chips with their key figures."""
    from chipcmp.core import listing

    return listing.list_chips(ctx.dataset, ctx.filters, ctx.columns)

