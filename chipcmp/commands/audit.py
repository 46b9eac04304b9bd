"""`chipcmp audit`: check a chips CSV against the data rules."""

from pathlib import Path
from typing import Annotated, Any

import typer

from chipcmp.commands.base import command
from chipcmp.output.formats import OutputFormat


@command(groups=("output",), examples=("chipcmp audit", "chipcmp audit my_chips.csv -o problems.csv"))
def audit(
    ctx: Any,
    file: Annotated[Path | None, typer.Argument(help="A chips CSV to check (default: the bundled data).",
                                                show_default=False)] = None,
) -> Any:
    """Check a chips CSV: schema, types, units, duplicates, sources, and figures that contradict each other.

    Exits 1 if there are errors; warnings (suspicious but possible) alone exit 0. A checked warning is
    acknowledged in the row's notes with [audit-ok: CODE].
    """
    from chipcmp.core.audit import audit_file
    from chipcmp.errors import DataError

    result, errors, _ = audit_file(file)
    ctx.data = file
    if result.frame.empty and ctx.format is OutputFormat.table and ctx.output is None:
        from chipcmp.commands.context import say

        say(result.notes[0])  # nothing to tabulate
    else:
        ctx.run(result)
    if errors:
        where = "fix the rows listed above" if ctx.output is None else f"see {ctx.output}"
        raise DataError(f"{result.assumptions['file']} has {errors} error{'s' * (errors != 1)}; {where}")

