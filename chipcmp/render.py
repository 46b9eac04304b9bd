"""Renderers: one `Result` in, a rich table, CSV, JSON or Markdown out. Compute once, render many.

Data goes to stdout (or the `-o` file, written atomically); notes go to stderr.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from chipcmp.errors import OutputError
from chipcmp.formats import OutputFormat

if TYPE_CHECKING:
    from rich.console import Console

    from chipcmp.result import Col, Result

MISSING = "—"
TABLE_MAX_ROWS = 200  # a terminal table longer than this is cut, with a note pointing at --top / --format csv
BAR_WIDTH = 10
# Spreadsheets treat a cell starting with these as a formula (CSV injection); such text cells get a leading '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- values --------------------------------------------------------------------------------------------------


def is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # noqa: PLR0124 -- true for NaN and pd.NA alike, without importing pandas
    except (TypeError, ValueError):
        return False


_KIND_FORMATS: dict[str, Callable[[float], str]] = {
    "int": lambda v: f"{round(v)}",
    "ratio": lambda v: f"{v:.2f}×",
    "headroom": lambda v: f"{v:.2f}× ({(v - 1) * 100:+.1f}%)",  # value / threshold: 0.99× (-1.3%) is just under
}


def fmt_number(v: float, kind: str = "float") -> str:
    """Human formatting: thousands separators, about four significant digits, never scientific for data."""
    special = _KIND_FORMATS.get(kind)
    if special is not None:
        return special(v)
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a == 0:
        return "0"
    if a < 0.001:
        return f"{v:.2e}"
    digits = max(0, 3 - math.floor(math.log10(a)))
    return f"{v:.{digits}f}".rstrip("0").rstrip(".")


def fmt_cell(v: Any, col: Col, row_kind: str | None = None) -> str:
    kind = row_kind if col.kind == "row" and row_kind else col.kind
    if is_missing(v):
        return "" if col.kind == "ratio" and row_kind == "text" else MISSING  # no ratio of words
    if col.numeric and isinstance(v, (int, float)) and not isinstance(v, bool):
        return fmt_number(float(v), kind)
    return str(v)


def neutralize(v: Any) -> Any:
    """Escape text that a spreadsheet would run as a formula; numbers pass untouched."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


# --- output target -------------------------------------------------------------------------------------------


def check_output_path(path: Path, protect: tuple[Path, ...] = ()) -> None:
    """Fail before any work if `path` cannot be written, so no partial file is ever left behind."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.exists() and not path.is_file():
        raise OutputError(f"cannot write {path}: it exists and is not a regular file; choose a file path")
    if not parent.exists():
        raise OutputError(f"cannot write {path}: directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: directory {parent} is not writable; choose another location")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only; choose another name")
    for p in protect:
        try:
            if path.exists() and path.samefile(p):
                raise OutputError(f"refusing to overwrite the input file {path}; choose another output name")
        except OSError:
            continue


def write_atomic(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write text through a temporary file in the same directory, then rename: readers never see half a file."""
    _write_atomic(path, write, binary=False)


def write_atomic_bytes(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """`write_atomic` for binary files (images)."""
    _write_atomic(path, write, binary=True)


def _write_atomic(path: Path, write: Callable[[Any], None], *, binary: bool) -> None:
    import tempfile  # only when writing a file: its import costs more than a small table's rendering

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}; choose another location") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            write(f)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        raise


# --- renderers -----------------------------------------------------------------------------------------------


def bar(v: float, top: float, width: int = BAR_WIDTH) -> str:
    """`v` as a bar of block characters, `width` cells long at `top`, in eighths of a cell."""
    if is_missing(v) or top <= 0 or v <= 0:
        return ""
    eighths = round(width * 8 * min(v / top, 1.0))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


def _limit(frame: Any) -> tuple[Any, list[str]]:
    """A terminal table never shows a million rows: the first TABLE_MAX_ROWS, and a note on how to get all."""
    if len(frame) <= TABLE_MAX_ROWS:
        return frame, []
    return frame.head(TABLE_MAX_ROWS), [f"showing the first {TABLE_MAX_ROWS} of {len(frame):,} rows; use --top N, "
                                        "--format csv or -o FILE for all of them"]


def _cells(result: Result, frame: Any, bars: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells, with an inline bar column after each `bar` column when asked."""
    headers: list[str] = []
    tops: dict[str, float] = {}
    for col in result.columns:
        headers.append(col.header)
        if col.bar and bars and col.kind != "row":
            top = frame[col.key].abs().max()
            tops[col.key] = 0.0 if is_missing(top) else float(top)
            headers.append("")
    kinds: Sequence[str | None] = result.row_kinds or [None] * len(frame)
    keys = [c.key for c in result.columns]
    # Tables whose rows are fields (compare) scale a small bar per row, across the chips' columns.
    row_bar_keys = [c.key for c in result.columns if c.bar and c.kind == "row"] if bars else []
    rows = []
    for pos, (values, row_kind) in enumerate(zip(frame[keys].itertuples(index=False, name=None), kinds,
                                                 strict=True)):
        by_key = dict(zip(keys, values, strict=True))
        numeric_row = row_kind in ("float", "int") and row_bar_keys
        row_top = max((abs(by_key[k]) for k in row_bar_keys if not is_missing(by_key[k])), default=0.0) \
            if numeric_row and row_kind == "float" else 0.0
        cells: list[str] = []
        for col, v in zip(result.columns, values, strict=True):
            mark = " *" if (pos, col.key) in result.marks else ""
            text = fmt_cell(v, col, row_kind) + mark
            if col.key in row_bar_keys and row_top > 0:
                text = f"{text} {bar(v, row_top, 6):<6}"
            cells.append(text)
            if col.key in tops:
                cells.append(bar(v, tops[col.key]))
        rows.append(cells)
    return headers, rows


def render_plain(result: Result, out: IO[str]) -> list[str]:
    """The table as plain text for pipes and files: aligned columns, no colour, no box-drawing characters.

    Written by hand because rich's layout engine costs more than all of chipcmp's own work on a small table, and
    a pipe has no width to lay out for; terminals get the rich table.
    """
    frame, notes = _limit(result.frame)
    headers, rows = _cells(result, frame, bars=True)
    right = []
    for col in result.columns:
        right.append(col.numeric)
        if col.bar and col.kind != "row":
            right.append(False)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True))

    if result.title:
        out.write(result.title + "\n")
    out.write(line(headers).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write(line(r).rstrip() + "\n")
    for text in result.footer:
        out.write(text + "\n")
    return notes


def render_table(result: Result, console: Console) -> list[str]:
    """Print a rich table; return notes about what was left out (for stderr)."""
    from rich import box
    from rich.table import Table

    frame, notes = _limit(result.frame)
    table = Table(title=result.title or None, box=box.SIMPLE_HEAVY, title_justify="left")
    headers, rows = _cells(result, frame, bars=console.width >= 80)
    i = 0
    for col in result.columns:
        table.add_column(headers[i], justify="right" if col.numeric else "left", overflow="fold")
        i += 1
        if col.bar and col.kind != "row" and console.width >= 80:
            table.add_column("", justify="left", no_wrap=True, style="cyan")
            i += 1
    for cells in rows:
        table.add_row(*cells)
    console.print(table)
    for line in result.footer:
        console.print(line, highlight=False, markup=False, overflow="fold")
    return notes


def _csv_frame(result: Result) -> Any:
    """The frame with formula-like text cells escaped. Only columns that hold such a cell are replaced (no
    copy of the rest), since exports of a million rows must not double their memory."""
    frame = result.frame
    fixed = {}
    for c in frame.columns:
        col = frame[c]
        if col.dtype.kind in "biufc":
            continue
        text = col.astype("str") if col.dtype == object else col
        risky = text.str.startswith(_FORMULA_START, na=False)
        if risky.any():
            fixed[c] = col.map(neutralize, na_action="ignore")
    return frame.assign(**fixed) if fixed else frame


def render_csv(result: Result, out: IO[str]) -> None:
    _csv_frame(result).to_csv(out, index=False, lineterminator="\n")


def render_json(result: Result, out: IO[str]) -> None:
    frame = result.frame
    meta = {"title": result.title, **result.meta, "notes": result.footer}
    out.write('{"meta": ')
    out.write(json.dumps(meta, ensure_ascii=False, default=lambda o: o() if callable(o) else str(o)))
    out.write(', "rows": ')
    out.write(frame.to_json(orient="records", force_ascii=False, double_precision=10))
    out.write("}\n")


def render_markdown(result: Result, out: IO[str]) -> None:
    def esc(s: str) -> str:
        return str(neutralize(s)).replace("|", "\\|").replace("\n", " ")

    if result.title:
        out.write(f"**{esc(result.title)}**\n\n")
    out.write("| " + " | ".join(esc(c.header) for c in result.columns) + " |\n")
    out.write("|" + "|".join("---:" if c.numeric else "---" for c in result.columns) + "|\n")
    keys = [c.key for c in result.columns]
    kinds: Sequence[str | None] = result.row_kinds or [None] * len(result.frame)
    for pos, (row, row_kind) in enumerate(zip(result.frame[keys].itertuples(index=False, name=None), kinds,
                                              strict=True)):
        cells = (esc(fmt_cell(v, c, row_kind) + (" *" if (pos, c.key) in result.marks else ""))
                 for v, c in zip(row, result.columns, strict=True))
        out.write("| " + " | ".join(cells) + " |\n")
    if result.footer:
        out.write("\n" + "\n".join(f"_{esc(line)}_  " for line in result.footer) + "\n")


WRITERS: dict[OutputFormat, Callable[[Result, IO[str]], None]] = {
    OutputFormat.csv: render_csv,
    OutputFormat.json: render_json,
    OutputFormat.markdown: render_markdown,
}


def make_console(file: IO[str] | None = None, *, stderr: bool = False, width: int | None = None) -> Console:
    """A console for data (stdout) or messages (stderr). Piped output is plain text and never wrapped."""
    from rich.console import Console

    stream = file or (sys.stderr if stderr else sys.stdout)
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    if width is None and not is_tty and not stderr:
        width = 10_000  # a pipe or file has no width: let the table take what it needs
    return Console(file=stream, width=width, stderr=stderr, highlight=False, soft_wrap=stderr)


def emit(result: Result, fmt: OutputFormat, output: Path | None, console: Console | None = None,
         protect: tuple[Path, ...] = ()) -> list[str]:
    """Render `result` as `fmt` to `output` (a file, atomically) or stdout. Returns notes for stderr."""
    notes = list(result.notes)
    if fmt is not OutputFormat.table and result.footer:
        notes += result.footer if fmt is OutputFormat.csv else []
    if output is not None:
        check_output_path(output, protect)
        if fmt is OutputFormat.table:
            write_atomic(output, lambda f: notes.extend(render_plain(result, f)))
        else:
            write_atomic(output, lambda f: WRITERS[fmt](result, f))
        notes.append(f"wrote {len(result.frame):,} rows to {output}")
        return notes
    if fmt is OutputFormat.table:
        if console is None and not sys.stdout.isatty():
            notes.extend(render_plain(result, sys.stdout))
        else:
            notes.extend(render_table(result, console or make_console()))
    else:
        WRITERS[fmt](result, sys.stdout)
        sys.stdout.flush()
    return notes
