"""Load and validate chip data: the bundled CSV, a replacement (--data) and overlays (--add).

Everything here is vectorised: a user file of a million rows is parsed by pandas' C reader in one pass, and the
slow, exact diagnosis (which row, which column) only runs once a file is known to be bad.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chipcmp import schema
from chipcmp.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

BUNDLED = "chips.csv"
SCAN_CHUNK = 1 << 22  # bytes per numpy pass of the ragged-row scan
ENV_DATA = "CHIPCMP_DATA"


@dataclass(frozen=True)
class Source:
    """Where the rows came from: shown in outputs and carried in exports."""

    label: str  # "bundled" or the path as the user gave it
    path: Path
    rows: int

    @property
    def sha256(self) -> str:
        return _sha256(self.path)


@dataclass
class Dataset:
    """The loaded chips (one row per chip, columns as in `schema.COLUMNS`) and their provenance."""

    frame: pd.DataFrame
    sources: list[Source]
    warnings: list[str] = field(default_factory=list)
    # (row label, column) pairs whose value came from an overlay file, and from which file
    overridden: dict[tuple[str, str], str] = field(default_factory=dict)

    def origin(self, label: object, column: str) -> str | None:
        """The user file (or '--price') a cell came from, or None for the bundled/--data figure."""
        key = str(label)
        return self.overridden.get((key, column)) or self.overridden.get((key, "*"))

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


def bundled_path() -> Path:
    """Path of the CSV shipped inside the package.

    A wheel carries it as chipcmp/data/chips.csv (see pyproject's force-include). A source checkout or editable
    install has no such copy, and then the one file of truth, data/chips.csv at the repo's top, is used.
    """
    from importlib.resources import files

    packaged = files("chipcmp").joinpath("data", BUNDLED)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "data" / BUNDLED


def _dtypes() -> dict[str, str]:
    return {c.name: ("float64" if c.numeric else "str") for c in schema.COLUMNS}


def _check_readable(path: Path, shown: str) -> bytes:
    if not path.exists():
        raise DataError(f"{shown}: no such file; check the path (or drop --data to use the bundled data)")
    if path.is_dir():
        raise DataError(f"{shown}: is a directory; give the path of a CSV file")
    try:
        head = path.open("rb").read(4096)
    except OSError as e:
        raise DataError(f"{shown}: cannot be read ({e.strerror}); check its permissions") from None
    if not head.strip():
        raise DataError(f"{shown}: the file is empty; it needs a header row starting with 'name' and one row per chip")
    return head


def _check_header(head: bytes, shown: str) -> list[str]:
    import csv
    import io

    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a multi-byte character cut at the 4 KiB boundary
            raise DataError(f"{shown}: is not UTF-8 text (byte 0x{head[e.start]:02x} at offset {e.start}); "
                            "save it as UTF-8 CSV") from None
        text = head[: e.start].decode("utf-8-sig")
    first = text.splitlines()[0] if text.splitlines() else ""
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
    return names


def read_table(path: Path, shown: str) -> tuple[pd.DataFrame, list[str]]:
    """Read one chips CSV into a frame with the schema's dtypes. Returns (frame, warnings).

    Raises DataError naming the file, row (as a 1-based line of the file) and column for anything malformed.
    """
    import pandas as pd

    head = _check_readable(path, shown)
    names = _check_header(head, shown)
    notes: list[str] = []
    unknown = [n for n in names if n not in schema.COLUMN_BY_NAME]
    if unknown:
        notes.append(f"{shown}: ignoring unknown column(s) {', '.join(map(repr, unknown))} "
                     "(run `chipcmp metrics` for the schema)")
    dtypes = {n: t for n, t in _dtypes().items() if n in names}
    ragged = _first_ragged_row(path, len(names))
    if ragged is not None:
        raise DataError(f"{shown}: line {ragged[0]} has {ragged[1]} fields but the header has {len(names)}; "
                        "every row needs as many fields as the header")
    try:
        with warnings.catch_warnings():
            # pandas only *warns* when the first data row has more fields than the header: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                path, dtype=dtypes,  # no `usecols`: it slows the C reader by half; unknown columns are dropped below
                encoding="utf-8-sig", keep_default_na=False, na_values=[""], index_col=False,
                skipinitialspace=True,
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError) as e:
        raise DataError(f"{shown}: {_parser_message(e)}; every row needs as many fields as the header") from None
    except UnicodeDecodeError as e:  # before ValueError, of which it is a subclass
        raise DataError(f"{shown}: is not UTF-8 text ({e.reason} near byte {e.start}); save it as UTF-8 CSV") from None
    except ValueError:
        raise _diagnose_values(path, shown, names) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{shown}: the file is empty; it needs a header row and one row per chip") from None
    if df.empty:
        raise DataError(f"{shown}: has a header but no rows; add one row per chip")
    df.columns = [str(c).strip() for c in df.columns]
    if unknown:
        df = df.drop(columns=unknown)
    _check_values(df, shown)
    # Every schema column exists afterwards, empty where the file did not have it.
    for c in schema.COLUMNS:
        if c.name not in df.columns:
            df[c.name] = pd.Series(float("nan") if c.numeric else pd.NA, index=df.index, dtype=_dtypes()[c.name])
    df = df[[c.name for c in schema.COLUMNS]]
    return df, notes


def _parser_message(e: Exception) -> str:
    import re

    text = str(e)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return f"line {m[2]} has {m[3]} fields but the header has {m[1]}"
    return "the first data row has more fields than the header" if "Length of header" in text else text.strip()


def _diagnose_values(path: Path, shown: str, names: list[str]) -> DataError:
    """Slow path, only for a file already known to be bad: find the first non-numeric cell."""
    import pandas as pd

    try:
        raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, index_col=False)
    except (ValueError, pd.errors.ParserError) as e:
        return DataError(f"{shown}: cannot be parsed as CSV ({str(e).strip().splitlines()[0]}); "
                         "`chipcmp audit FILE` lists every problem")
    for col in raw.columns:
        c = schema.COLUMN_BY_NAME.get(col)
        if c is None or not c.numeric:
            continue
        text = raw[col].str.strip()
        bad = text.ne("") & pd.to_numeric(text, errors="coerce").isna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            return DataError(f"{shown}: line {i + 2}, column {col!r}: {raw[col].iloc[i]!r} is not a number "
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
    # Exact repeats are errors here (a hash check, cheap on a million rows). Names equal only after folding case
    # and punctuation are reported by `resolve` when named, and by `chipcmp audit`.
    dup = names.duplicated(keep=False)
    if dup.any():
        first = names[dup].iloc[0]
        lines = [str(i + 2) for i in np.flatnonzero(names.eq(first).to_numpy())][:3]
        raise DataError(f"{shown}: chip name {first!r} appears more than once (lines {', '.join(lines)}); "
                        "keep one row per chip")


def _first_ragged_row(path: Path, nfields: int) -> tuple[int, int] | None:
    """(line, fields) of the first non-blank record whose field count differs from the header's, or None.

    pandas silently pads short rows with empty cells (a truncated row would read as "unknown" figures). This
    scans the bytes once with numpy, a few MiB at a time: commas per record come from binary searches of comma
    and newline positions, less the commas inside quoted spans, so a million rows cost a fraction of parsing.
    """
    import numpy as np

    parity = 0  # inside a quoted field at the chunk boundary?
    carry_commas = 0  # commas of the record still open at the chunk boundary
    carry_len = 0  # its bytes so far
    last_byte = 10
    record = 0  # records finished (the header is record 0)
    with path.open("rb") as f:
        while chunk := f.read(SCAN_CHUNK):
            a = np.frombuffer(chunk, dtype=np.uint8)
            commas = np.flatnonzero(a == 44)
            ends = np.flatnonzero(a == 10)
            quotes = np.flatnonzero(a == 34)
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
                prev = np.where(ends > 0, a[np.maximum(ends - 1, 0)], last_byte)
                lens = lens - (prev == 13)  # a CRLF line's CR is not content
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
            last_byte = int(a[-1])
    if carry_len > 0 and carry_commas + 1 != nfields and record > 0:
        return record + 1, carry_commas + 1
    return None


@functools.lru_cache(maxsize=8)
def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, shown: str, mtime_ns: int) -> tuple[pd.DataFrame, Source, tuple[str, ...]]:
    p = Path(path)
    df, notes = read_table(p, shown)
    return df, Source(shown, p, len(df)), tuple(notes)


def load_dataset(data: str | os.PathLike[str] | None = None, add: Sequence[str | os.PathLike[str]] = (),
                 prices: Sequence[str] = ()) -> Dataset:
    """Load the chips. `data` (or $CHIPCMP_DATA) replaces the bundled CSV; each `add` file overlays it (a row
    naming a known chip overrides the cells it fills, a new name adds a chip); `prices` ('NAME=USD') override
    prices. Each file is parsed once per process."""
    if data is None:
        data = os.environ.get(ENV_DATA) or None
    if data is None:
        path, shown = bundled_path(), "bundled"
    else:
        path, shown = Path(data), str(data)
    df, source, notes = _load_cached(str(path), shown, _mtime(path))
    # The cached frame is shared: overlays and --price work on a copy, plain runs need none.
    ds = Dataset(df.copy() if add or prices else df, [source], list(notes))
    for extra in add:
        _overlay(ds, Path(extra))
    for spec in prices:
        _override_price(ds, spec)
    return ds


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0  # read_table reports the problem precisely


def _overlay(ds: Dataset, path: Path) -> None:
    import pandas as pd

    from chipcmp.core import name_keys

    shown = str(path)
    over, source, notes = _load_cached(str(path), shown, _mtime(path))
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
    updates = over.loc[target.index].drop(columns=["name"]).set_axis(target.to_numpy())
    filled = updates.notna()
    ds.frame.update(updates)
    for label, col in filled.stack()[lambda m: m].index:
        ds.overridden[(str(label), col)] = shown
    new = over.drop(index=target.index)
    if not new.empty:
        start = (max(ds.frame.index) + 1) if len(ds.frame) else 0
        new = new.set_axis(range(start, start + len(new)))
        ds.frame = pd.concat([ds.frame, new])
        for label in new.index:
            ds.overridden[(str(label), "*")] = shown


def _override_price(ds: Dataset, spec: str) -> None:
    from chipcmp.core import resolve
    from chipcmp.errors import UsageError

    name, sep, usd = spec.rpartition("=")
    try:
        value = float(usd)
    except ValueError:
        value = float("nan")
    if not sep or not name.strip() or not value > 0 or value == float("inf"):
        raise UsageError(f"--price {spec!r}: write CHIP=USD with a positive price, e.g. --price 'H100 SXM=25000'")
    (label,) = resolve(ds.frame, [name.strip()])
    ds.frame.loc[label, ["price_usd", "price_kind", "price_source"]] = [value, "user", "--price"]
    ds.frame.loc[label, "price_year"] = float("nan")
    for col in ("price_usd", "price_kind", "price_source"):
        ds.overridden[(str(label), col)] = "--price"
