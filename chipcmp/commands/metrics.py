"""`chipcmp metrics`: the registry of columns and metrics."""

from typing import Any

from chipcmp.commands.base import command


@command(groups=("output",), examples=("chipcmp metrics", "chipcmp metrics --format markdown"))
def metrics(ctx: Any) -> Any:
    """List every column and derived metric with its unit, formula and better direction."""

    from chipcmp.core import listing

    return listing.metrics_table()

