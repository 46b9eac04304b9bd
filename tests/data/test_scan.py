"""The ragged-row scanner agrees with Python's csv module on random files, across chunk boundaries."""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipcmp.data import scan

CELLS = ["a", "", "1,2", 'x"y', "multi\nline", "q", "3", "é", "a\r\nb"]


def reference(text: str, nfields: int) -> tuple[int, int] | None:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for i, row in enumerate(rows[1:], start=2):
        if row and len(row) != nfields:
            return i, len(row)
    return None


@st.composite
def files(draw: st.DrawFn) -> tuple[str, int]:
    n = draw(st.integers(2, 5))
    lines = [",".join(f"h{i}" for i in range(n))]
    for _ in range(draw(st.integers(0, 6))):
        k = draw(st.sampled_from([n, n, n, n, 1, n - 1, n + 1, n + 2]))
        cells = []
        for _ in range(k):
            c = draw(st.sampled_from(CELLS))
            cells.append('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n\r') else c)
        lines.append(",".join(cells))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines) + draw(st.sampled_from([eol, ""])), n


@settings(max_examples=300, deadline=None)
@given(case=files(), chunk=st.sampled_from([1, 2, 3, 7, 64, 1 << 22]))
def test_scanner_matches_csv_module(case: tuple[str, int], chunk: int) -> None:
    text, n = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.csv"
        path.write_bytes(text.encode())
        old = scan.SCAN_CHUNK
        scan.SCAN_CHUNK = chunk
        try:
            assert scan.first_ragged_row(path, n) == reference(text, n)
        finally:
            scan.SCAN_CHUNK = old


@pytest.mark.parametrize(("text", "expected"), [
    ("a,b\n1,2\n", None),
    ("a,b\n1,2\n3\n", (3, 1)),
    ("a,b\n1,2\n\n3,4\n", None),  # blank lines are not rows
    ('a,b\n"x\ny",2\n3,4,5\n', (3, 3)),  # a quoted newline does not end the record
])
def test_scanner_examples(tmp_path: Path, text: str, expected: tuple[int, int] | None) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    assert scan.first_ragged_row(path, 2) == expected


@pytest.mark.parametrize("chunk", [3, 16, 1 << 22])
@pytest.mark.parametrize(("text", "line"), [
    ('a,b\n1,"open\n2,3\n', 2),  # a file cut short inside a quoted field
    ('a,b\n"x\ny",2\n3,"4\n', 4),  # the quote still open is the last one, after a closed multi-line field
    ('a,b\n1,"n/a', 2),
])
def test_a_quote_never_closed_is_refused_at_its_line(tmp_path: Path, text: str, line: int, chunk: int) -> None:
    """pandas reports "EOF inside string" by row, not line; the scan names the line the open quote is on."""
    path = tmp_path / "x.csv"
    path.write_text(text)
    old = scan.SCAN_CHUNK
    scan.SCAN_CHUNK = chunk
    try:
        with pytest.raises(scan.ScanProblem, match="never closed") as found:
            scan.first_ragged_row(path, 2, None, [])
    finally:
        scan.SCAN_CHUNK = old
    assert found.value.line == line


def test_the_last_piece_of_a_big_file_may_hold_an_n_a_and_no_line_break(tmp_path, monkeypatch) -> None:
    """A file read in pieces whose last row, with an n/a, has no line break: that piece has no record end (it
    raised an IndexError, an internal error, on a million-row file)."""
    from chipcmp.data import table

    monkeypatch.setattr(scan, "SCAN_CHUNK", 64)
    rows = "".join(f"C{i},X,{i + 1}\n" for i in range(40))
    path = tmp_path / "chips.csv"
    path.write_text("name,vendor,bf16_tflops\n" + rows + "Last,X,n/a")
    df, _, unsupported = table.read_table(path, "chips.csv", path)
    assert len(df) == 41 and unsupported == {"bf16_tflops": {40}}


NA_CELLS = ["n/a", " n/a", "1.5", "", "x", "n/a,x", "said n/a", "n/ab", '"n/a"', 'say "n/a"', "N/A"]


def na_reference(text: str) -> set[tuple[int, int]]:
    """(data row, field) of every cell that is exactly n/a after leading spaces, quoted or not, as the parse sees
    it (pandas' na_values match a quoted cell's value too)."""
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r][1:]  # blank lines are no rows
    return {(i, j) for i, row in enumerate(rows) for j, cell in enumerate(row) if cell.lstrip() == "n/a"}


@st.composite
def na_files(draw: st.DrawFn) -> str:
    n = 3
    lines = ["h0,h1,h2"]
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append("")  # a blank line
            continue
        cells = []
        for _ in range(n):
            c = draw(st.sampled_from(NA_CELLS))
            cells.append('"' + c.replace('"', '""') + '"' if ("," in c or '"' in c) and c != '"n/a"' else c)
        lines.append(",".join(cells))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines) + (eol if draw(st.booleans()) else "")  # a last line without its line break, too


@settings(max_examples=300, deadline=None)
@given(text=na_files(), chunk=st.sampled_from([1, 3, 5, 16, 64, 1 << 22]))
def test_na_cells_match_the_csv_module(text: str, chunk: int) -> None:
    """The n/a cells found in the one byte pass are those a CSV reader sees, whatever the chunking."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.csv"
        path.write_bytes(text.encode())
        old = scan.SCAN_CHUNK
        scan.SCAN_CHUNK = chunk
        try:
            na: list = []
            if scan.first_ragged_row(path, 3, None, na) is not None:
                return  # a ragged file is refused before n/a matters
            found = {(int(r), int(f)) for rows, fields in na for r, f in zip(rows, fields, strict=True)}
            assert found == na_reference(text)
        finally:
            scan.SCAN_CHUNK = old


def test_large_file_path_is_the_same_as_the_in_memory_one(tmp_path, monkeypatch):
    """Files over IN_MEMORY_BYTES are streamed by every pass: the same frame, n/a cells and errors."""
    from chipcmp.data import table
    from chipcmp.data.files import bundled_path

    path = tmp_path / "chips.csv"
    path.write_bytes(bundled_path().read_bytes())
    small = table.read_table(path, "x", path.read_bytes())
    monkeypatch.setattr(scan, "SCAN_CHUNK", 4096)  # many chunks
    big = table.read_table(path, "x", path)
    assert small[0].equals(big[0]) and small[2] == big[2] and small[2]  # the bundled data has n/a cells
    bad = tmp_path / "bad.csv"
    bad.write_bytes(path.read_bytes() + b"Extra,row\n")
    with pytest.raises(table.DataError, match="has 2 fields"):
        table.read_table(bad, "bad.csv", bad)


@settings(max_examples=300, deadline=None)
@given(text=st.binary(max_size=24).map(lambda b: bytes(b"n/a,x"[c % 5] for c in b)))
def test_n_a_is_found_at_every_offset(text: bytes) -> None:
    """b"n/a" is found by 16-bit words at even and odd offsets: every occurrence, and nothing else."""
    import numpy as np

    expected = [i for i in range(len(text) - 2) if text[i:i + 3] == b"n/a"]
    assert list(scan._n_a(np.frombuffer(text, dtype=np.uint8))) == expected


@pytest.mark.parametrize("cells", [['"n/a"', "100"], ['"n/a"', "n/a"], [' "n/a"', "n/a"]])
def test_a_quoted_n_a_is_not_supported_like_a_bare_one(tmp_path: Path, cells: list[str]) -> None:
    """A quoted "n/a" is the same cell value: n/a, whether or not the file has a bare one (it had read as unknown
    beside a bare one, and failed to load without one)."""
    from chipcmp.data import table

    path = tmp_path / "chips.csv"
    path.write_text(f"name,vendor,bf16_tflops\nA,X,{cells[0]}\nB,X,{cells[1]}\n")
    df, _, unsupported = table.read_table(path, "chips.csv")
    expected = {0} | ({1} if cells[1] == "n/a" else set())
    assert unsupported == {"bf16_tflops": expected}
    assert df["bf16_tflops"].isna().tolist() == [True, cells[1] == "n/a"]


BAD_FILES = {
    "ragged": (b"Extra,row\n", "has 2 fields"),
    "stray quote": (b'Bad"chip,X\n', "stray double quote"),
    "not a number": None,  # built from the header below: a text in a number column
}


@pytest.fixture
def forked(monkeypatch):
    """Every file read from disk is scanned in a forked child beside its parse; the children are recorded."""
    from chipcmp.data import parallel

    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        pytest.skip("fork runs the scan beside the parse on Linux only")
    children: list[int] = []
    real = parallel._fork

    def recording(source, nfields):
        child = real(source, nfields)
        if child is not None:
            children.append(child.pid)
        return child

    monkeypatch.setattr(parallel, "PARALLEL_SCAN_BYTES", 0)
    monkeypatch.setattr(parallel, "_fork", recording)
    return children


def _answer(path: Path, what: str) -> tuple[Any, Any] | str:
    """A file's frame and n/a cells, or its one-line error."""
    from chipcmp.data import table

    try:
        df, _, unsupported = table.read_table(path, what, path)
    except table.DataError as e:
        return str(e)
    return df, unsupported


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_scan_beside_the_parse_gives_the_same_answers(tmp_path, forked):
    """The forked scan's verdict is the in-process one: the same frame and n/a cells for a good file, the same
    one-line error for a ragged row, a stray quote or a text in a number column; every child is reaped."""
    from chipcmp.data import parallel
    from chipcmp.data.files import bundled_path

    good = tmp_path / "chips.csv"
    good.write_bytes(bundled_path().read_bytes())
    header = good.read_bytes().split(b"\n", 1)[0]
    width = header.count(b",") + 1
    files = {"good": good}
    for what, tail in BAD_FILES.items():
        row = tail[0] if tail else b"Odd chip,X" + b",abc" * (width - 2) + b"\n"
        files[what] = tmp_path / f"{what}.csv"
        files[what].write_bytes(good.read_bytes() + row)
    answers = {what: _answer(path, what) for what, path in files.items()}
    assert len(forked) == len(files) and all(_reaped(pid) for pid in forked)
    forked.clear()
    parallel.PARALLEL_SCAN_BYTES = 1 << 62  # undone by monkeypatch: now the scan runs first, in this process
    for what, path in files.items():
        again = _answer(path, what)
        if isinstance(again, str):
            assert answers[what] == again
        else:
            assert answers[what][0].equals(again[0]) and answers[what][1] == again[1] and again[1]
    assert not forked
    assert "has 2 fields" in answers["ragged"] and "stray double quote" in answers["stray quote"]
    assert "is not a number" in answers["not a number"]


def test_a_child_that_fails_leaves_the_scan_to_the_parent(tmp_path, forked, monkeypatch):
    """Whatever goes wrong in the child (here its result cannot be built), the parent scans itself: same answer."""
    from chipcmp.data import parallel, table

    def broken(source, nfields):
        raise MemoryError

    monkeypatch.setattr(parallel, "_payload", broken)
    path = tmp_path / "chips.csv"
    path.write_bytes(b"name,vendor,bf16_tflops\nA,X,n/a\nB,X,1\nC,X\n")
    with pytest.raises(table.DataError, match="line 4 has 2 fields but the header has 3"):
        table.read_table(path, "chips.csv", path)
    path.write_bytes(b"name,vendor,bf16_tflops\nA,X,n/a\nB,X,1\n")
    assert table.read_table(path, "chips.csv", path)[2] == {"bf16_tflops": {0}}
    assert len(forked) == 2 and all(_reaped(pid) for pid in forked)


def test_an_interrupted_parse_stops_and_reaps_the_child(tmp_path, forked):
    """Ctrl-C during the parse: the child is killed and reaped, and the interrupt goes on."""
    from chipcmp.data import parallel

    path = tmp_path / "chips.csv"
    path.write_bytes(b"name,vendor\nA,X\n")

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        parallel.scan_while(path, 2, interrupted, lambda verdict: pytest.fail("no verdict is asked for"))
    assert len(forked) == 1 and _reaped(forked[0])
