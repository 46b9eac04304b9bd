"""The machine formats and the one path out: CSV, TSV, JSON (one versioned envelope) and Markdown from one
`Result`, and `emit`, which picks the terminal table or a writer and the stream or `-o` file."""

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from chipcmp.data.files import check_output_path, write_text
from chipcmp.data.schema import NOT_SUPPORTED
from chipcmp.errors import OutputError
from chipcmp.output.formats import OutputFormat
from chipcmp.output.table import cell_text, is_missing, make_console, render_plain, render_table
from chipcmp.text import column_may_hold_formulas, escape_markdown, neutralize

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from chipcmp.core.result import Result


ENVELOPE_VERSION = 1  # JSON: bump when a key of the envelope changes meaning or goes away


def output_frame(result: "Result", ints: set[str] | None = None) -> "pd.DataFrame":
    """The frame as CSV, TSV and JSON carry it: the columns' output names, whole numbers as integers (`ints`:
    the integer columns, when decided over a whole result written in parts).

    Columns beyond the declared ones (assumptions as columns, provenance) are kept after them, in frame order.
    """
    import numpy as np

    ints = _int_columns(result) if ints is None else ints
    frame = result.marked()
    declared = [c.key for c in result.columns]
    extra = [k for k in frame.columns if k not in declared]
    out = frame[[*declared, *extra]]
    fixed: dict[str, Any] = {}
    for c in result.columns:
        s = out[c.key]
        if s.dtype.kind == "f":
            v = s.to_numpy()
            if np.isinf(v).any():
                raise OutputError("a result is too large to represent (it overflowed); check the sizes given")
            if c.key in ints:
                fixed[c.key] = s.astype("Int64")
        if c.kind == "row" and result.row_kinds and s.dtype.kind in "fO":
            fixed[c.key] = _whole_rows(s, result.row_kinds)
    out = out.assign(**fixed) if fixed else out
    names = [c.out for c in result.columns]
    seen: set[str] = set()
    unique = []
    for n in [*names, *extra]:
        name = n
        while name in seen:
            name += " (2)"
        seen.add(name)
        unique.append(name)
    return out.set_axis(unique, axis=1) if unique != list(out.columns) else out


def _int_columns(result: "Result") -> set[str]:
    """Integer-kind columns whose every known value is whole: written without decimals."""
    import numpy as np

    out = set()
    for c in result.columns:
        s = result.frame[c.key]
        if c.kind in ("int", "count") and s.dtype.kind == "f":
            v = s.to_numpy()
            if np.all(np.isnan(v) | (v == np.round(v))):
                out.add(c.key)
    return out


def _whole_rows(s: "pd.Series", kinds: Sequence[str | None]) -> "pd.Series":
    """A compare column (one row per field): the rows of whole-number fields (year, dies) as integers."""
    import pandas as pd

    cells = [int(v) if k in ("int", "count") and isinstance(v, float) and v == v and v == round(v) else v  # noqa: PLR0124
             for v, k in zip(s.to_numpy(dtype=object), kinds, strict=True)]
    return pd.Series(cells, index=s.index, dtype=object)


def _csv_frame(result: "Result", ints: set[str] | None = None) -> "pd.DataFrame":
    """The frame with formula-like text cells escaped and line breaks inside cells made plain LF (so the CSV
    writer quotes them). Only columns that hold such a cell are replaced: exports of a million rows must not
    double their memory."""
    from pandas import notna

    frame = output_frame(result, ints)
    numeric = {c.out for c in result.columns if c.numeric}
    marked = {c.out for c in result.columns if c.numeric and c.key in result.unsupported}
    fixed = {}
    for c in frame.columns:
        col = frame[c]
        if col.dtype.kind in "biufc" or str(col.dtype) == "Int64" or c in marked:
            continue  # numbers, and numbers with the "n/a" marks applied from masks: nothing a sheet would run
        values = col.to_numpy(dtype=object)
        # pandas' text dtype: every known cell is a string (this costs a tenth of dropna on a small table)
        cells = values[notna(values)].tolist() if col.dtype != object else [v for v in values if isinstance(v, str)]
        if c in numeric and all(v == NOT_SUPPORTED for v in cells):
            continue  # numbers and n/a (a throughput column with unsupported cells): nothing a sheet would run
        if column_may_hold_formulas(cells):
            fixed[c] = col.map(lambda v: neutralize(v.replace("\r\n", "\n").replace("\r", "\n"))
                               if isinstance(v, str) else v, na_action="ignore")
    frame = frame.assign(**fixed) if fixed else frame
    return frame.set_axis([neutralize(str(c)) for c in frame.columns], axis=1)


CSV_PART_ROWS = 100_000  # a large result is written this many rows at a time: its text never all in memory


def render_csv(result: "Result", out: IO[str], sep: str = ",") -> None:
    n = len(result.frame)
    ints = _int_columns(result)  # decided over the whole result, so every part writes a column alike
    for start in range(0, max(n, 1), CSV_PART_ROWS):
        part = result.rows(start, start + CSV_PART_ROWS) if n > CSV_PART_ROWS else result
        _csv_frame(part, ints).to_csv(out, index=False, lineterminator="\n", sep=sep, header=start == 0)


def render_tsv(result: "Result", out: IO[str]) -> None:
    render_csv(result, out, sep="\t")


def envelope(result: "Result", command: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON envelope, the same keys for every command (pinned by tests/output/test_contract.py)."""
    return {
        "chipcmp": ENVELOPE_VERSION,
        "command": command,
        "title": result.title,
        "data": data,
        "assumptions": result.assumptions,
        "columns": [{"name": c.out, "label": c.header, "unit": c.unit} for c in result.columns],
        "rows": [],
        "notes": list(result.notes),
    }


def render_json(result: "Result", out: IO[str], command: str = "", data: dict[str, Any] | None = None) -> None:
    import json

    head = _finite(envelope(result, command, data))
    # The envelope is written key by key; its rows come from pandas' own JSON writer (a million-row export in
    # seconds, where json.dumps over Python dicts takes minutes).
    parts = []
    for key, value in head.items():
        text = (output_frame(result).to_json(orient="records", force_ascii=False, double_precision=10)
                if key == "rows" else json.dumps(value, ensure_ascii=False, allow_nan=False, default=_jsonable))
        parts.append(f"{json.dumps(key)}: {text}")
    out.write("{" + ", ".join(parts) + "}\n")


def _finite(o: Any) -> Any:
    """NaN and pd.NA become null, infinities an error: JSON has no such numbers, and readers choke on them."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, float) and math.isinf(o):
        raise OutputError("a result is too large to represent (it overflowed); check the sizes given")
    return None if is_missing(o) else o


def _jsonable(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"{type(o).__name__} is not JSON")


def render_markdown(result: "Result", out: IO[str]) -> None:
    frame = result.marked()
    if result.title:
        out.write(f"**{escape_markdown(result.title)}**\n\n")
    out.write("| " + " | ".join(escape_markdown(c.header) for c in result.columns) + " |\n")
    out.write("|" + "|".join("---:" if c.numeric else "---" for c in result.columns) + "|\n")
    keys = [c.key for c in result.columns]
    kinds: Sequence[str | None] = result.row_kinds or [None] * len(frame)
    for pos, (row, row_kind) in enumerate(zip(frame[keys].itertuples(index=False, name=None), kinds, strict=True)):
        cells = (escape_markdown(cell_text(result, pos, c, v, row_kind)) for v, c in zip(row, result.columns,
                                                                                      strict=True))
        out.write("| " + " | ".join(cells) + " |\n")
    if result.notes:
        out.write("\n" + "\n".join(f"_{escape_markdown(line)}_  " for line in result.notes) + "\n")


class Target(NamedTuple):
    """Where and how a result goes: the format, the file (None: stdout), and the table's options."""

    fmt: OutputFormat
    output: Path | None = None
    bars: bool = True
    wide: bool = False
    command: str = ""
    data: dict[str, Any] | None = None
    protect: tuple[Path, ...] = ()


def _write(result: "Result", target: Target, f: IO[str]) -> list[str]:
    if target.fmt is OutputFormat.table:
        if result.chart is not None:
            f.write(result.chart)
            return []
        return render_plain(result, f, target.bars)
    if target.fmt is OutputFormat.json:
        render_json(result, f, target.command, target.data)
    elif target.fmt is OutputFormat.csv:
        render_csv(result, f)
    elif target.fmt is OutputFormat.tsv:
        render_tsv(result, f)
    else:
        render_markdown(result, f)
    return []


def emit(result: "Result", target: Target, console: "Console | None" = None) -> list[str]:
    """Render `result` to the target's file or to stdout (a rich table on a terminal). Returns messages."""
    messages = list(result.messages)
    if target.fmt in (OutputFormat.csv, OutputFormat.tsv) and result.notes:
        messages += result.notes  # CSV has no place for notes: they go to stderr
    if target.output is not None:
        check_output_path(target.output, target.protect)
        write_text(target.output, lambda f: messages.extend(_write(result, target, f)))
        messages.append(f"wrote {len(result.frame):,} row{'s' * (len(result.frame) != 1)} to {target.output} "
                        f"({target.fmt.value})")
        return messages
    terminal = console is not None or sys.stdout.isatty()
    if target.fmt is OutputFormat.table and terminal and result.chart is None:
        messages += render_table(result, console or make_console(), bars=target.bars, wide=target.wide)
    else:
        messages += _write(result, target, sys.stdout)
    sys.stdout.flush()
    return messages
