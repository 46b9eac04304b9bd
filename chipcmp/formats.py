"""The output formats, alone in a module so that `--help` can name them without importing the renderers."""

import enum


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
