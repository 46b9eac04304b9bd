"""Load and validate chip data: the bundled CSV, a replacement (--data) and overlays (--add).

Everything here is vectorised: a user file of a million rows is parsed by pandas' C reader in one pass, and the
slow, exact diagnosis (which row, which column) only runs once a file is known to be bad.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipcmp import schema
from chipcmp.errors import DataError, UsageError
from chipcmp.fileio import (
    ENV_DATA,
    MAX_FIELD_BYTES,
    MAX_HEADER_BYTES,
    bundled_path,
    check_input,
    is_regular,
    read_stream,
)
from chipcmp.names import INVISIBLE, fold_series, lookalike_pairs, name_problem
from chipcmp.schema import NOT_SUPPORTED
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd

BUNDLED = "chips.csv"
IN_MEMORY_BYTES = 8 << 20  # files up to this size are read once into memory
SCAN_CHUNK = 1 << 22  # bytes per numpy pass of the ragged-row scan


@dataclass(frozen=True)
class Source:
    """Where the rows came from: shown in outputs and carried in exports."""

    label: str  # "bundled" or the path as the user gave it
    path: Path
    rows: int
    digest: str | None = None  # known when the bytes were read whole; a big file is hashed only when asked

    @property
    def sha256(self) -> str:
        if self.digest is None:
            object.__setattr__(self, "digest", _sha256(self.path))
        return self.digest  # type: ignore[return-value]


@dataclass
class Dataset:
    """The loaded chips (one row per chip, columns as in `schema.COLUMNS`) and their provenance."""

    frame: pd.DataFrame
    sources: list[Source]
    warnings: list[str] = field(default_factory=list)
    # (row label, column) pairs whose value came from an overlay file, and from which file
    overridden: dict[tuple[str, str], str] = field(default_factory=dict)
    # (row label, column) pairs the data marks "n/a": the chip does not support that format (not: unknown)
    unsupported: set[tuple[object, str]] = field(default_factory=set)
    _by_column: dict[str, set[object]] | None = field(default=None, repr=False, compare=False)

    def origin(self, label: object, column: str) -> str | None:
        """The user file (or '--price') a cell came from, or None for the bundled/--data figure."""
        key = str(label)
        return self.overridden.get((key, column)) or self.overridden.get((key, "*"))

    def is_unsupported(self, label: object, column: str) -> bool:
        return (label, column) in self.unsupported

    def unsupported_labels(self, column: str) -> set[object]:
        """Row labels whose `column` is n/a."""
        return self._unsupported_by_column().get(column, set())

    def unsupported_columns(self) -> set[str]:
        """Columns with at least one n/a cell."""
        return set(self._unsupported_by_column())

    def _unsupported_by_column(self) -> dict[str, set[object]]:
        # Indexed once (a big file has ~500k n/a cells); the overlay code, which adds and removes cells, resets it.
        if self._by_column is None:
            by: dict[str, set[object]] = {}
            for label, c in self.unsupported:
                by.setdefault(c, set()).add(label)
            self._by_column = by
        return self._by_column

    def describe(self) -> str:
        """'bundled + my.csv (2 cells overridden, 1 chip added)', for the note every output carries."""
        cells = sum(1 for (_, c) in self.overridden if c != "*")
        added = sum(1 for (_, c) in self.overridden if c == "*")
        parts = [s.label for s in self.sources]
        extra = [f"{cells} cell{'s' * (cells != 1)} overridden" if cells else "",
                 f"{added} chip{'s' * (added != 1)} added" if added else ""]
        detail = ", ".join(e for e in extra if e)
        return " + ".join(parts) + (f" ({detail})" if detail else "")

    @property
    def version(self) -> str:
        """Dataset version: the chipcmp version plus the short hash of every file read."""
        from chipcmp import __version__

        return f"chipcmp {__version__}; " + "; ".join(f"{s.label} sha256:{s.sha256[:12]}" for s in self.sources)


def _dtypes() -> dict[str, str]:
    return {c.name: ("float64" if c.numeric else "str") for c in schema.COLUMNS}


def read_header(source: Path | bytes, shown: str) -> tuple[list[str], bytes]:
    """The header's column names (stripped), and the file's first bytes."""
    import csv
    import io

    with _open_binary(source) as f:
        head = f.read(MAX_HEADER_BYTES + 1)
    if not head.strip():
        raise DataError(f"{shown}: the file is empty; it needs a header row starting with 'name' and one row per chip")
    line_end = head.find(b"\n")
    if line_end < 0 and len(head) > MAX_HEADER_BYTES:
        raise DataError(f"{shown}: the first line is longer than {MAX_HEADER_BYTES:,} bytes; the header should name "
                        "the columns, e.g. name,vendor,bf16_tflops")
    first_bytes = head if line_end < 0 else head[:line_end]
    if b"\r" in first_bytes.rstrip(b"\r"):
        raise DataError(f"{shown}: line 1: a bare CR line break (old Mac line endings); save the file with LF or "
                        "CRLF line endings")
    try:
        first = first_bytes.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as e:
        raise DataError(f"{shown}: line 1 is not UTF-8 text (byte 0x{first_bytes[e.start]:02x}); save the file as "
                        "UTF-8 CSV") from None
    header = next(csv.reader(io.StringIO(first)), [])
    names = [h.strip() for h in header]
    if "name" not in names:
        for delim in (";", "\t", "|"):
            if delim in first and first.count(delim) >= max(1, first.count(",")):
                raise DataError(f"{shown}: looks {'tab' if delim == chr(9) else repr(delim)}-separated; "
                                "chipcmp reads comma-separated CSV (save it with ',' as the delimiter)")
        raise DataError(f"{shown}: has no 'name' column in its header; the first line must name the columns, "
                        "e.g. name,vendor,bf16_tflops")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"{shown}: column {dupes[0]!r} appears more than once in the header; keep one")
    if any(not n for n in names):
        raise DataError(f"{shown}: the header has an empty column name (column {names.index('') + 1}); "
                        "name every column")
    return names, head


def open_source(path: Path, shown: str) -> Path | bytes:
    """What to parse: the path of a regular file, or the bytes of a pipe or device read once."""
    check_input(path, shown)
    return path if is_regular(path) else read_stream(path, shown)


def _line_of_byte(source: Path | bytes, offset: int) -> int:
    with _open_binary(source) as f:
        return f.read(offset).count(b"\n") + 1


def read_table(  # noqa: PLR0912 -- one failure branch per way a file can be malformed, each its own message
    path: Path, shown: str, source: Path | bytes | None = None,
) -> tuple[pd.DataFrame, list[str], set]:
    """Read one chips CSV into a frame with the schema's dtypes. Returns (frame, warnings, unsupported cells).

    Raises DataError naming the file, line and column for anything malformed.
    """
    import pandas as pd

    if source is None:
        source = open_source(path, shown)
    names, _ = read_header(source, shown)
    notes: list[str] = []
    unknown = [n for n in names if n not in schema.COLUMN_BY_NAME]
    if unknown:
        notes.append(f"{shown}: ignoring unknown column(s) {', '.join(map(repr, unknown))} "
                     "(run `chipcmp metrics` for the schema)")
    dtypes = {n: t for n, t in _dtypes().items() if n in names}
    bools: list[int] = []
    try:
        ragged = _first_ragged_row(source, len(names), bools)
    except _Problem as p:
        raise DataError(f"{shown}: line {p.line}: {p.message}") from None
    if ragged is not None:
        raise DataError(f"{shown}: line {ragged[0]} has {ragged[1]} fields but the header has {len(names)}; "
                        "every row needs as many fields as the header")
    has_na = _contains(source, NOT_SUPPORTED.encode())
    numeric = [n for n in names if n in dtypes and dtypes[n] == "float64"]
    try:
        with warnings.catch_warnings(), _open_binary(source) as stream:
            # pandas only *warns* when the first data row has more fields than the header: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                stream, dtype=dtypes, names=names, header=0,  # stripped names, so dtypes apply
                encoding="utf-8-sig", keep_default_na=False, index_col=False, skipinitialspace=True,
                na_values={n: ["", NOT_SUPPORTED] if n in numeric and has_na else [""] for n in names},
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError) as e:
        raise DataError(f"{shown}: {_parser_message(e)}; every row needs as many fields as the header") from None
    except UnicodeDecodeError as e:  # before ValueError, of which it is a subclass
        raise DataError(f"{shown}: line {_line_of_byte(source, e.start)} is not UTF-8 text ({e.reason}); save the "
                        "file as UTF-8 CSV") from None
    except ValueError:
        raise _diagnose_values(source, shown, names) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{shown}: the file is empty; it needs a header row and one row per chip") from None
    if df.empty:
        raise DataError(f"{shown}: has a header but no rows; add one row per chip")
    if bools:
        _check_bools(source, shown, names, bools[0])
    unsupported: set = set()
    if has_na and numeric:
        unsupported = _unsupported_cells(source, names, numeric)
    if unknown:
        df = df.drop(columns=unknown)
    _check_values(df, shown)
    # Every schema column exists afterwards, empty where the file did not have it.
    for c in schema.COLUMNS:
        if c.name not in df.columns:
            df[c.name] = pd.Series(float("nan") if c.numeric else pd.NA, index=df.index, dtype=_dtypes()[c.name])
    df = df[[c.name for c in schema.COLUMNS]]
    return df, notes, unsupported


def _unsupported_cells(source: Path | bytes, names: list[str], numeric: list[str]) -> set[tuple[int, str]]:
    """(row label, column) of every "n/a" in a numeric column. The csv module for an ordinary file (a few hundred
    rows: faster than a second pandas parse), pandas' C reader for a big one."""
    import csv
    import io

    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size < IN_MEMORY_BYTES:
        raw = source if isinstance(source, bytes) else source.read_bytes()
        rows = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), skipinitialspace=True)
        next(rows, None)
        where = [(i, n) for i, n in enumerate(names) if n in numeric]
        found = set()
        label = 0
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue  # a blank line is no record, for pandas either
            found |= {(label, n) for i, n in where if i < len(row) and row[i].strip().lower() == NOT_SUPPORTED}
            label += 1
        return found
    import pandas as pd

    with _open_binary(source) as stream:
        table = pd.read_csv(stream, dtype=str, names=names, header=0, usecols=numeric, encoding="utf-8-sig",
                            keep_default_na=False, skipinitialspace=True)
    out: set[tuple[int, str]] = set()
    for col in numeric:
        # The main parse accepts only an exact "n/a" (leading spaces skipped) in a number column, so an exact
        # comparison finds them all; numpy compares without pandas' per-cell string methods.
        hit = table[col].to_numpy(dtype=object) == NOT_SUPPORTED
        out |= {(label, col) for label in table.index[hit]}
    return out


def _contains(source: Path | bytes, needle: bytes) -> bool:
    if isinstance(source, bytes):
        return needle in source.lower()
    with source.open("rb") as f:
        tail = b""
        while chunk := f.read(SCAN_CHUNK):
            if needle in (tail + chunk).lower():
                return True
            tail = chunk[-len(needle):]
    return False


def _check_bools(source: Path | bytes, shown: str, names: list[str], line: int) -> None:
    """true/false where a number belongs: pandas would read it as 1.0 or 0.0."""
    import csv
    import io

    with _open_binary(source) as f:
        raw = b""
        for i, raw in enumerate(f, start=1):  # noqa: B007 -- the loop finds the line; `raw` is used after it
            if i == line:
                break
    cells = next(csv.reader(io.StringIO(raw.decode("utf-8", "replace"))), [])
    for name, cell in zip(names, cells, strict=False):
        c = schema.COLUMN_BY_NAME.get(name)
        if c is not None and c.numeric and cell.strip().lower() in ("true", "false"):
            raise DataError(f"{shown}: line {line}, column {name!r}: {cell.strip()!r} is not a number "
                            f"({c.unit or 'plain number'} expected; leave the cell empty if unknown)")


def _parser_message(e: Exception) -> str:
    text = str(e)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return f"line {m[2]} has {m[3]} fields but the header has {m[1]}"
    return "the first data row has more fields than the header" if "Length of header" in text else text.strip()


def _diagnose_values(source: Path | bytes, shown: str, names: list[str]) -> DataError:
    """Slow path, only for a file already known to be bad: find the first non-numeric cell."""
    import pandas as pd

    try:
        with _open_binary(source) as stream:
            raw = pd.read_csv(stream, dtype=str, encoding="utf-8-sig", keep_default_na=False, index_col=False,
                              names=names, header=0)
    except (ValueError, pd.errors.ParserError) as e:
        return DataError(f"{shown}: cannot be parsed as CSV ({str(e).strip().splitlines()[0]}); "
                         "`chipcmp audit FILE` lists every problem")
    for col in raw.columns:
        c = schema.COLUMN_BY_NAME.get(col)
        if c is None or not c.numeric:
            continue
        text = raw[col].str.strip()
        bad = text.ne("") & text.str.lower().ne(NOT_SUPPORTED) & pd.to_numeric(text, errors="coerce").isna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            return DataError(f"{shown}: line {i + 2}, column {col!r}: {shorten(raw[col].iloc[i])!r} is not a number "
                             f"({c.unit or 'plain number'} expected; leave the cell empty if unknown)")
    return DataError(f"{shown}: a value could not be read as the schema's type")


def _check_values(df: pd.DataFrame, shown: str) -> None:
    """Reject values no chip can have: inf, zero or negative sizes, magnitudes outside the registry's range.

    Plain numpy per column: no 2-D copy of a million-row frame, and no pandas overhead on the bundled 86 rows.
    """
    import numpy as np

    for c in schema.COLUMNS:
        if not c.numeric or c.name not in df.columns:
            continue
        v = df[c.name].to_numpy(dtype="float64", copy=False)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(v) | (v <= 0)
            out = (v < (c.lo if c.lo is not None else -np.inf)) | (v > (c.hi if c.hi is not None else np.inf))
        if bad.any():
            r = int(bad.argmax())
            what = "infinite" if np.isinf(v[r]) else ("zero" if v[r] == 0 else "negative")
            raise DataError(f"{shown}: line {r + 2}, column {c.name!r}: {what} value {v[r]:g} is impossible; "
                            "leave the cell empty if unknown")
        if out.any():
            r = int(out.argmax())
            raise DataError(f"{shown}: line {r + 2}, column {c.name!r}: {v[r]:g} is outside the plausible "
                            f"range {c.lo:g} to {c.hi:g} {c.unit}; check the unit (`chipcmp audit FILE` "
                            "lists every problem)")
    names = df["name"]
    empty = names.isna() | names.eq("")
    if empty.any():
        r = int(empty.to_numpy().argmax())
        raise DataError(f"{shown}: line {r + 2}: empty 'name'; every row needs a chip name")
    odd = names.str.contains(INVISIBLE, regex=True)
    # Only a name without an ASCII letter or digit can fold to nothing: fold just those (1.5 s per million rows).
    plain = names.str.contains(r"[A-Za-z0-9]", regex=True)
    if not plain.all():
        odd = odd | (~plain & fold_series(names.where(~plain, "x")).eq(""))
    if odd.any():
        r = int(odd.to_numpy().argmax())
        raise DataError(f"{shown}: line {r + 2}: the name {shorten(names.iloc[r])!r} "
                        f"{name_problem(names.iloc[r])}; rename the chip")
    # Exact repeats are errors here (a hash check, cheap on a million rows). Names equal only after folding case
    # and punctuation are reported by `resolve` when named, and by `chipcmp audit`.
    dup = names.duplicated(keep=False)
    if dup.any():
        first = names[dup].iloc[0]
        lines = [str(i + 2) for i in np.flatnonzero(names.eq(first).to_numpy())][:3]
        raise DataError(f"{shown}: chip name {first!r} appears more than once (lines {', '.join(lines)}); "
                        "keep one row per chip")


def scan_problem(source: Path | bytes, nfields: int) -> tuple[int, str] | None:
    """(line, message) of the first pattern the loader refuses before parsing (stray quote, bare CR, oversized
    field), or None: the audit reports the same problems the loader stops on."""
    try:
        _first_ragged_row(source, nfields)
    except _Problem as p:
        return p.line, p.message
    return None


class _Problem(Exception):
    """A malformed byte pattern found by the scan: (physical line, what is wrong and how to fix it)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message


def _first_bool(chunk: bytes) -> int | None:
    """Where the first cell that is just true or false (any case, spaces around) starts in `chunk`, or None. Each
    word is found by bytes.find and its cell checked around it: a regex over the chunk was 0.4 s per 100k rows."""
    low = chunk.lower()
    found = []
    for word in (b"true", b"false"):
        at = low.find(word)
        while at != -1:
            start, end = at, at + len(word)
            while start > 0 and low[start - 1] in b" \t":
                start -= 1
            while end < len(low) and low[end] in b" \t":
                end += 1
            if (start == 0 or low[start - 1] in b",\n") and (end == len(low) or low[end] in b",\r\n"):
                found.append(at)
                break
            at = low.find(word, at + 1)
    return min(found) if found else None


def _open_binary(source: Path | bytes) -> Any:
    import io

    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _first_ragged_row(  # noqa: PLR0912, PLR0915 -- one pass over the bytes keeps the chunk state in one place
    source: Path | bytes, nfields: int, bools: list[int] | None = None,
) -> tuple[int, int] | None:
    """(line, fields) of the first non-blank record whose field count differs from the header's, or None.

    pandas silently pads short rows with empty cells (a truncated row would read as "unknown" figures). This
    scans the bytes once with numpy, a few MiB at a time: commas per record come from binary searches of comma
    and newline positions, less the commas inside quoted spans, so a million rows cost a fraction of parsing.
    The same pass raises `_Problem` for what pandas would silently misread: a bare CR line break, a stray quote
    inside a field (two of them pair up and hide the rows between), a field longer than MAX_FIELD_BYTES, and
    true/false where a number belongs (pandas reads True as 1.0): the physical line of the first cell that is
    just true or false is appended to `bools`, for the caller to check against the column's type.
    """
    import numpy as np

    neighbours = np.frombuffer(b',\n\r" \t', dtype=np.uint8)
    parity = 0  # inside a quoted field at the chunk boundary?
    carry_commas = 0  # commas of the record still open at the chunk boundary
    carry_len = 0  # its bytes so far
    last_byte = 10
    record = 0  # records finished (the header is record 0)
    lines = 0  # physical newlines before this chunk
    last_sep = -1  # position (in the whole file) of the last comma or newline
    offset = 0
    with _open_binary(source) as f:
        while chunk := f.read(SCAN_CHUNK):
            a = np.frombuffer(chunk, dtype=np.uint8)
            commas = np.flatnonzero(a == 44)
            ends = np.flatnonzero(a == 10)
            quotes = np.flatnonzero(a == 34)

            def line_at(pos: int, ends: Any = ends, lines: int = lines) -> int:
                return lines + int(np.searchsorted(ends, pos)) + 1

            # a field too long to be a chip's: the gap between separators
            seps = np.flatnonzero((a == 44) | (a == 10))  # commas and newlines in order (union1d sorts: slow)
            gaps = np.diff(np.concatenate(([last_sep - offset], seps, [a.size])))
            if gaps.size and int(gaps.max()) > MAX_FIELD_BYTES:
                at = int(np.concatenate(([last_sep - offset], seps))[int(gaps.argmax())]) + 1
                raise _Problem(line_at(max(at, 0)), f"a field longer than {MAX_FIELD_BYTES:,} bytes; no chip's "
                               "figure or note is that long (is this the right file?)")
            if seps.size:
                last_sep = offset + int(seps[-1])
            # quotes: one that opens a field follows a separator, one that closes it precedes one
            if quotes.size:
                opening = ((np.arange(quotes.size) + parity) & 1) == 0
                prev = np.where(quotes > 0, a[np.maximum(quotes - 1, 0)], last_byte)
                nxt = np.where(quotes + 1 < a.size, a[np.minimum(quotes + 1, a.size - 1)], 44)
                ok = np.where(opening, np.isin(prev, neighbours), np.isin(nxt, neighbours))
                if not ok.all():
                    pos = int(quotes[int(np.argmin(ok))])
                    raise _Problem(line_at(pos), "a stray double quote inside a field; quote the whole field "
                                   '("...") and double any quote inside it ("")')
            # a CR that is not part of CRLF, outside quotes, breaks the row for pandas but not for the scan
            crs = np.flatnonzero(a == 13)
            if crs.size:
                bare = crs[(crs + 1 >= a.size) | (a[np.minimum(crs + 1, a.size - 1)] != 10)]
                bare = bare[bare + 1 < a.size]  # a CR at the chunk's end: its LF may start the next chunk
                if bare.size:
                    outside = ((np.searchsorted(quotes, bare) + parity) & 1) == 0
                    if outside.any():
                        raise _Problem(line_at(int(bare[outside][0])), "a bare CR line break (old Mac line "
                                       "endings); save the file with LF or CRLF line endings")
            if bools is not None and not bools:
                word_at = _first_bool(chunk)
                if word_at is not None:
                    bools.append(line_at(word_at))
            # commas per segment: up to each newline, then the record left open at the chunk's end
            before = np.searchsorted(commas, ends)
            per = np.diff(np.concatenate((before, [commas.size])), prepend=0)
            if parity or quotes.size:
                # quoted spans: before the first quote if we start inside one, then every other gap
                bounds = np.concatenate(([0], quotes)) if parity else quotes
                upto = np.searchsorted(commas, bounds)
                spans = (np.append(upto[1:], commas.size) - upto)[::2]
                owner = np.searchsorted(ends, bounds[::2])  # the segment each quoted span starts in
                np.subtract.at(per, owner, spans)
                newline_inside = (np.searchsorted(quotes, ends) + parity) & 1 == 1
                if newline_inside.any():  # a quoted newline does not end the record: merge its segments
                    group = np.cumsum(np.concatenate(([True], ~newline_inside))) - 1
                    per = np.bincount(group, weights=per).astype(np.int64)
                    ends = ends[~newline_inside]
                parity = (parity + quotes.size) & 1
            if ends.size:
                counts = per[: ends.size].copy()
                counts[0] += carry_commas
                lens = np.diff(ends, prepend=-1) - 1
                lens[0] += carry_len
                prev_b = np.where(ends > 0, a[np.maximum(ends - 1, 0)], last_byte)
                lens = lens - (prev_b == 13)  # a CRLF line's CR is not content
                bad = np.flatnonzero((counts + 1 != nfields) & (lens > 0))
                bad = bad[record + bad > 0]  # the header is checked on its own
                if bad.size:
                    return int(record + bad[0] + 1), int(counts[bad[0]] + 1)
                record += ends.size
                carry_commas = int(per[ends.size:].sum())
                carry_len = int(a.size - ends[-1] - 1)
            else:
                carry_commas += int(per.sum())
                carry_len += int(a.size)
            lines += int(np.count_nonzero(a == 10))
            last_byte = int(a[-1])
            offset += a.size
    if carry_len > 0 and carry_commas + 1 != nfields and record > 0:
        return record + 1, carry_commas + 1
    return None


def _sha256(source: Path | bytes) -> str:
    import hashlib

    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def _load_file(path: str, shown: str, stamp: tuple[int, int], price_kind: str) -> tuple[
        pd.DataFrame, Source, tuple[str, ...], frozenset]:
    """One regular file, parsed once per process while its size and mtime stay the same. The bundled chips get
    their derived columns (prices, confidence, measurements) from the files beside them."""
    p = Path(path)
    if shown == "bundled":
        from chipcmp import cache

        entry = cache.key(sorted(p.parent.glob("*.csv")), price_kind)
        hit = cache.read(entry)
        if hit is not None:
            frame, meta = hit
            return (frame, Source(shown, p, len(frame), meta["sha256"]), tuple(meta["notes"]),
                    frozenset((label, column) for label, column in meta["unsupported"]))
    # A file of ordinary size is read into memory once: the scan, the parse, the n/a cells and the hash all use
    # those bytes. A big one is streamed by each pass instead, so memory stays near pandas' own.
    source: Path | bytes = p.read_bytes() if stamp[1] <= IN_MEMORY_BYTES else p
    df, notes, unsupported = read_table(p, shown, source)
    digest = _sha256(source) if isinstance(source, bytes) else None
    if shown == "bundled":
        from chipcmp.provenance import enrich

        df = enrich(df, price_kind)
        cache.write(entry, df, {"sha256": digest or _sha256(p), "notes": list(notes),
                                "unsupported": sorted([label, column] for label, column in unsupported)})
    return df, Source(shown, p, len(df), digest), tuple(notes), frozenset(unsupported)


def _load(path: Path, shown: str, price_kind: str = "any") -> tuple[pd.DataFrame, Source, tuple[str, ...],
                                                                     frozenset]:
    source = open_source(path, shown)
    if isinstance(source, bytes):  # a pipe or a device: read once, never cached
        df, notes, unsupported = read_table(path, shown, source)
        return df, Source(shown, path, len(df), _sha256(source)), tuple(notes), frozenset(unsupported)
    st = path.stat()
    return _load_file(str(path), shown, (st.st_mtime_ns, st.st_size), price_kind)


def _private(df: pd.DataFrame) -> pd.DataFrame:
    """A frame the caller may change without changing the cache: free under pandas' copy-on-write (pandas 3),
    a real copy before it."""
    import pandas as pd

    return df.copy(deep=int(pd.__version__.split(".")[0]) < 3)


def load_dataset(data: str | os.PathLike[str] | None = None, add: Sequence[str | os.PathLike[str]] = (),
                 prices: Sequence[str] = (), price_kind: str = "any") -> Dataset:
    """Load the chips. `data` (or $CHIPCMP_DATA) replaces the bundled CSV; each `add` file overlays it (a row
    naming a known chip overrides the cells it fills, a new name adds a chip); `prices` ('NAME=USD') override
    prices. Each file is parsed once per process."""
    if data is None:
        data = os.environ.get(ENV_DATA) or None
    if data is None:
        path, shown = bundled_path(), "bundled"
    else:
        path, shown = Path(data), str(data)
    df, source, notes, unsupported = _load(path, shown, price_kind)
    ds = Dataset(_private(df), [source], list(notes), unsupported=set(unsupported))
    ds.warnings += _lookalike_warnings(ds.frame, shown)
    seen = {_identity(path)}
    for extra in map(Path, add):
        ident = _identity(extra)
        if ident in seen:
            raise UsageError(f"--add {extra}: that file is already loaded; give each file once")
        seen.add(ident)
        _overlay(ds, extra)
    for spec in prices:
        _override_price(ds, spec)
    return ds


def _identity(path: Path) -> object:
    try:
        st = path.stat()
        return (st.st_dev, st.st_ino)
    except OSError:
        return str(path)


def _lookalike_warnings(df: pd.DataFrame, shown: str) -> list[str]:
    if len(df) > 20_000:
        return []  # a Python loop per name; `chipcmp audit` checks big files
    return [f"{shown}: the name {b!r} reads like {a!r} but is spelt with look-alike letters of another script; "
            "rename it" for a, b in lookalike_pairs(df["name"])]


def _overlay(ds: Dataset, path: Path) -> None:
    import pandas as pd

    from chipcmp.names import name_keys

    shown = str(path)
    over, source, notes, unsupported = _load(path, shown)
    ds.warnings.extend(notes)
    ds.sources.append(source)
    base_keys = name_keys(ds.frame)
    owners = base_keys.groupby(base_keys.values).agg(lambda s: tuple(sorted(set(s.index))))
    over_keys = name_keys(over.assign(vendor=""))  # an overlay row may leave vendor empty
    hits = over_keys.map(owners).dropna().explode()
    matched = hits.groupby(level=0).agg(lambda s: sorted(set(s)))
    twice = matched[matched.map(len) > 1]
    if not twice.empty:
        i = twice.index[0]
        names = ", ".join(repr(ds.frame.at[lbl, "name"]) for lbl in twice.iloc[0])
        raise DataError(f"{shown}: line {int(i) + 2}: {over.at[i, 'name']!r} matches {names}; use the full name "
                        "of one chip")
    target = matched.map(lambda labels: labels[0])
    clash = target[target.duplicated(keep=False)]
    if not clash.empty:
        lines = ", ".join(str(int(i) + 2) for i in clash.index[:2])
        raise DataError(f"{shown}: lines {lines} both name {ds.frame.at[clash.iloc[0], 'name']!r}; keep one row "
                        "per chip")
    updates = over.loc[target.index].drop(columns=["name"]).set_axis(target.to_numpy())
    filled = updates.notna()
    ds.frame.update(updates)
    for label, col in filled.stack()[lambda m: m].index:
        ds.overridden[(str(label), col)] = shown
        ds.unsupported.discard((label, col))
    relabel = dict(target.items())
    new = over.drop(index=target.index)
    if not new.empty:
        start = (max(ds.frame.index) + 1) if len(ds.frame) else 0
        relabel |= dict(zip(new.index, range(start, start + len(new)), strict=True))
        new = new.set_axis(range(start, start + len(new)))
        ds.frame = pd.concat([ds.frame, new])
        for label in new.index:
            ds.overridden[(str(label), "*")] = shown
    for label, col in unsupported:
        ds.unsupported.add((relabel[label], col))
        ds.overridden[(str(relabel[label]), col)] = shown
    ds._by_column = None  # the n/a cells changed: index them again when asked


def _override_price(ds: Dataset, spec: str) -> None:
    from chipcmp.names import resolve

    name, sep, usd = spec.rpartition("=")
    try:
        value = float(usd)
    except ValueError:
        value = float("nan")
    if not sep or not name.strip() or not value > 0 or value == float("inf"):
        raise UsageError(f"--price {spec!r}: write CHIP=USD with a positive price, e.g. --price 'H100 SXM=25000'")
    (label,) = resolve(ds.frame, [name.strip()])
    spec_col = schema.COLUMN_BY_NAME["price_usd"]
    lo, hi = spec_col.lo or 0.0, spec_col.hi or float("inf")
    if not lo <= value <= hi:
        raise UsageError(f"--price {spec!r}: {value:g} USD is outside the plausible range {lo:,.0f} to "
                         f"{hi:,.0f} USD for one chip")
    ds.frame.loc[label, ["price_usd", "price_kind", "price_source", "price_date"]] = [value, "user", "--price", None]
    for col in ("price_usd", "price_kind", "price_source"):
        ds.overridden[(str(label), col)] = "--price"
