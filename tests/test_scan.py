"""The ragged-row scanner agrees with Python's csv module on random files, across chunk boundaries."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

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
