"""`chipcmp metrics`: the registry of columns and metrics."""

from typing import TYPE_CHECKING

from chipcmp.commands.base import command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output",), examples=("chipcmp metrics", "chipcmp metrics --format markdown"))
def metrics(ctx: "Context") -> "Result":
    """List every column and derived metric with its unit, formula and better direction."""

    from chipcmp.core import listing

    return listing.metrics_table()

