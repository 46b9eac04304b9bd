"""`chipcmp models`: the model catalogue."""

from typing import Any

from chipcmp.commands.base import command


@command(groups=("output",), examples=("chipcmp models", "chipcmp models --format csv -o models.csv"))
def models(ctx: Any) -> Any:
    """List the model catalogue: parameters (total and active), layers, attention, experts, KV cache per token."""
    from chipcmp.core.catalogs import models_table

    return models_table()

