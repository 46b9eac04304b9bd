"""The command line, assembled: the app from `commands.base`, one module per command under `commands/`.

A command module declares its own options and makes one call into the core or the estimates; everything the
commands share (options, data loading, filters, output) is declared once in `commands.base` and resolved once by
`commands.context.Context`. This module only imports them, in the order `--help` lists them, and runs the app.
Nothing here imports pandas: `--help` and completion stay fast.
"""

import importlib
import sys
from typing import Any

import typer

# The commands, in the order `--help` lists them: importing a command's module registers it on the app.
COMMANDS = ("list", "show", "compare", "rank", "export", "metrics", "audit", "controls", "models", "train", "serve",
            "calibration", "systems", "match", "roofline", "plot", "plan")

__all__ = ["COMMANDS", "main"]  # and `app`, built on first access (below)


def _register(names: tuple[str, ...]) -> Any:
    """The app with these commands registered (each module once); all of them for --help and typos."""
    from chipcmp.commands.base import app

    for name in names:
        importlib.import_module(f"chipcmp.commands.{name}")
    return app


def __getattr__(name: str) -> Any:
    # `from chipcmp.cli import app` (tests, programs embedding chipcmp) gets the whole app; the entry point below
    # imports only the module of the command it runs.
    if name == "app":
        return _register(COMMANDS)
    raise AttributeError(name)


def _invoked_command() -> str | None:
    """The subcommand this process will run, if it can be told before parsing."""
    import os

    if any(k.startswith("_CHIPCMP_COMPLETE") for k in os.environ):
        words = (os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or "").split()
        return words[1] if len(words) > 2 else None  # still typing the command's name: offer every command
    return sys.argv[1] if len(sys.argv) > 1 else None


def main() -> None:
    """Console-script entry point."""
    # Typer builds every command's click parameters before parsing. When the command is known up front (the
    # common case, completion included), build only that one; `--help` and typos still see them all.
    name = _invoked_command()
    app = _register((name,) if name in COMMANDS else COMMANDS)
    chosen = [c for c in app.registered_commands
              if name is not None and (c.name or getattr(c.callback, "__name__", None)) == name]
    everything = app.registered_commands
    app.registered_commands = chosen or everything
    try:
        command_ = typer.main.get_command(app)
    finally:
        app.registered_commands = everything  # the module-level app stays whole for callers in-process
    command_(prog_name="chipcmp")

