"""Text from data files and the command line is text: never terminal control, markup, or undecodable bytes.

Every path to a terminal, a Markdown file or stderr passes through `clean`; CSV cells pass through `neutralize`.
The patterns are kept as text and compiled by `re` (which caches them) on first use: most runs never need them,
and compiling them all cost ~1.3 ms at every start.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls (ESC, CR, BEL, ...), DEL, and the invisible direction and width characters that reorder or
# hide text. A tab or newline inside a cell is folded to a space: a cell is one line.
_CONTROL = "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
# Spreadsheets run a cell as a formula when it starts with one of these, full-width forms included.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# ... but a lone sign, a negative number or an option name is plain text, and altering it would corrupt data.
_PLAIN = r"^(?:[-+]|[-+]?(?:[0-9][0-9,]*\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?%?|--?[A-Za-z][\w-]*)$"


def clean(value: Any) -> str:
    """`value` as one line of displayable text: controls and invisible characters removed, bad bytes shown."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # every character the pattern removes is a control or format character: unprintable
        return text
    if any("\ud800" <= ch <= "\udfff" for ch in text):  # undecodable bytes carried as surrogates (file names)
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(_CONTROL, lambda m: " " if m.group() in "\t\n\r" else "", text)


def formula_like(text: str) -> bool:
    """True when a spreadsheet would evaluate `text` (at its start or after a line break inside it)."""
    if not text:
        return False
    if text.startswith(_FORMULA_START) and not re.match(_PLAIN, text):
        return True
    return any(line.lstrip().startswith(_FORMULA_START) and not re.match(_PLAIN, line.strip())
               for line in re.split(r"[\r\n]+", text)[1:] if line.strip())


# A cell that may start a formula, in cells joined by NUL: formula_like's first test, over a whole column at once.
_MAY_START = "\0\\s*[" + re.escape("".join(_FORMULA_START)) + "]"


def column_may_hold_formulas(cells: list[str]) -> bool:
    """False only when no cell of `cells` can be formula_like: one search over the column (a regex per cell cost
    0.9 s per 100k rows of export)."""
    joined = "\0" + "\0".join(cells)
    return "\r" in joined or "\n" in joined or re.search(_MAY_START, joined) is not None


def neutralize(value: Any) -> Any:
    """A CSV/Markdown cell a spreadsheet will show as text: formula-like text gets a leading apostrophe and its
    inner line breaks become spaces; numbers and plain text pass untouched."""
    if isinstance(value, str) and formula_like(value):
        return "'" + re.sub(r"[\r\n]+", " ", value)
    return value


def escape_markdown(value: Any) -> str:
    """A Markdown table cell: one line, no HTML, pipes and markup characters escaped, formulas neutralized."""
    text = clean(neutralize(value if isinstance(value, str) else str(value)))
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def shorten(value: Any, width: int = 60) -> str:
    """`value` cut to `width` characters with an ellipsis: a message never echoes a 100 KB argument."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_LONG_WORD = r"[^\s'\"]{61,}"


def shorten_words(message: str, width: int = 60) -> str:
    """`message` with every run of over `width` non-space characters cut (an option value of 5,000 digits
    quoted by an error), so that no message repeats a huge argument; a file path stays whole (it names the file
    to fix)."""
    return re.sub(_LONG_WORD, lambda m: m.group(0) if "/" in m.group(0) else shorten(m.group(0), width), message)


def span(low: float, high: float) -> str:
    """An estimate's range, '120–330', or '—' where an end is unknown or nothing varies (inputs the user fixed)."""
    if not (low > 0 and high > 0) or low == high:  # NaN compares false: unknown
        return "—"
    return f"{two_significant(low)}–{two_significant(high)}"


def two_significant(v: float) -> str:
    """An estimate to two significant digits (2,100; 0.34): its error is tens of percent, so no more are shown."""
    import math

    if not v > 0 or math.isinf(v):
        return "—"
    mag = math.floor(math.log10(v))
    r = round(v, 1 - mag)
    if mag >= 6:  # 4,100,000 reads as 4.1M: the zeros carry nothing
        return f"{r / 1e9:g}G" if mag >= 9 else f"{r / 1e6:g}M"
    return f"{r:,.0f}" if mag >= 1 else f"{r:.{1 - mag}f}"
