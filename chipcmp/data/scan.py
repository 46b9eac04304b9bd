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


_NEIGHBOURS = list(b',\n\r" \t')  # what may stand beside a quote that opens or closes a field


def open_binary(source: Path | bytes) -> Any:
    import io

    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def first_ragged_row(source: Path | bytes, nfields: int, bools: list[int] | None = None) -> tuple[int, int] | None:
    """(line, fields) of the first non-blank record whose field count differs from the header's, or None.

    pandas silently pads short rows with empty cells (a truncated row would read as "unknown" figures). This
    scans the bytes once with numpy, a few MiB at a time: commas per record come from binary searches of comma
    and newline positions, less the commas inside quoted spans, so a million rows cost a fraction of parsing.
    The same pass raises `ScanProblem` for what pandas would silently misread: a bare CR line break, a stray quote
    inside a field (two of them pair up and hide the rows between), a field longer than MAX_FIELD_BYTES, and
    true/false where a number belongs (pandas reads True as 1.0): the physical line of the first cell that is
    just true or false is appended to `bools`, for the caller to check against the column's type.
    """
    scan = _Scanner(nfields, bools)
    with open_binary(source) as f:
        while chunk := f.read(SCAN_CHUNK):
            found = scan.chunk(chunk)
            if found is not None:
                return found
    return scan.last_record()


class _Scanner:
    """The state of one pass over a file's bytes, carried from chunk to chunk."""

    def __init__(self, nfields: int, bools: list[int] | None) -> None:
        self.nfields, self.bools = nfields, bools
        self.parity = 0  # inside a quoted field at the chunk boundary?
        self.carry_commas = 0  # commas of the record still open at the chunk boundary
        self.carry_len = 0  # its bytes so far
        self.last_byte = 10
        self.record = 0  # records finished (the header is record 0)
        self.lines = 0  # physical newlines before this chunk
        self.last_sep = -1  # position (in the whole file) of the last comma or newline
        self.offset = 0

    def chunk(self, chunk: bytes) -> tuple[int, int] | None:
        import numpy as np

        a = np.frombuffer(chunk, dtype=np.uint8)
        self.a, self.ends = a, np.flatnonzero(a == 10)
        quotes = np.flatnonzero(a == 34)
        self._long_field()
        self._stray_quote(quotes)
        self._bare_cr(quotes)
        if self.bools is not None and not self.bools:
            word_at = _first_bool(chunk)
            if word_at is not None:
                self.bools.append(self.line_at(word_at))
        found = self._count_fields(quotes)
        self.lines += int(np.count_nonzero(a == 10))
        self.last_byte = int(a[-1])
        self.offset += a.size
        return found

    def line_at(self, pos: int) -> int:
        import numpy as np

        return self.lines + int(np.searchsorted(self.ends, pos)) + 1

    def _long_field(self) -> None:
        """A field too long to be a chip's: the gap between separators."""
        import numpy as np

        a = self.a
        seps = np.flatnonzero((a == 44) | (a == 10))  # commas and newlines in order (union1d sorts: slow)
        gaps = np.diff(np.concatenate(([self.last_sep - self.offset], seps, [a.size])))
        if gaps.size and int(gaps.max()) > MAX_FIELD_BYTES:
            at = int(np.concatenate(([self.last_sep - self.offset], seps))[int(gaps.argmax())]) + 1
            raise ScanProblem(self.line_at(max(at, 0)), f"a field longer than {MAX_FIELD_BYTES:,} bytes; no chip's "
                              "figure or note is that long (is this the right file?)")
        if seps.size:
            self.last_sep = self.offset + int(seps[-1])

    def _stray_quote(self, quotes: Any) -> None:
        """One that opens a field follows a separator, one that closes it precedes one."""
        import numpy as np

        if not quotes.size:
            return
        a = self.a
        opening = ((np.arange(quotes.size) + self.parity) & 1) == 0
        prev = np.where(quotes > 0, a[np.maximum(quotes - 1, 0)], self.last_byte)
        nxt = np.where(quotes + 1 < a.size, a[np.minimum(quotes + 1, a.size - 1)], 44)
        ok = np.where(opening, np.isin(prev, _NEIGHBOURS), np.isin(nxt, _NEIGHBOURS))
        if not ok.all():
            pos = int(quotes[int(np.argmin(ok))])
            raise ScanProblem(self.line_at(pos), "a stray double quote inside a field; quote the whole field "
                              '("...") and double any quote inside it ("")')

    def _bare_cr(self, quotes: Any) -> None:
        """A CR that is not part of CRLF, outside quotes, breaks the row for pandas but not for the scan."""
        import numpy as np

        a = self.a
        crs = np.flatnonzero(a == 13)
        if not crs.size:
            return
        bare = crs[(crs + 1 >= a.size) | (a[np.minimum(crs + 1, a.size - 1)] != 10)]
        bare = bare[bare + 1 < a.size]  # a CR at the chunk's end: its LF may start the next chunk
        if bare.size:
            outside = ((np.searchsorted(quotes, bare) + self.parity) & 1) == 0
            if outside.any():
                raise ScanProblem(self.line_at(int(bare[outside][0])), "a bare CR line break (old Mac line "
                                  "endings); save the file with LF or CRLF line endings")

    def _count_fields(self, quotes: Any) -> tuple[int, int] | None:
        """Commas per record, less those inside quoted spans; the first record with the wrong count."""
        import numpy as np

        a, ends = self.a, self.ends
        commas = np.flatnonzero(a == 44)
        before = np.searchsorted(commas, ends)
        per = np.diff(np.concatenate((before, [commas.size])), prepend=0)
        if self.parity or quotes.size:
            # quoted spans: before the first quote if we start inside one, then every other gap
            bounds = np.concatenate(([0], quotes)) if self.parity else quotes
            upto = np.searchsorted(commas, bounds)
            spans = (np.append(upto[1:], commas.size) - upto)[::2]
            owner = np.searchsorted(ends, bounds[::2])  # the segment each quoted span starts in
            np.subtract.at(per, owner, spans)
            newline_inside = (np.searchsorted(quotes, ends) + self.parity) & 1 == 1
            if newline_inside.any():  # a quoted newline does not end the record: merge its segments
                group = np.cumsum(np.concatenate(([True], ~newline_inside))) - 1
                per = np.bincount(group, weights=per).astype(np.int64)
                ends = ends[~newline_inside]
            self.parity = (self.parity + quotes.size) & 1
        if not ends.size:
            self.carry_commas += int(per.sum())
            self.carry_len += int(a.size)
            return None
        counts = per[: ends.size].copy()
        counts[0] += self.carry_commas
        lens = np.diff(ends, prepend=-1) - 1
        lens[0] += self.carry_len
        prev_b = np.where(ends > 0, a[np.maximum(ends - 1, 0)], self.last_byte)
        lens = lens - (prev_b == 13)  # a CRLF line's CR is not content
        bad = np.flatnonzero((counts + 1 != self.nfields) & (lens > 0))
        bad = bad[self.record + bad > 0]  # the header is checked on its own
        if bad.size:
            return int(self.record + bad[0] + 1), int(counts[bad[0]] + 1)
        self.record += ends.size
        self.carry_commas = int(per[ends.size:].sum())
        self.carry_len = int(a.size - ends[-1] - 1)
        return None

    def last_record(self) -> tuple[int, int] | None:
        """The record left open at the end of the file (no final newline)."""
        if self.carry_len > 0 and self.carry_commas + 1 != self.nfields and self.record > 0:
            return self.record + 1, self.carry_commas + 1
        return None
