"""The one reader of the small data files (sources, prices, fx, measured, models, systems, calibration, deny-list):
each is read once per version of the file into rows of text, with one error style that names the file and line.

Chips files (the bundled chips.csv, --data, --add) are large and typed, and have their own vectorised reader in
`table`. Everything else that reads a CSV comes here. Stdlib only: no pandas on this path.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from chipcmp.data.files import bundled_path
from chipcmp.errors import DataError

Rows = tuple[dict[str, str], ...]
T = TypeVar("T")


def bundled(name: str, *, required: bool = True) -> Rows:
    """The rows of one bundled data file; an optional file that is absent has none."""
    return rows(bundled_path(name), required=required, bundled=True)


def rows(path: Path, *, required: bool = True, bundled: bool = False) -> Rows:
    """The rows of a CSV file as dicts of text (header names stripped), read once per version of the file."""
    try:
        st = path.stat()
    except OSError:
        if not required:
            return ()
        fix = "reinstall chipcmp" if bundled else "check the path"
        raise DataError(f"data file {path.name} is missing; {fix}") from None
    return _read(str(path), st.st_mtime_ns, st.st_size, bundled)


@functools.lru_cache(maxsize=32)
def _read(path: str, _mtime: int, _size: int, bundled: bool) -> Rows:
    name = Path(path).name
    fix = "reinstall chipcmp" if bundled else "fix the file"
    line = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            out = []
            for row in reader:
                line = reader.line_num
                if row:
                    out.append(dict(zip(header, row, strict=False)))
            return tuple(out)
    except UnicodeDecodeError as e:
        raise DataError(f"{name}: is not UTF-8 text ({e.reason} at byte {e.start}); {fix}") from None
    except csv.Error as e:
        raise DataError(f"{name}: line {line + 1}: {e}; {fix}") from None
    except OSError as e:
        raise DataError(f"{name} cannot be read ({e.strerror or e}); {fix}") from None


def spans(path: Path, key: Callable[[dict[str, str]], str]) -> tuple[list[str], dict[str, list[list[int]]]]:
    """The header, and where in the file (byte spans, consecutive rows merged) the rows of each `key(row)` lie:
    what the bundle keeps so that one chip's rows of a large file are read without parsing all of it."""
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    parts = data[start:].split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    ends = list(itertools.accumulate((len(line) for line in lines), initial=start))
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += 1  # csv.reader takes lines one at a time: after a row, `consumed` is where it ended
            yield line.decode("utf-8")

    reader = csv.reader(feed())
    header = [h.strip() for h in next(reader, [])]
    out: dict[str, list[list[int]]] = {}
    begin = ends[consumed]
    for row in reader:
        end = ends[consumed]
        if row:
            found = out.setdefault(key(dict(zip(header, row, strict=False))), [])
            if found and found[-1][1] == begin:
                found[-1][1] = end
            else:
                found.append([begin, end])
        begin = end
    return header, out


def rows_at(path: Path, header: list[str], where: list[list[int]]) -> list[dict[str, str]]:
    """The rows in these byte spans of a file (from `spans`, for the same version of the file)."""
    pieces = []
    with open(path, "rb") as f:
        for begin, end in where:
            f.seek(begin)
            pieces.append(f.read(end - begin))
    text = b"".join(pieces).decode("utf-8")
    return [dict(zip(header, row, strict=False)) for row in csv.reader(io.StringIO(text, newline="")) if row]


def number(text: object) -> float | None:
    """A cell as a number, or None when it is empty, 'n/a' or not a number: the one such helper."""
    if text is None or isinstance(text, bool):
        return None
    try:
        v = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


_DERIVED: dict[tuple[int, Callable[[Rows], Any]], tuple[Rows, Any]] = {}


def derive(rows: Rows, build: Callable[[Rows], T]) -> T:
    """`build(rows)`, computed once per version of the file the rows came from (the reader hands out the same
    tuple until the file changes), so an index over a file is built once per process."""
    key = (id(rows), build)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is rows:
        return hit[1]
    value = build(rows)
    _DERIVED[key] = (rows, value)  # the rows are kept with it, so their id is not reused while the entry lives
    return value
