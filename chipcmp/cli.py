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
        line = os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or ""
        words = line.split()
        # The command's name is known once a word follows it (an empty one when the line ends in a space);
        # while it is still being typed, every command is offered.
        done = len(words) > 2 or (len(words) == 2 and line[-1:].isspace())
        return words[1] if done else None
    return sys.argv[1] if len(sys.argv) > 1 else None


def _listing(app: Any) -> Any:
    """The root group with each command as a name and its help only (no parameters): enough to list commands in
    `--help`, complete a command's name, suggest one for a typo and run `--version`, without typer building the
    300-odd parameters of every command (a third of `--help`'s time)."""
    import inspect

    from typer.core import TyperCommand

    everything = app.registered_commands
    app.registered_commands = []
    try:
        group: Any = typer.main.get_command(app)  # a group: the app has a callback
    finally:
        app.registered_commands = everything
    for info in everything:
        name = info.name or info.callback.__name__
        group.add_command(TyperCommand(name=name, help=inspect.getdoc(info.callback), hidden=info.hidden,
                                       rich_markup_mode=None))
    return group


def main() -> None:
    """Console-script entry point: one run of the tool in its own process (programs embedding chipcmp use `app`,
    which leaves the interpreter's collector as it is)."""
    # A run lasts well under a second and builds few reference cycles, but pandas' import leaves ~60,000 objects
    # that the collector would keep scanning: collect less often (the defaults are 700, 10, 10). And once the
    # answer is written, freeze them: the interpreter's last collection at exit then skips them (it took ~0.2 s
    # on the benchmark machine, a third of a command's time; the operating system frees the memory).
    import gc

    gc.set_threshold(20_000, 20, 20)
    try:
        _run()
    finally:
        gc.freeze()


def _run() -> None:
    # Typer builds every command's click parameters before parsing. When the command is known up front (the
    # common case, completion included), build only that one; otherwise (`--help`, `--version`, a typo, completing
    # a command's name) the commands are listed by name and help alone.
    name = _invoked_command()
    if name not in COMMANDS:
        _listing(_register(COMMANDS))(prog_name="chipcmp")
        return
    app = _register((name,))
    chosen = [c for c in app.registered_commands if (c.name or getattr(c.callback, "__name__", None)) == name]
    everything = app.registered_commands
    app.registered_commands = chosen
    try:
        command_ = typer.main.get_command(app)
    finally:
        app.registered_commands = everything  # the module-level app stays whole for callers in-process
    command_(prog_name="chipcmp")
