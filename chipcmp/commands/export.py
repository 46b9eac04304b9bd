"""`chipcmp export`: the (filtered) data with every derived metric."""

from typing import Any

from chipcmp.commands.base import command


@command(examples=("chipcmp export -o chips.csv", "chipcmp export --country CN -o cn.json"))
def export(ctx: Any) -> Any:
    """Export the (filtered) data with every derived metric, sources and the dataset version (CSV by default)."""

    from chipcmp.core import listing

    if ctx.fmt is None and ctx.output is None:
        from chipcmp.output.formats import OutputFormat as Fmt

        ctx.fmt = Fmt.csv
    return listing.export(ctx.dataset, ctx.filters)

