"""`chipcmp models`: the model catalogue."""

from typing import TYPE_CHECKING

from chipcmp.commands.base import command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output",), examples=("chipcmp models", "chipcmp models --format csv -o models.csv"))
def models(ctx: "Context") -> "Result":
    """List the model catalogue: parameters (total and active), layers, attention, experts, KV cache per token."""
    from chipcmp.core.catalogs import models_table

    return models_table()

