"""Regression tests for each class of failure a hostile tester found: lost files, raw terminal text, hangs and
unbounded memory, internal errors and misleading messages. Each asserts the message, the exit code, and that no
file but the requested output changed."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from chipcmp.commands import context as pipeline
from chipcmp.data.files import bundled_path

HEADER = "name,vendor,bf16_tflops,memory_gb,memory_bw_tbs,tdp_w,sources,confidence,notes"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


# --- files lost or corrupted ---------------------------------------------------------------------------------


def test_env_data_is_never_the_output(cli, tmp_path):
    data = tmp_path / "x.csv"
    data.write_bytes(bundled_path().read_bytes())
    before = snapshot(tmp_path)
    for cmd in (["export"], ["plot", "tdp_w", "bf16_tflops", "--format", "csv"]):
        r = cli(*cmd, "-o", str(data), env={"CHIPCMP_DATA": str(data)})
        assert r.exit_code == 1
        assert "refusing to overwrite the input file" in r.stderr
    assert snapshot(tmp_path) == before


def test_bundled_data_is_never_the_output(cli):
    before = bundled_path().read_bytes()
    r = cli("export", "-o", str(bundled_path()))
    assert r.exit_code == 1
    assert "inside chipcmp's bundled data" in r.stderr
    assert bundled_path().read_bytes() == before


def test_output_through_a_symlink_keeps_the_link(cli, tmp_path):
    target = tmp_path / "target.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    r = cli("rank", "--metric", "tpp", "--top", "2", "-o", str(link))
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink()
    assert target.read_text().startswith("rank,name,vendor,tpp")


def test_output_to_a_device_is_written_like_a_shell_redirect(tmp_path):
    out = tmp_path / "out.txt"
    with out.open("w") as f:
        p = subprocess.run([sys.executable, "-m", "chipcmp", "rank", "--metric", "tpp", "--top", "2", "-o",
                            "/dev/stdout"], stdout=f, stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert out.read_text().startswith("Chips by tpp")
    assert Path("/dev/stdout").is_symlink() or not Path("/dev/stdout").is_file()  # never replaced by a file


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_a_write_leaves_no_temp_file(tmp_path, sig):
    """The writer unwinds on SIGTERM/SIGHUP: the temporary file is removed and the old file stays whole."""
    script = f"""
import os, signal, sys, time
from pathlib import Path
from chipcmp.data.files import write_text
target = Path({str(tmp_path / 'out.csv')!r})
target.write_text("old\\n")
def slow(f):
    f.write("partial")
    f.flush()
    print("writing", flush=True)
    time.sleep(30)
write_text(target, slow)
"""
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "writing"
    p.send_signal(sig)
    p.wait(timeout=20)
    assert p.returncode != 0
    assert (tmp_path / "out.csv").read_text() == "old\n"
    assert [x.name for x in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize(("content", "message"), [
    (f"{HEADER}\rA,B,3,,,,s,official,\rC,D\r", "bare CR line break"),
    (f'{HEADER}\nA"x,B,3,,,,s,official,\nC,D\nE,F"y,5,,,,s,official,\n', "stray double quote inside a field"),
    (f"{HEADER}\nA,B,True,,,,s,official,\n", "'True' is not a number"),
    (f"{HEADER}\nA,B,true,,,,s,official,\n", "'true' is not a number"),
    ("name,vendor,bf16_tflops \nA,B,abc\n", "column 'bf16_tflops': 'abc' is not a number"),
    (f"{HEADER}\nA,B,٣٠,,,,s,official,\n", "'٣٠' is not a number"),
    ("name,vendor\n" + "x" * 70_000 + ",v\n", "a field longer than 65,536 bytes"),
    ("name," + ",".join(f"c{i}" for i in range(20_000)) + "\n", "the first line is longer than"),
    ("name,vendor\n!!!,X\n", "has no letter or digit"),
    ("name,vendor\nA\u202eB,X\n", "invisible or control character"),
])
def test_rows_are_never_silently_misread(cli, tmp_path, content, message):
    f = tmp_path / "in.csv"
    f.write_text(content, encoding="utf-8")
    r = cli("list", "--data", str(f))
    assert r.exit_code == 1, r.stdout
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_header_with_a_trailing_space_is_typed(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("name,vendor,bf16_tflops \nA,B,5\n")
    r = cli("rank", "--metric", "bf16_tflops", "--data", str(f), "--format", "csv")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == "1,A,B,5.0,1"


# --- exported and displayed text -----------------------------------------------------------------------------


def test_csv_neutralizes_formulas_and_leaves_plain_text(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(f'{HEADER}\n"＝SUM(A1)",C,4,,,,s,official,"a\r=cmd()"\n"--price",D,5,,,,s,official,-\n',
                 encoding="utf-8")
    r = cli("list", "--data", str(f), "--columns", "name,notes", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[1] == "'＝SUM(A1),'a =cmd()"  # full-width '=', and a formula after a line break
    assert lines[2] == "--price,-"  # plain text is left alone
    c = cli("compare", "＝SUM(A1)", "D --price", "--data", str(f), "--metrics", "bf16_tflops", "--format", "csv")
    assert c.exit_code == 0, c.stderr
    # chip names as column headers are escaped too
    # "--price / ＝SUM(A1)" starts with a sign and is more than a number or an option: a spreadsheet would run it
    assert c.stdout.splitlines()[0] == "label,unit,'＝SUM(A1),--price,'--price / ＝SUM(A1),field"


ESCAPES = '"V\x1b[2J\x1b]0;pwned\x07",100,80,2,300,s,official,"[link=http://x.example]click[/link] Closer [/]"'


@pytest.mark.parametrize("args", [
    ["list"], ["show", "Evil"], ["compare", "Evil", "Good"], ["rank", "--metric", "bf16_tflops"], ["controls"],
    ["train", "--params", "7B", "--tokens", "1T"], ["serve", "--params", "7B"], ["plot", "tdp_w", "bf16_tflops"],
])
def test_terminal_gets_no_escape_or_markup_from_data(cli, tmp_path, args):
    f = tmp_path / "esc.csv"
    f.write_text(f"{HEADER}\nEvil,{ESCAPES}\nGood,[bold]V[/bold],50,40,1,200,s,official,n\n", encoding="utf-8")
    buf = io.StringIO()
    pipeline.CONSOLE = Console(file=buf, width=120, force_terminal=True, color_system=None, markup=False)
    try:
        r = cli(*args, "--data", str(f))
    finally:
        pipeline.CONSOLE = None
    assert r.exit_code == 0, r.stderr
    out = buf.getvalue() + r.stdout + r.stderr
    assert "\x1b" not in out and "\x07" not in out
    if args[0] in ("list", "compare"):
        assert "[bold]V[/bold]" in out  # markup shown as the text it is


def test_clean_removes_every_control_and_format_character_and_keeps_printable_text():
    # `clean` returns printable text untouched without running its pattern: that shortcut is only right if no
    # character the pattern removes is printable. Checked over every code point.
    import re
    import sys

    from chipcmp.text import _CONTROL, clean

    removed = [chr(i) for i in range(sys.maxunicode + 1) if re.fullmatch(_CONTROL, chr(i))]
    assert len(removed) > 60 and "\x1b" in removed and "\u202e" in removed and "\ufeff" in removed
    assert not [c for c in removed if c.isprintable()]
    assert all(clean(f"a{c}b") in ("ab", "a b") for c in removed)
    assert clean("Ascend 910B — 2.8× ▲") == "Ascend 910B — 2.8× ▲"


def test_markdown_escapes_markup_and_html(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(f"{HEADER}\nA,<script>x</script>,1,,,,s,official,\n")
    r = cli("list", "--data", str(f), "--format", "markdown")
    assert "<script>" not in r.stdout and "\\<script\\>" in r.stdout


def test_lookalike_names_are_warned_and_never_suggested_as_the_same(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("name,vendor,bf16_tflops,sources,confidence\nН100,X,5,s,official\nH100,Y,6,s,official\n",
                 encoding="utf-8")
    r = cli("show", "H1OO", "--data", str(f))
    assert r.exit_code == 2
    assert "the name 'Н100' reads like 'H100' but is spelt with look-alike letters" in r.stderr
    assert "'Н100' (spelt with non-Latin letters that look Latin)" in r.stderr or "'Н100'" not in \
        r.stderr.split("did you mean:")[1]
    a = cli("audit", str(f), "--format", "csv")
    assert "look-alike" in a.stdout


# --- hangs and unbounded memory ------------------------------------------------------------------------------


def test_fifo_is_read_once_and_does_not_hang(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen([sys.executable, "-m", "chipcmp", "list", "--data", str(fifo), "--format", "csv"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with fifo.open("wb") as w:
        w.write(bundled_path().read_bytes())
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert out.count("\n") > 80


def test_stdin_pipe_as_data():
    p = subprocess.run([sys.executable, "-m", "chipcmp", "list", "--data", "/dev/stdin", "--format", "csv"],
                       input=bundled_path().read_bytes(), capture_output=True, check=False, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(b"\n") > 80


def test_huge_where_is_fast_and_not_echoed(cli):
    start = time.perf_counter()
    r = cli("list", "--where", "a" * 100_000)
    assert time.perf_counter() - start < 2
    assert r.exit_code == 2
    assert len(r.stderr) < 300 and "at most 300" in r.stderr


def test_completion_never_reads_an_unbounded_file(monkeypatch):
    from chipcmp.commands.complete import _complete_chip

    monkeypatch.setenv("CHIPCMP_DATA", "/dev/zero")
    assert _complete_chip("h") == []


# --- internal errors and wrong results -----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "files", "code", "message"), [
    (["compare", "H100", "H20", "--metrics", " "], {}, 2, "names no field"),
    (["list", "--add", "{d}/o.csv", "--add", "{d}/o.csv"], {"o.csv": "name,bf16_tflops\nH100,5\n"}, 2,
     "already loaded"),
    (["list", "--add", "{d}/o.csv"], {"o.csv": "name,bf16_tflops\nH100,5\nh100 sxm,6\n"}, 1, "both name 'H100 SXM'"),
    (["train", "--params", "70B", "--tokens", "2T", "--days", "1e-320"], {}, 2, "out of range: from 0.04167"),
    (["serve", "--params", "70B", "--prompt", "100000000000"], {}, 2, "--prompt 100000000000 is out of range"),
    (["train", "--params", "1e300", "--tokens", "1e300", "--format", "json"], {}, 2, "is too large"),
    (["train", "--params", "1e400", "--tokens", "2T"], {}, 2, "is too large"),
    (["roofline"], {}, 2, "Missing option '--intensity'"),
    (["controls", "--tpp", "3000", "--data", "/nonexistent.csv"], {}, 2, "--data cannot apply here"),
    (["rank", "--metric", "tpp", "--price", "H100=1e-320"], {}, 2, "outside the plausible range"),
    (["list", "--data", "{d}/bad.csv"], {"bad.csv": b"name,vendor\nA,\xff\xfe\n"}, 1, "line 2 is not UTF-8"),
])
def test_clear_message_instead_of_internal_error(cli, tmp_path, args, files, code, message):
    for name, content in files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(tmp_path)
    r = cli(*(a.format(d=tmp_path) for a in args))
    assert r.exit_code == code, r.stderr
    assert message in r.stderr
    assert "internal error" not in r.stderr and "Infinity" not in r.stdout
    assert snapshot(tmp_path) == before


def test_overlay_names_equal_to_table_labels_do_not_corrupt_the_table(cli, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text("name,vendor,bf16_tflops\noverridden,a,5\nunit,b,6\n")
    r = cli("compare", "overridden", "unit", "--add", str(f), "--metrics", "bf16_tflops", "--format", "json")
    assert r.exit_code == 0, r.stderr
    import json

    row = json.loads(r.stdout)["rows"][0]
    assert row["overridden"] == 5 and row["unit (2)"] == 6 and row["unit"] == "TFLOPS"


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}])
def test_narrow_stdout_encoding(env):
    p = subprocess.run([sys.executable, "-m", "chipcmp", "compare", "H100", "H20"], capture_output=True,
                       env={**os.environ, **env}, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stderr == b"chipcmp: 'H100' is 'H100 SXM'\n"  # the alias note, and nothing else
    out = p.stdout.decode(env["PYTHONIOENCODING"], "strict")  # nothing it cannot hold: '—' and '×' became '?'
    assert "H100 SXM" in out and "989.5" in out and "?" in out


def test_full_disk_and_file_size_limit(tmp_path):
    p = subprocess.run(f"{sys.executable} -m chipcmp list > /dev/full", shell=True, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 1
    assert "cannot write the output: No space left on device" in p.stderr
    q = subprocess.run(f"ulimit -f 1; {sys.executable} -m chipcmp export -o {tmp_path}/big.csv", shell=True,
                       capture_output=True, text=True, check=False)
    assert q.returncode == 1
    assert "File too large" in q.stderr
    assert not list(tmp_path.iterdir())


def test_non_utf8_file_name(tmp_path):
    name = os.fsencode(tmp_path) + b"/nope\xff.csv"
    p = subprocess.run([sys.executable.encode(), b"-m", b"chipcmp", b"list", b"--data", name], capture_output=True,
                       check=False)
    assert p.returncode == 1
    assert b"nope\\xff.csv: no such file" in p.stderr


def test_broken_pipe_exits_141_quietly():
    p = subprocess.run(f"{sys.executable} -m chipcmp export --format csv | head -1; exit ${{PIPESTATUS[0]}}",
                       shell=True, executable="/bin/bash", capture_output=True, text=True, check=False)
    assert p.returncode == 141
    assert p.stderr == ""


def test_loaded_frame_is_not_the_cache():
    from chipcmp.data.dataset import load_dataset

    ds = load_dataset()
    ds.frame.loc[ds.frame.index[0], "bf16_tflops"] = 1e6
    assert load_dataset().frame["bf16_tflops"].max() < 1e5


def test_dataset_hash_follows_the_file(tmp_path):
    from chipcmp.data.dataset import load_dataset

    f = tmp_path / "d.csv"
    f.write_text("name,vendor\nA,B\n")
    first = load_dataset(f).version
    time.sleep(0.01)
    f.write_text("name,vendor\nA,C\nD,E\n")
    assert load_dataset(f).version != first


def test_loader_and_audit_agree_on_long_fields_and_foreign_digits(cli, tmp_path):
    for content in ("name,vendor\n" + "x" * 70_000 + ",v\n", f"{HEADER}\nA,B,٣٠,,,,s,official,\n"):
        f = tmp_path / "in.csv"
        f.write_text(content, encoding="utf-8")
        assert cli("list", "--data", str(f)).exit_code == 1
        assert cli("audit", str(f)).exit_code == 1


def test_csv_finds_one_formula_among_many_cells(cli, tmp_path):
    # Each column is checked in one search over all its cells: a single risky cell deep in the file still counts.
    rows = [f"Chip {i},Acme,{i + 1},,,,s,official,note {i}" for i in range(400)]
    rows[337] = 'Chip 337,Acme,338,,,,s,official,@SUM(A1)'
    f = tmp_path / "in.csv"
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    r = cli("export", "--data", str(f), "--format", "csv")
    assert r.exit_code == 0, r.stderr
    notes = [x["notes"] for x in csv.DictReader(io.StringIO(r.stdout))]
    assert notes[337] == "'@SUM(A1)" and notes[336] == "note 336"
