"""The output formats, alone in a module so that `--help` can name them without importing the renderers."""

from __future__ import annotations

import enum
from pathlib import Path

from chipcmp.errors import UsageError


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    markdown = "markdown"


# What `-o FILE` writes when --format is not given. Anything else is refused: a file named .xlsx that holds a
# text table is worse than no file.
EXTENSIONS = {
    ".csv": OutputFormat.csv,
    ".tsv": OutputFormat.tsv,
    ".json": OutputFormat.json,
    ".md": OutputFormat.markdown,
    ".markdown": OutputFormat.markdown,
    ".txt": OutputFormat.table,
}


IMAGES = (".png", ".svg")


def format_for(output: Path | None, fmt: OutputFormat | None, images: bool = False) -> OutputFormat:
    """The format to write: --format when given, else the -o file's extension, else a table. `images`: the
    command draws charts, so .png and .svg are files it can write too."""
    if fmt is not None:
        return fmt
    if output is None:
        return OutputFormat.table
    suffix = output.suffix.lower()
    if suffix in IMAGES and images:
        return OutputFormat.table
    if suffix in IMAGES:
        raise UsageError(f"-o {output}: only `chipcmp plot` writes images; use .csv, .json, .md or .txt here")
    if (not suffix and not output.exists()) or (not suffix and output.is_file()):
        return OutputFormat.table
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if not suffix:
        return OutputFormat.table  # a device or pipe such as /dev/stdout: what a terminal would get, as text
    known = ", ".join([*EXTENSIONS, *(IMAGES if images else ())])
    what = "charts are written as .png or .svg, data" if images else "chipcmp"
    raise UsageError(f"-o {output}: {what} cannot be written as {suffix}; use one of {known} (or --format)")
