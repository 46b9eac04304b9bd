"""The byte scan that finds what pandas' C reader would silently accept in a chips file: ragged rows, bare
CR line breaks, stray quotes, over-long fields, true/false in number columns. Chunked numpy over the bytes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipcmp.data.files import (
    MAX_FIELD_BYTES,
)

if TYPE_CHECKING:
    pass


SCAN_CHUNK = 1 << 22  # bytes per numpy pass of the ragged-row scan


def line_of_byte(source: Path | bytes, offset: int) -> int:
    with open_binary(source) as f:
        return f.read(offset).count(b"\n") + 1


def contains(source: Path | bytes, needle: bytes) -> bool:
    if isinstance(source, bytes):
        return needle in source.lower()
    with source.open("rb") as f:
        tail = b""
        while chunk := f.read(SCAN_CHUNK):
            if needle in (tail + chunk).lower():
                return True
            tail = chunk[-len(needle):]
    return False


def scan_problem(source: Path | bytes, nfields: int) -> tuple[int, str] | None:
    """(line, message) of the first pattern the loader refuses before parsing (stray quote, bare CR, oversized
    field), or None: the audit reports the same problems the loader stops on."""
    try:
        first_ragged_row(source, nfields)
    except ScanProblem as p:
        return p.line, p.message
    return None


class ScanProblem(Exception):
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


def open_binary(source: Path | bytes) -> Any:
    import io

    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def first_ragged_row(  # noqa: PLR0912, PLR0915 -- one pass over the bytes keeps the chunk state in one place
    source: Path | bytes, nfields: int, bools: list[int] | None = None,
) -> tuple[int, int] | None:
    """(line, fields) of the first non-blank record whose field count differs from the header's, or None.

    pandas silently pads short rows with empty cells (a truncated row would read as "unknown" figures). This
    scans the bytes once with numpy, a few MiB at a time: commas per record come from binary searches of comma
    and newline positions, less the commas inside quoted spans, so a million rows cost a fraction of parsing.
    The same pass raises `ScanProblem` for what pandas would silently misread: a bare CR line break, a stray quote
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
    with open_binary(source) as f:
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
                raise ScanProblem(line_at(max(at, 0)), f"a field longer than {MAX_FIELD_BYTES:,} bytes; no chip's "
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
                    raise ScanProblem(line_at(pos), "a stray double quote inside a field; quote the whole field "
                                   '("...") and double any quote inside it ("")')
            # a CR that is not part of CRLF, outside quotes, breaks the row for pandas but not for the scan
            crs = np.flatnonzero(a == 13)
            if crs.size:
                bare = crs[(crs + 1 >= a.size) | (a[np.minimum(crs + 1, a.size - 1)] != 10)]
                bare = bare[bare + 1 < a.size]  # a CR at the chunk's end: its LF may start the next chunk
                if bare.size:
                    outside = ((np.searchsorted(quotes, bare) + parity) & 1) == 0
                    if outside.any():
                        raise ScanProblem(line_at(int(bare[outside][0])), "a bare CR line break (old Mac line "
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
