"""The output formats, alone in a module so that `--help` can name them without importing the renderers."""

import enum


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
