"""Reading a chips file (bundled, --data or --add) into a typed frame in one vectorised pass, with an exact
diagnosis (line, column, value) only once a file is known to be bad; and its text form for the audit."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from chipcmp.data import schema
from chipcmp.data.files import (
    MAX_HEADER_BYTES,
    check_input,
    is_regular,
    read_stream,
)
from chipcmp.data.names import INVISIBLE, fold_series, name_problem
from chipcmp.data.parallel import Verdict, scan_while
from chipcmp.data.scan import first_bool_line, line_of_byte, open_binary
from chipcmp.data.schema import NOT_SUPPORTED
from chipcmp.errors import DataError
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd


IN_MEMORY_BYTES = 8 << 20  # files up to this size are read once into memory


def _dtypes() -> dict[str, str]:
    return {c.name: ("float64" if c.numeric else "str") for c in schema.COLUMNS}


def read_header(source: Path | bytes, shown: str) -> tuple[list[str], bytes]:
    """The header's column names (stripped), and the file's first bytes."""
    import csv
    import io

    with open_binary(source) as f:
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


def read_table(path: Path, shown: str, source: Path | bytes | None = None) -> tuple[
        pd.DataFrame, list[str], dict[str, set[object]]]:
    """Read one chips CSV into a frame with the schema's dtypes. Returns (frame, warnings, the row labels marked
    n/a in each number column).

    Raises DataError naming the file, line and column for anything malformed.
    """
    if source is None:
        source = open_source(path, shown)
    names, _ = read_header(source, shown)
    if {"scaleup_domain", "chips"} & set(names) and "chip" in names:
        raise DataError(f"{shown}: is a systems file (its columns chip, chips, scaleup_domain); --data and --add "
                        "take chips, one row per chip (systems ship with chipcmp: `chipcmp systems`)")
    notes: list[str] = []
    unknown = [n for n in names if n not in schema.COLUMN_BY_NAME]
    if unknown:
        notes.append(f"{shown}: ignoring unknown column(s) {', '.join(map(repr, unknown))} "
                     "(run `chipcmp metrics` for the schema)")
    dtypes = {n: t for n, t in _dtypes().items() if n in names}
    numeric = [n for n in names if n in dtypes and dtypes[n] == "float64"]
    verdict, df = scan_while(source, len(names), lambda: _parse(source, shown, names, dtypes, numeric),
                             lambda bad: _refuse(bad, shown, len(names)))
    unsupported = _unsupported(verdict, names, numeric)
    _check_bools(df, source, shown, names, numeric)
    if unknown:
        df = df.drop(columns=unknown)
    _check_values(df, shown)
    return _with_every_column(df), notes, unsupported


def _refuse(verdict: Verdict, shown: str, nfields: int) -> NoReturn:
    """The byte scan's finding as one line: a ragged row, or what pandas would misread."""
    if verdict.problem is not None:
        raise DataError(f"{shown}: line {verdict.problem[0]}: {verdict.problem[1]}")
    line, fields = verdict.ragged or (0, 0)
    raise DataError(f"{shown}: line {line} has {fields} fields but the header has {nfields}; every row needs as "
                    "many fields as the header")


def _unsupported(verdict: Verdict, names: list[str], numeric: list[str]) -> dict[str, set[object]]:
    """The rows of every "n/a" in each number column, found by the byte scan (no second parse)."""
    import numpy as np

    unsupported: dict[str, set[object]] = {}
    wanted = {names.index(n) for n in numeric}
    for rows, fields in verdict.na:
        for f in np.unique(fields):
            if int(f) in wanted:
                unsupported.setdefault(names[int(f)], set()).update(rows[fields == f].tolist())
    return unsupported


def _parse(source: Path | bytes, shown: str, names: list[str], dtypes: dict[str, str], numeric: list[str]
           ) -> pd.DataFrame:
    """The one typed parse, by pandas' C reader; its failures become one line naming the file and the fix."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # pandas only *warns* when the first data row has more fields than the header: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # A path lets the C reader read the file itself (a Python file object costs it ~30%).
            df = pd.read_csv(
                str(source) if isinstance(source, Path) else io.BytesIO(source),
                dtype=dtypes, names=names, header=0,  # stripped names, so dtypes apply
                encoding="utf-8-sig", keep_default_na=False, index_col=False, skipinitialspace=True,
                na_values={n: ["", NOT_SUPPORTED] if n in numeric else [""] for n in names},
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError) as e:
        raise DataError(f"{shown}: {_parser_message(e)}; every row needs as many fields as the header") from None
    except UnicodeDecodeError as e:  # before ValueError, of which it is a subclass
        raise DataError(f"{shown}: line {line_of_byte(source, e.start)} is not UTF-8 text ({e.reason}); save the "
                        "file as UTF-8 CSV") from None
    except ValueError:
        raise _diagnose_values(source, shown, names) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{shown}: the file is empty; it needs a header row and one row per chip") from None
    if df.empty:
        raise DataError(f"{shown}: has a header but no rows; add one row per chip")
    return df


def _with_every_column(df: pd.DataFrame) -> pd.DataFrame:
    """Every schema column, in the schema's order; empty (unknown) where the file did not have it."""
    import pandas as pd

    missing = [c for c in schema.COLUMNS if c.name not in df.columns]
    # One empty column of each type, shared by every missing column under pandas 3's copy-on-write (a change
    # copies it; ~0.1 s less on a million rows); pandas 2 gets a copy each.
    shared = int(pd.__version__.split(".")[0]) >= 3
    empty = {t: pd.Series(float("nan") if t == "float64" else pd.NA, index=df.index, dtype=t)
             for t in {_dtypes()[c.name] for c in missing}}
    for c in missing:
        column = empty[_dtypes()[c.name]]
        df[c.name] = column if shared else column.copy()
    return df[[c.name for c in schema.COLUMNS]]


def _check_bools(df: pd.DataFrame, source: Path | bytes, shown: str, names: list[str], numeric: list[str]) -> None:
    """true/false where a number belongs: pandas reads a column of them as 1.0 and 0.0. Only a number column
    holding nothing but 0 and 1 can hide one, so only then are the bytes searched for the cell."""
    import csv
    import io

    import numpy as np

    suspect = False
    for name in numeric:
        v = df[name].to_numpy(dtype="float64", copy=False)
        with np.errstate(invalid="ignore"):
            hi = np.nanmax(v, initial=-np.inf)
            if -np.inf < hi <= 1.0 and np.nanmin(v, initial=np.inf) >= 0.0:  # some known value, all in [0, 1]
                suspect = True
                break
    if not suspect:
        return
    line = first_bool_line(source)
    if line is None:
        return
    with open_binary(source) as f:
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
        with open_binary(source) as stream:
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
        lo, hi = np.fmin.reduce(v, initial=np.inf), np.fmax.reduce(v, initial=-np.inf)  # NaN skipped
        if (lo == np.inf and hi == -np.inf) or (lo > 0 and hi < np.inf and (c.lo is None or lo >= c.lo)
                                                  and (c.hi is None or hi <= c.hi)):
            continue  # every value in range (or none known): two reductions, no mask of a million cells
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
    listed = names.tolist()
    if names.hasnans or "" in listed:
        r = int((names.isna() | names.eq("")).to_numpy().argmax())
        raise DataError(f"{shown}: line {r + 2}: empty 'name'; every row needs a chip name")
    odd = _first_odd_name(names, listed)
    if odd is not None:
        raise DataError(f"{shown}: line {odd + 2}: the name {shorten(names.iloc[odd])!r} "
                        f"{name_problem(names.iloc[odd])}; rename the chip")
    # Exact repeats are errors here (a hash check, cheap on a million rows); so are names equal once case and
    # punctuation are folded ('FooChip', 'foo-chip': neither could be named), up to FOLD_CHECK_ROWS rows (folding
    # is a Python call per name: past that, `resolve` reports the clash when one is named, and `chipcmp audit`).
    if len(names) <= FOLD_CHECK_ROWS:
        _check_folded(names, shown)
    if not _may_repeat(listed):
        return
    dup = names.duplicated(keep=False)
    if dup.any():
        first = names[dup].iloc[0]
        lines = [str(i + 2) for i in np.flatnonzero(names.eq(first).to_numpy())][:3]
        raise DataError(f"{shown}: chip name {first!r} appears more than once (lines {', '.join(lines)}); "
                        "keep one row per chip")


FOLD_CHECK_ROWS = 100_000


def _may_repeat(listed: list[str]) -> bool:
    """False when no name appears twice. A million names are hashed into a sorted int64 array (~0.09 s, where a
    set of them took ~0.2 s); only equal hashes, a repeat or a rare collision, lead to the exact check."""
    import numpy as np

    if len(listed) < 10_000:
        return len(set(listed)) != len(listed)
    hashes = np.fromiter(map(hash, listed), dtype=np.int64, count=len(listed))
    hashes.sort()
    return bool((hashes[1:] == hashes[:-1]).any())


def _check_folded(names: pd.Series, shown: str) -> None:
    import numpy as np

    keys = fold_series(names)
    clash = keys.duplicated(keep=False) & ~names.duplicated(keep=False)
    if clash.any():
        first = keys[clash].iloc[0]
        rows = np.flatnonzero(keys.eq(first).to_numpy())[:2]
        a, b = (names.iloc[int(r)] for r in rows)
        raise DataError(f"{shown}: lines {int(rows[0]) + 2} and {int(rows[1]) + 2} name {shorten(a)!r} and "
                        f"{shorten(b)!r}, which read as one chip (case and punctuation aside); keep one row, or "
                        "make the names differ in letters or digits")


_ASCII_CLASSES = {**dict.fromkeys(range(128)), **{ord(c): "A" for c in
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"},
                  **{i: "\x00" for i in (*range(32), 127) if i != 10}, 10: "\n"}


def _first_odd_name(names: pd.Series, listed: list[str] | None = None) -> int | None:
    """The row of the first name with hidden characters or one that folds to nothing (no letter or digit in any
    script), or None. All names are checked at once, joined: ASCII names by one str.translate to classes (a
    letter or digit, a control character, a line break; ~25 ms a million rows), others by two regular-expression
    searches; only a hit is located row by row."""
    import re

    listed = names.tolist() if listed is None else listed
    joined = "\n".join(listed)
    if joined.isascii() and joined.count("\n") == len(listed) - 1:  # no line break inside a name
        classes = joined.translate(_ASCII_CLASSES)
        empty_line = not classes or "\n\n" in classes or classes[:1] == "\n" or classes[-1:] == "\n"
        if "\x00" not in classes and not empty_line:
            return None
    else:
        hidden = re.search(INVISIBLE, "\uffff".join(listed))  # U+FFFF: never in a name, not in INVISIBLE
        # A name that folds to nothing has no word character; only a line without an ASCII letter or digit can
        # (a name with a line break in it may look so here, and is then checked exactly).
        bare = re.search(r"(?m)^[^A-Za-z0-9\n]*$", joined)
        if hidden is None and bare is None:
            return None
    odd = names.str.contains(INVISIBLE, regex=True)
    plain = names.str.contains(r"[A-Za-z0-9]", regex=True)
    odd = odd | (~plain & fold_series(names.where(~plain, "x")).eq(""))
    return int(odd.to_numpy().argmax()) if odd.any() else None


def sha256(source: Path | bytes) -> str:
    import hashlib

    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_text_rows(source: Path | bytes, shown: str) -> tuple[list[str], list[list[str]], list[int],
                                                               list[tuple[int, str, int]]]:
    """A chips file as text cells for the audit: the header, rows padded or cut to its width, the line each row
    starts on, and the ragged rows as (line, name, fields) so that each can be reported rather than fail."""
    import csv
    import io

    ragged: list[tuple[int, str, int]] = []
    reader: Any = None
    try:
        with (io.StringIO(source.decode("utf-8-sig"), newline="") if isinstance(source, bytes)
              else source.open(encoding="utf-8-sig", newline="")) as f:
            reader = csv.reader(f, skipinitialspace=True)
            header = [h.strip() for h in next(reader)]
            rows: list[list[str]] = []
            lines: list[int] = []
            start = reader.line_num + 1
            for row in reader:
                if not any(cell.strip() for cell in row):
                    start = reader.line_num + 1
                    continue
                if len(row) != len(header):
                    name = row[header.index("name")] if "name" in header and len(row) > header.index("name") else ""
                    ragged.append((start, name, len(row)))
                rows.append((row + [""] * len(header))[: len(header)])
                lines.append(start)
                start = reader.line_num + 1
    except UnicodeDecodeError as e:
        raise DataError(f"{shown}: is not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8 CSV") from None
    except csv.Error as e:
        raise DataError(f"{shown}: line {reader.line_num if reader else 1}: {e}; check the quoting") from None
    return header, rows, lines, ragged
