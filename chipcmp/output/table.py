"""Renderers: one `Result` in, a rich table, plain text, CSV, TSV, JSON or Markdown out. Compute once, render many.

Data goes to stdout (or the `-o` file); messages go to stderr. Text from data files is cleaned on every path to a
terminal or a Markdown file (`chipcmp.text`), and CSV cells a spreadsheet would run are neutralized.
"""

from __future__ import annotations

import functools
import math
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from chipcmp.core.result import BETTER, WORSE
from chipcmp.text import clean, two_significant

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from chipcmp.core.result import Col, Result


MISSING = "—"  # unknown: nobody published it


TABLE_MAX_ROWS = 200  # a terminal table longer than this is cut, with a note pointing at --top / --format csv


BAR_WIDTH = 10


MIN_TEXT = 8  # a text column is never cut below this many characters (it would say nothing)


# A cell that shows a figure: digits with separators, a unit sign, a marker. Such a cell is never cut.
_NUMBER_CELL = re.compile(r"^[-+]?[0-9][0-9,.]*(?:e[-+]?[0-9]+)?(?:×|%)?(?: \([-+0-9.%]+\))?~?(?: \*)?[▲▼]?$|^[—n/a]+$")


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
    "count": lambda v: f"{round(v):,}",
    "estimate": two_significant,  # an estimate with a range: two significant digits
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
    return clean(v)


def cell_text(result: Result, pos: int, col: Col, v: Any, row_kind: str | None) -> str:
    text = fmt_cell(v, col, row_kind)
    if (pos, col.key) in result.ranged:
        text += "~"
    if (pos, col.key) in result.marks:
        text += " *"
    verdict = result.better.get((pos, col.key))
    if verdict is not None:
        text += BETTER if verdict else WORSE
    return text


def bar(v: float, top: float, width: int = BAR_WIDTH) -> str:
    """`v` as a bar of block characters, `width` cells long at `top`, in eighths of a cell."""
    if is_missing(v) or not isinstance(v, (int, float)) or top <= 0 or v <= 0:
        return ""
    eighths = round(width * 8 * min(v / top, 1.0))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


def _limit(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A terminal table never shows a million rows: the first TABLE_MAX_ROWS, and a note on how to get all."""
    if len(frame) <= TABLE_MAX_ROWS:
        return frame, []
    return frame.head(TABLE_MAX_ROWS), [f"showing the first {TABLE_MAX_ROWS} of {len(frame):,} rows; use --top N, "
                                        "--format csv or -o FILE for all of them"]


class _Column:
    """A column as laid out: header, cells, alignment, and whether it may be cut or hidden. (A plain class: a
    dataclass's generated methods cost ~1 ms at every start of the tool.)"""

    __slots__ = ("better", "cells", "first", "header", "is_bar", "keep", "key", "right", "whole")

    def __init__(self, key: str, header: str, cells: list[str], right: bool, keep: bool = False, *,
                 is_bar: bool = False, better: list[bool | None] | None = None, first: bool = False,
                 whole: bool = False) -> None:
        self.key = key
        self.header = header
        self.cells = cells
        self.right = right
        self.keep = keep
        self.is_bar = is_bar
        self.better = better
        self.first = first  # the row's name: cut last, and never below 20 characters
        self.whole = whole  # never cut

    @property
    def natural(self) -> int:
        words = max((len(w) for w in self.header.split()), default=0)
        return max([words, *(len(c) for c in self.cells)]) if self.cells else max(words, 1)

    @property
    def minimum(self) -> int:
        """The narrowest this column may get: numbers whole, words whole (text wraps between them; only a word
        longer than 16 characters is cut with '…'), header words up to 12 characters whole, and the first
        column (the row's name) at least 20 characters when it has them."""
        if self.is_bar or self.whole:
            return self.natural
        numbers = max((len(c) for c in self.cells if _NUMBER_CELL.match(c)), default=0)
        words = max((len(w) for c in self.cells if not _NUMBER_CELL.match(c) for w in c.split()), default=0)
        header = min(12, max((len(w) for w in self.header.split()), default=0))
        floor = 20 if self.first else MIN_TEXT
        return max(numbers, header, min(self.natural, max(floor, min(words, 16))))


def merge_ratios(columns: list[_Column], groups: Sequence[tuple[str, ...]]) -> tuple[list[_Column],
                                                                                   list[tuple[str, ...]]]:
    """A compare's value and ratio columns as one for people to read: '1,979 2.80×▲' in the chip's cell (the
    machine formats keep them apart). Four chips then fit 80 columns."""
    by_key = {c.key: c for c in columns}
    merged: dict[str, str] = {}
    for g in groups:
        if len(g) == 2 and g[0] in by_key and g[1] in by_key:
            merged[g[0]] = g[1]
    if not merged:
        return columns, list(groups)
    out = []
    drop = set(merged.values())
    for c in columns:
        if c.key in drop:
            continue
        if c.key not in merged:
            out.append(c)
            continue
        ratio = by_key[merged[c.key]]
        cells = [f"{v} {r}" if r and r != MISSING else v for v, r in zip(c.cells, ratio.cells, strict=True)]
        out.append(_Column(c.key, c.header, cells, c.right, c.keep, better=ratio.better, first=c.first,
                           whole=c.whole))
    return out, [(g[0],) if g[0] in merged else g for g in groups]


def _layout(result: Result, frame: pd.DataFrame, bars: bool) -> list[_Column]:
    keys = [c.key for c in result.columns]
    kinds: Sequence[str | None] = result.row_kinds or [None] * len(frame)
    rows = list(frame[keys].itertuples(index=False, name=None))
    out: list[_Column] = []
    for i, col in enumerate(result.columns):
        values = [r[i] for r in rows]
        cells = [cell_text(result, pos, col, v, k) for pos, (v, k) in enumerate(zip(values, kinds, strict=True))]
        better = [result.better.get((pos, col.key)) for pos in range(len(rows))]
        out.append(_Column(col.key, clean(col.header), cells, col.numeric, col.keep,
                           better=better if any(b is not None for b in better) else None, first=i == 0,
                           whole=col.whole))
        if col.bar and bars:
            nums = [v for v in values if isinstance(v, (int, float)) and not is_missing(v)]
            top = max((abs(v) for v in nums), default=0.0)
            out.append(_Column(f"{col.key}__bar", "", [bar(v, top) for v in values], False, is_bar=True))
    return out


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def footnotes(columns: list[_Column], kinds: dict[str, str]) -> list[str]:
    """Long notes as footnotes: each note column's cells become markers (¹ ²), each distinct note (a cell's
    '; '-separated parts) written once below the table, so a row stays one line. Returns the footnote lines."""
    texts: dict[str, str] = {}
    for c in columns:
        if kinds.get(c.key) != "note":
            continue
        for i, cell in enumerate(c.cells):
            parts = [p.strip() for p in cell.split("; ") if p.strip() and p.strip() != "—"]
            marks = [texts.setdefault(p, str(len(texts) + 1).translate(_SUPERSCRIPT)) for p in parts]
            c.cells[i] = ",".join(marks)
        c.header = c.header if any(c.cells) else ""
    return [f"{mark} {text}" for text, mark in texts.items()]


def _table(title: Any = None) -> Any:
    """The one table style: a heavy rule under the header, no edges, one space between columns."""
    from rich import box
    from rich.table import Table

    return Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", expand=False, show_edge=False,
                 pad_edge=False, padding=(0, 1), collapse_padding=True)


@functools.lru_cache(maxsize=64)
def _overhead(n: int) -> int:
    """What `n` columns cost beyond their contents (padding, dividers), measured on rich itself."""
    from rich.console import Console

    table = _table()
    for _ in range(n):
        table.add_column(no_wrap=True, min_width=1, max_width=1)
    table.add_row(*(["x"] * n))
    console = Console(width=10_000, file=None, force_terminal=False)
    return console.measure(table).maximum - n


def _width(columns: Sequence[_Column], widths: dict[str, int] | None = None) -> int:
    """Characters the table takes on screen."""
    return sum((widths or {}).get(c.key, c.natural) for c in columns) + _overhead(len(columns))


def fit(columns: list[_Column], width: int, groups: Sequence[tuple[str, ...]] = ()) -> tuple[list[list[_Column]],
                                                                                          dict[str, int], list[str]]:
    """Pages of columns that fit `width`, the width of each text column, and what was hidden (for stderr).

    In order: drop the bars, cut long text with '…', then hide the least important columns (rightmost first,
    never a kept one) or, when the result groups its columns (compare), split the groups over pages.
    """
    hidden: list[str] = []
    if _width(columns) > width and any(c.is_bar for c in columns):
        columns = [c for c in columns if not c.is_bar]
        hidden.append("bars")
    widths = _shrink_text(columns, width)
    if _width(columns, widths) <= width:
        return [columns], widths, hidden
    if groups:
        return _pages(columns, width, widths, groups), widths, hidden
    kept = _hide(columns, width, widths, hidden)
    return [kept], widths, hidden


def _shrink_text(columns: list[_Column], width: int) -> dict[str, int]:
    """Each column's width after cutting text columns towards their minimum, the most cuttable first."""
    widths = {c.key: c.natural for c in columns}
    excess = _width(columns) - width
    for c in sorted(columns, key=lambda c: -(c.natural - c.minimum)):
        if excess <= 0:
            break
        cut = min(excess, widths[c.key] - c.minimum)
        widths[c.key] -= cut
        excess -= cut
    return widths


def _pages(columns: list[_Column], width: int, widths: dict[str, int],
           groups: Sequence[tuple[str, ...]]) -> list[list[_Column]]:
    """The column groups (compare's chips) spread over pages, the ungrouped columns repeated on each."""
    grouped = {k for g in groups for k in g}
    fixed = [c for c in columns if c.key not in grouped]
    by_key = {c.key: c for c in columns}
    pages: list[list[_Column]] = []
    page: list[_Column] = []
    for g in groups:
        members = [by_key[k] for k in g if k in by_key]
        if page and _width([*fixed, *page, *members], widths) > width:
            pages.append([*fixed, *page])
            page = []
        page += members
    if page:
        pages.append([*fixed, *page])
    return pages


def _hide(columns: list[_Column], width: int, widths: dict[str, int], hidden: list[str]) -> list[_Column]:
    """The columns kept after hiding the rightmost ones that may go (never a kept one, nor the first)."""
    kept = list(columns)
    for c in reversed(columns):
        if _width(kept, widths) <= width:
            break
        if not c.keep and c is not columns[0]:
            kept.remove(c)
            hidden.append(c.key)
    first = columns[0]
    over = _width(kept, widths) - width
    if over > 0 and not first.right:  # last resort: the name column gives up to 8 more characters
        widths[first.key] -= min(over, max(0, widths[first.key] - 12))
    return kept


def _wrap_header(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=max(width, 1), break_long_words=False)) if text else ""


def render_table(result: Result, console: Console, *, bars: bool = True, wide: bool = False) -> list[str]:
    """Print a rich table that fits the console: numbers whole, text cut with '…', columns hidden or paged when
    there is no room (said in the returned messages, for stderr)."""
    from rich.text import Text

    frame, messages = _limit(result.marked())
    columns, groups = merge_ratios(_layout(result, frame, bars), result.groups)
    notes = [*footnotes(columns, {c.key: c.kind for c in result.columns}), *result.notes]
    hidden: list[str] = []
    if wide:
        pages, widths = [columns], {c.key: c.natural for c in columns}
    else:
        pages, widths, hidden = fit(columns, console.width, groups)
    if _width(pages[0], widths) > console.width and not wide:
        # not even the name and one figure fit: plain text, one column after another, never a broken number
        import io

        buf = io.StringIO()
        render_plain(result, buf)
        console.file.write(buf.getvalue())
        return messages
    headers = {c.key: c.header for c in result.columns}
    for n, page in enumerate(pages):
        title = clean(result.title) + (f" ({n + 1}/{len(pages)})" if len(pages) > 1 else "")
        table = _table(Text(title) if title else None)
        for c in page:
            w = widths[c.key]
            table.add_column(Text(_wrap_header(c.header, w)), justify="right" if c.right else "left",
                             no_wrap=c.is_bar, min_width=w, max_width=w, overflow="ellipsis",
                             style="cyan" if c.is_bar else None)
        for r in range(len(frame)):
            cells = []
            for c in page:
                verdict = c.better[r] if c.better else None
                style = "" if verdict is None else ("green" if verdict else "red")
                cells.append(Text(c.cells[r], style=style))
            table.add_row(*cells)
        console.print(table, width=max(console.width, _width(page, widths)) if wide else None, crop=not wide)
    _print_notes(console, notes)
    if hidden:
        shown = [h for h in hidden if h != "bars"]
        what = (f"hid {len(shown)} column{'s' * (len(shown) != 1)} ({', '.join(headers.get(h, h) for h in shown)})"
                if shown else "left out the bars")
        messages.append(f"{what} to fit {console.width} columns; --wide shows everything, --columns picks columns")
    if len(pages) > 1:
        messages.append(f"the table is split into {len(pages)} parts to fit {console.width} columns; --wide keeps "
                        "it in one, --format csv for a spreadsheet")
    return messages


def _print_notes(console: Console, notes: list[str]) -> None:
    from rich.text import Text

    for line in notes:
        text = clean(line)
        if "://" in text:  # a URL must stay one piece to be clicked or copied: let the terminal wrap the line
            console.file.write(text + "\n")
        else:  # prose wraps between words at the terminal's width
            console.print(Text(text), overflow="fold")


def render_plain(result: Result, out: IO[str], bars: bool = True) -> list[str]:
    """The table as plain text for pipes and files: aligned columns, no colour, no box-drawing characters.

    Written by hand because rich's layout engine costs more than all of chipcmp's own work on a small table, and
    a pipe has no width to lay out for; terminals get the rich table.
    """
    frame, messages = _limit(result.marked())
    columns, _ = merge_ratios(_layout(result, frame, bars=bars), result.groups)
    notes = [*footnotes(columns, {c.key: c.kind for c in result.columns}), *result.notes]
    widths = [max([len(c.header), *(len(x) for x in c.cells)]) for c in columns]

    def line(cells: list[str]) -> str:
        return " | ".join(x.rjust(w) if c.right else x.ljust(w)
                          for x, w, c in zip(cells, widths, columns, strict=True))

    if result.title:
        out.write(clean(result.title) + "\n")
    out.write(line([c.header for c in columns]).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for r in range(len(frame)):
        out.write(line([c.cells[r] for c in columns]).rstrip() + "\n")
    for text in notes:
        out.write(clean(text) + "\n")
    return messages


def make_console(file: IO[str] | None = None, *, stderr: bool = False, width: int | None = None) -> Console:
    """A console for data (stdout) or messages (stderr)."""
    from rich.console import Console

    stream = file or (sys.stderr if stderr else sys.stdout)
    return Console(file=stream, width=width, stderr=stderr, highlight=False, soft_wrap=stderr, markup=False,
                   emoji=False)
