"""What a person at a terminal sees: rich tables rendered into a console forced into terminal mode.

CliRunner is never a terminal, so these tests build the same Result the command builds and render it the way a
terminal gets it, at 80 and 120 columns; one test runs the installed command in a real pseudo-terminal.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys

import pytest
from rich.console import Console

from chipcmp.core import compare as compare_
from chipcmp.core import listing
from chipcmp.core import rank as rank_
from chipcmp.core.filters import Filters
from chipcmp.data.dataset import load_dataset
from chipcmp.estimate import controls as ctl
from chipcmp.output import table

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def terminal(width: int) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, force_terminal=True, color_system="standard", highlight=False,
                   markup=False), buf


def results() -> dict[str, object]:
    ds = load_dataset()
    return {
        "compare": compare_.compare(ds, ["Ascend 910B", "H100", "H20"]),
        "list": listing.list_chips(ds, Filters()),
        "controls": ctl.controls(ds, [], Filters(), []),
        "rank": rank_.rank(ds, "bf16_tflops_per_watt", Filters()),
    }


def shown_numbers(result, width: int) -> list[tuple[str, list[str]]]:
    """(first cell of a row, the formatted numbers of that row in the columns the layout keeps at `width`)."""
    frame, _ = table._limit(result.frame)
    columns = table._layout(result, frame, bars=True)
    pages, _, _ = table.fit(columns, width, result.groups)
    out = []
    for page in pages:
        numeric = [c for c in page if c.right]
        key = next(c for c in page if not c.right)  # the row's name: the first text column
        for r in range(len(frame)):
            cells = [c.cells[r] for c in numeric if table._NUMBER_CELL.match(c.cells[r]) and c.cells[r] != "—"]
            out.append((key.cells[r], cells))
    return out


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("command", ["compare", "list", "controls", "rank"])
def test_every_shown_number_is_whole_on_its_row_line(command, width):
    result = results()[command]
    console, buf = terminal(width)
    table.render_table(result, console)
    text = ANSI.sub("", buf.getvalue())
    lines = text.splitlines()
    # nothing wraps at the terminal's edge, but a line carrying a URL, which is kept whole to stay clickable
    assert max(len(line) for line in lines if "://" not in line) <= width
    checked = 0
    for first, numbers in shown_numbers(result, width):
        row_lines = [ln for ln in lines if re.search(rf"(^|\s){re.escape(first[:12])}", ln)]
        assert row_lines, f"row {first!r} is not shown"
        for n in numbers:
            assert any(re.search(rf"(?<![\d,.]){re.escape(n)}(?![\d,.])", ln) for ln in row_lines), \
                f"{n} of {first!r} is not whole on one line at {width} columns"
            checked += 1
    assert checked > 20


def test_the_numbers_of_the_csv_are_the_numbers_on_screen():
    """The H100's TPP and price, the introduction's chips: whole on one line, with no terminal escape inside."""
    console, buf = terminal(80)
    table.render_table(results()["compare"], console)
    text = ANSI.sub("", buf.getvalue())
    tpp = next(ln for ln in text.splitlines() if ln.startswith("TPP"))
    assert "15,832" in tpp  # 989.5 x 16 (NVIDIA H100 SXM datasheet, dense BF16)
    assert "5,662" in tpp  # 353.9 x 16 (Huawei CANN guide, Ascend 910B2 cube BF16)
    assert "2.80×▲" in tpp


def test_narrow_terminal_hides_columns_and_says_how_to_get_them():
    ds = load_dataset()
    console, buf = terminal(80)
    messages = table.render_table(listing.list_chips(ds, Filters(), "all"), console)
    assert any("--wide" in m and "--columns" in m for m in messages)
    assert max(len(ln) for ln in ANSI.sub("", buf.getvalue()).splitlines()) <= 80


def test_wide_never_hides():
    ds = load_dataset()
    console, buf = terminal(80)
    messages = table.render_table(listing.list_chips(ds, Filters()), console, wide=True)
    assert not any("hid" in m for m in messages)
    assert "Price" in ANSI.sub("", buf.getvalue())


def test_many_chips_compare_pages_rather_than_wrapping_headers():
    ds = load_dataset()
    chips = ["H100", "H20", "A100", "H800", "H200", "B200 SXM", "MI300X", "Gaudi 3"]
    console, buf = terminal(80)
    messages = table.render_table(compare_.compare(ds, chips), console)
    text = ANSI.sub("", buf.getvalue())
    headers = [ln for ln in text.splitlines() if ln.startswith("Field")]
    assert len(headers) >= 2  # eight chips do not fit 80 columns: the table comes in parts ...
    assert any("split into" in m for m in messages)  # ... and stderr says so
    assert all(len(ln) <= 80 for ln in text.splitlines())
    shown = " ".join(headers)
    assert all(c in shown for c in ("H100 SXM", "Gaudi 3", "MI300X"))  # every chip is on some part


def test_prose_notes_wrap_between_words_and_urls_stay_whole():
    console, buf = terminal(80)
    table.render_table(results()["controls"], console)
    lines = ANSI.sub("", buf.getvalue()).splitlines()
    assert any(ln.startswith("Informational calculation") for ln in lines)
    assert all(len(ln) <= 80 for ln in lines if "://" not in ln)
    assert any(ln.startswith("2026-01:") and ln.endswith("2026-00789.htm") for ln in lines)  # one unbroken line


def test_tiny_terminal_falls_back_to_plain_text_with_whole_numbers():
    console, buf = terminal(10)
    table.render_table(results()["rank"], console)
    assert "1.414" in buf.getvalue()  # H100 SXM BF16 per watt: 989.5 / 700 (NVIDIA datasheet)


@pytest.mark.skipif(shutil.which("chipcmp") is None or sys.platform == "win32", reason="needs the installed command")
def test_installed_command_in_a_pseudo_terminal():
    """The real thing: `chipcmp compare` in an 80-column pty, as the person at the terminal sees it."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # child: the command in a terminal of 80 x 40
        os.environ.update(COLUMNS="80", LINES="40", TERM="xterm")
        os.execvp("chipcmp", ["chipcmp", "compare", "Ascend 910B", "H100", "H20"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")
    assert os.waitstatus_to_exitcode(status) == 0, text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert max(len(ln) for ln in lines) <= 80
    bf16 = next(ln for ln in lines if ln.startswith("BF16 ") and "TFLOPS" in ln and "/" not in ln)
    assert "353.9" in bf16 and "989.5" in bf16 and "148" in bf16


def test_subprocess_pipe_gets_plain_text():
    p = subprocess.run([sys.executable, "-m", "chipcmp", "compare", "H100", "H20"], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout and "━" not in p.stdout
