"""`chipcmp export`: the (filtered) data with every derived metric."""

from typing import TYPE_CHECKING

from chipcmp.commands.base import command
from chipcmp.output.formats import OutputFormat

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp export -o chips.csv", "chipcmp export --country CN -o cn.json"),
         default_format=OutputFormat.csv)
def export(ctx: "Context") -> "Result":
    """Export the (filtered) data with every derived metric, sources and the dataset version (CSV by default)."""

    from chipcmp.core import listing

    return listing.export(ctx.dataset, ctx.filters)

