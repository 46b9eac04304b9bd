"""`chipcmp audit`: check a chips CSV against the data rules."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import command

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output",), examples=("chipcmp audit", "chipcmp audit my_chips.csv -o problems.csv",
                                      "chipcmp audit --overlay my_additions.csv"))
def audit(
    ctx: "Context",
    file: Annotated[Path | None, typer.Argument(help="A chips CSV to check (default: the bundled data).",
                                                show_default=False)] = None,
    overlay: Annotated[bool, typer.Option("--overlay", help="Check FILE as an overlay for --add: a name is "
                                          "enough, sources and vendor are optional.")] = False,
) -> "Result":
    """Check a chips CSV: schema, types, units, duplicates, sources, and figures that contradict each other.

    Exits 1 if there are errors; warnings (suspicious but possible) alone exit 0. A checked warning is acknowledged
    in the row's notes with [audit-ok: CODE]. With --overlay, FILE is checked as a file for --add.
    """
    from chipcmp.core.audit import audit_file

    if overlay and file is None:
        from chipcmp.errors import UsageError

        raise UsageError("--overlay checks a file meant for --add: give its path, e.g. chipcmp audit --overlay "
                         "my_chips.csv")
    result, errors, _ = audit_file(file, overlay)
    failure = None
    if errors:
        where = "fix the rows listed above" if ctx.output is None else f"see {ctx.output}"
        failure = f"{result.assumptions['file']} has {errors} error{'s' * (errors != 1)}; {where}"
    return result.replace(inputs=(file,) if file else (), failure=failure)

