"""The byte scan that finds what pandas' C reader would silently accept in a chips file: ragged rows, bare
CR line breaks, stray quotes, over-long fields, true/false in number columns. Chunked numpy over the bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chipcmp.data.files import MAX_FIELD_BYTES

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


class ScanProblem(Exception):
    """A malformed byte pattern found by the scan: (physical line, what is wrong and how to fix it)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message


def first_bool_line(source: Path | bytes) -> int | None:
    """The physical line of the first cell that is just true or false, or None."""
    lines = 0
    with open_binary(source) as f:
        for chunk in _chunks(f):
            at = _first_bool(chunk)
            if at is not None:
                return lines + chunk.count(b"\n", 0, at) + 1
            lines += chunk.count(b"\n")
    return None


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


_SLASH_A = 47 | (97 << 8)  # b"/a" read as one little-endian uint16


def _n_a(a: Any) -> Any:
    """Where b"n/a" starts in the bytes `a`, sorted. Its b"/a" is found as a 16-bit word at even and at odd
    offsets (two half-length passes; URLs make slashes alone too common to start from), then the b"n" before it
    is checked."""
    import numpy as np

    if a.size < 3:
        return np.zeros(0, dtype=np.intp)
    data = a.data
    even = np.flatnonzero(np.frombuffer(data, dtype="<u2", count=a.size // 2) == _SLASH_A) * 2
    odd = np.flatnonzero(np.frombuffer(data, dtype="<u2", offset=1, count=(a.size - 1) // 2) == _SLASH_A) * 2 + 1
    slash = np.sort(np.concatenate((even, odd)))
    slash = slash[slash > 0]
    return slash[a[slash - 1] == 110] - 1


def open_binary(source: Path | bytes) -> Any:
    import io

    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def first_ragged_row(source: Path | bytes, nfields: int, bools: list[int] | None = None,
                     na: list[tuple[Any, Any]] | None = None) -> tuple[int, int] | None:
    """(line, fields) of the first non-blank record whose field count differs from the header's, or None.

    pandas silently pads short rows with empty cells (a truncated row would read as "unknown" figures). This
    scans the bytes once with numpy, a few MiB at a time: commas per record come from binary searches of comma
    and newline positions, less the commas inside quoted spans, so a million rows cost a fraction of parsing.
    The same pass raises `ScanProblem` for what pandas would silently misread: a bare CR line break, a stray quote
    inside a field (two of them pair up and hide the rows between), a field longer than MAX_FIELD_BYTES, and
    true/false where a number belongs (pandas reads True as 1.0): the physical line of the first cell that is
    just true or false is appended to `bools`, for the caller to check against the column's type. With `na`, the
    same pass finds every cell that is exactly "n/a" outside quotes and appends (data rows, field positions) as
    numpy arrays: the loader tells "not supported" from unknown without a second parse.
    """
    scan = _Scanner(nfields, bools, na)
    with open_binary(source) as f:
        for chunk in _chunks(f):
            found = scan.chunk(chunk)
            if found is not None:
                return found
    if scan.parity:
        raise ScanProblem(scan.open_quote, 'a quoted field is never closed (a missing " or a file cut short); '
                          "close the quote, or check that the whole file was saved")
    return scan.last_record()


def _chunks(f: Any) -> Any:
    """The file in pieces of about SCAN_CHUNK bytes, each ending at a line break where there is one, so that no
    cell is cut in two (8 MiB with no line break at all is passed on as it is: no chip's row is that long)."""
    tail = b""
    while data := f.read(SCAN_CHUNK):
        buf = tail + data
        cut = buf.rfind(b"\n") + 1
        if cut == 0 and len(buf) < max(2 * SCAN_CHUNK, 8 << 20):
            tail = buf
            continue
        cut = cut or len(buf)
        tail = buf[cut:]
        yield buf[:cut]
    if tail:
        yield tail


class _Scanner:
    """The state of one pass over a file's bytes, carried from chunk to chunk."""

    def __init__(self, nfields: int, bools: list[int] | None, na: list[tuple[Any, Any]] | None = None) -> None:
        self.nfields, self.bools, self.na = nfields, bools, na
        self.blank = 0  # blank records so far (pandas skips them: they are no data row)
        self.parity = 0  # inside a quoted field at the chunk boundary?
        self.carry_commas = 0  # commas of the record still open at the chunk boundary
        self.carry_len = 0  # its bytes so far
        self.last_byte = 10
        self.record = 0  # records finished (the header is record 0)
        self.lines = 0  # physical newlines before this chunk
        self.last_sep = -1  # position (in the whole file) of the last comma or newline
        self.open_quote = 0  # the line of the quote that opened the field still open, if one is
        self.offset = 0

    def chunk(self, chunk: bytes) -> tuple[int, int] | None:
        import numpy as np

        a = np.frombuffer(chunk, dtype=np.uint8)
        self.raw = chunk
        # Each byte class is found once per chunk and shared by the checks below (a pass costs ~1 ms per 4 MiB).
        is_comma, is_nl = a == 44, a == 10
        self.a, self.ends = a, np.flatnonzero(is_nl)
        self.commas = np.flatnonzero(is_comma)
        self.is_sep = (is_comma, is_nl)
        none = np.zeros(0, dtype=np.intp)
        quotes = np.flatnonzero(a == 34) if b'"' in chunk else none  # bytes.find is ~10x a numpy pass
        self._long_field()
        self._stray_quote(quotes)
        self._bare_cr(quotes)
        if self.bools is not None and not self.bools:
            word_at = _first_bool(chunk)
            if word_at is not None:
                self.bools.append(self.line_at(word_at))
        found = self._count_fields(quotes)
        if self.parity and quotes.size:
            self.open_quote = self.line_at(int(quotes[-1]))  # the quote still open at the chunk's end
        self.lines += int(self.ends.size)
        self.last_byte = int(a[-1])
        self.offset += a.size
        return found

    def line_at(self, pos: int) -> int:
        import numpy as np

        return self.lines + int(np.searchsorted(self.ends, pos)) + 1

    def _long_field(self) -> None:
        """A field too long to be a chip's: the gap between separators."""
        import numpy as np

        a, commas = self.a, self.commas
        # The gaps between commas bound every field's length from above (a line break only shortens one): when
        # none is too long, no field is, and the exact separators are never needed.
        edges = np.concatenate(([self.last_sep - self.offset], commas, [a.size]))
        last = max(int(commas[-1]) if commas.size else -1, int(self.ends[-1]) if self.ends.size else -1)
        if int(np.diff(edges).max()) <= MAX_FIELD_BYTES:
            if last >= 0:
                self.last_sep = self.offset + last
            return
        seps = np.flatnonzero(self.is_sep[0] | self.is_sep[1])  # commas and newlines in order
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
        if b"\r" not in self.raw:
            return
        crs = np.flatnonzero(a == 13)
        bare = crs[(crs + 1 >= a.size) | (a[np.minimum(crs + 1, a.size - 1)] != 10)]
        bare = bare[bare + 1 < a.size]  # a CR at the chunk's end: its LF may start the next chunk
        if bare.size:
            outside = ((np.searchsorted(quotes, bare) + self.parity) & 1) == 0
            if outside.any():
                raise ScanProblem(self.line_at(int(bare[outside][0])), "a bare CR line break (old Mac line "
                                  "endings); save the file with LF or CRLF line endings")

    def _na_cells(self, quotes: Any, start: tuple[int, int, int, int, int], rec_ends: Any, lens: Any) -> None:
        """Cells that are exactly "n/a", quoted or not (leading spaces allowed, as the parse skips them): their
        data row and field position. Run after the field count, from its record ends (line breaks outside quotes)
        and the state the chunk started in: no pass over the chunk's commas or quotes of its own."""
        import numpy as np

        a = self.a
        if b"n/a" not in self.raw:
            return
        parity, record, blank, carry_commas, _ = start
        hit = _n_a(a)
        cell, end = hit.copy(), hit + 3  # the cell's first byte, and the byte after it
        if quotes.size or parity:
            # Inside quotes, only a quoted "n/a" is the cell n/a: its quotes stand where separators would.
            inside = ((np.searchsorted(quotes, hit) + parity) & 1) == 1
            quoted = (hit > 0) & (hit + 3 < a.size)
            quoted &= (a[np.maximum(hit - 1, 0)] == 34) & (a[np.minimum(hit + 3, a.size - 1)] == 34)
            keep = ~inside | quoted
            hit, inside = hit[keep], inside[keep]
            cell, end = hit - inside, hit + 3 + inside
        nxt = np.where(end < a.size, a[np.minimum(end, a.size - 1)], 10)
        while True:  # step back over the spaces a cell may start with
            prev = np.where(cell > 0, a[np.maximum(cell - 1, 0)], self.last_byte)
            spaced = (prev == 32) | (prev == 9)
            if not spaced.any():
                break
            cell = cell - spaced
        hit = hit[np.isin(nxt, (44, 10, 13)) & np.isin(prev, (44, 10))]
        if not hit.size:
            return
        blank_before = np.concatenate(([0], np.cumsum(lens <= 0)))  # blank records among the first r
        r = np.searchsorted(rec_ends, hit)  # records of this chunk ended before each hit
        # Where each hit's record starts in this chunk (0: it began in an earlier one, as in the last piece of a
        # file that does not end with a line break, which has no record end at all).
        begin = np.where(r > 0, rec_ends[np.maximum(r - 1, 0)] + 1, 0) if rec_ends.size else np.zeros_like(hit)
        commas = self.commas
        field = np.searchsorted(commas, hit) - np.searchsorted(commas, begin) + np.where(r == 0, carry_commas, 0)
        if quotes.size or parity:
            field -= self._quoted_commas(quotes, parity, begin, hit)
        row = record + r - 1 - blank - blank_before[r]  # record 0 is the header
        keep = row >= 0
        self.na.append((row[keep], field[keep]))  # type: ignore[union-attr]

    def _quoted_commas(self, quotes: Any, parity: int, begin: Any, hit: Any) -> Any:
        """Commas inside quoted fields between each record's start and its hit (outside quotes, or in a quoted
        n/a, which holds no comma)."""
        import numpy as np

        bounds = np.concatenate(([0], quotes)) if parity else quotes  # a span open at the chunk start starts at 0
        opens, closes = bounds[0::2], np.append(bounds[1::2], self.a.size)[: bounds[0::2].size]
        commas = self.commas
        inside = np.searchsorted(commas, closes) - np.searchsorted(commas, opens)
        total = np.concatenate(([0], np.cumsum(inside)))
        return total[np.searchsorted(closes, hit)] - total[np.searchsorted(opens, begin)]

    def _count_fields(self, quotes: Any) -> tuple[int, int] | None:
        """Commas per record, less those inside quoted spans; the first record with the wrong count."""
        import numpy as np

        a, ends, commas = self.a, self.ends, self.commas
        start = (self.parity, self.record, self.blank, self.carry_commas, self.carry_len)
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
            if self.na is not None:
                self._na_cells(quotes, start, ends, np.zeros(0, dtype=np.int64))
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
        if self.na is not None:
            self._na_cells(quotes, start, ends, lens)
        self.blank += int(np.count_nonzero((lens <= 0) & (self.record + np.arange(ends.size) > 0)))
        self.record += ends.size
        self.carry_commas = int(per[ends.size:].sum())
        self.carry_len = int(a.size - ends[-1] - 1)
        return None

    def last_record(self) -> tuple[int, int] | None:
        """The record left open at the end of the file (no final newline)."""
        if self.carry_len > 0 and self.carry_commas + 1 != self.nfields and self.record > 0:
            return self.record + 1, self.carry_commas + 1
        return None
