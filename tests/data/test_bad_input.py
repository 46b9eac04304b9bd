"""Bad input: one clear line naming the file, row and column; a non-zero exit; no traceback; no file written."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest

from chipcmp.data import schema

GOOD_HEADER = "name,vendor,bf16_tflops,tdp_w,sources\n"
GOOD_ROW = "Test Chip,Acme,100,200,https://example.com\n"

# (id, file bytes, expected exit code, text the one-line error must contain)
BAD_FILES = [
    ("empty", b"", 1, "the file is empty"),
    ("blank", b"\n\n  \n", 1, "the file is empty"),
    ("header-only", GOOD_HEADER.encode(), 1, "has a header but no rows"),
    ("semicolons", b"name;vendor;bf16_tflops\nX;Y;1\n", 1, "looks ';'-separated"),
    ("tabs", b"name\tvendor\tbf16_tflops\nX\tY\t1\n", 1, "looks tab-separated"),
    ("ragged-long-first", (GOOD_HEADER + "A,B,1,200,http://x,EXTRA\n").encode(), 1, "line 2 has 6 fields"),
    ("ragged-long", (GOOD_HEADER + GOOD_ROW + "A,B,1,200,http://x,EXTRA\n").encode(), 1, "line 3 has 6 fields"),
    ("ragged-short", (GOOD_HEADER + GOOD_ROW + "Short,Acme\n").encode(), 1, "line 3 has 2 fields"),
    ("latin-1", (GOOD_HEADER + "Caf\xe9 Chip,Acme,1,2,http://x\n").encode("latin-1"), 1, "is not UTF-8"),
    ("latin-1-late", (GOOD_HEADER + GOOD_ROW * 400 + "Caf\xe9,Acme,1,2,http://x\n").encode("latin-1"), 1,
     "is not UTF-8"),
    ("dup-columns", b"name,vendor,vendor\nX,Y,Z\n", 1, "column 'vendor' appears more than once"),
    ("no-name", b"chip,vendor\nX,Y\n", 1, "has no 'name' column"),
    ("empty-column-name", b"name,,vendor\nX,1,Y\n", 1, "empty column name"),
    ("text-in-number", (GOOD_HEADER + "X,Acme,fast,200,http://x\n").encode(), 1,
     "line 2, column 'bf16_tflops': 'fast' is not a number"),
    ("comma-decimal", (GOOD_HEADER + 'X,Acme,"989,5",2,http://x\n').encode(), 1, "'989,5' is not a number"),
    ("negative", (GOOD_HEADER + "X,Acme,-1,200,http://x\n").encode(), 1, "negative value -1 is impossible"),
    ("zero", (GOOD_HEADER + "X,Acme,100,0,http://x\n").encode(), 1, "column 'tdp_w': zero value"),
    ("nan-text", (GOOD_HEADER + "X,Acme,nan,200,http://x\n").encode(), 1, "'nan' is not a number"),
    ("inf-text", (GOOD_HEADER + "X,Acme,inf,200,http://x\n").encode(), 1, "infinite value"),
    ("absurd", (GOOD_HEADER + "X,Acme,100,700000000,http://x\n").encode(), 1, "outside the plausible range"),
    ("dup-names", (GOOD_HEADER + GOOD_ROW + "Test Chip,Other,1,200,http://x\n").encode(), 1,
     "'Test Chip' appears more than once (lines 2, 3)"),
    ("empty-name", (GOOD_HEADER + ",Acme,1,200,http://x\n").encode(), 1, "line 2: empty 'name'"),
]


@pytest.mark.parametrize(("content", "code", "message"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_data_file(cli, tmp_path, content, code, message):
    f = tmp_path / "chips.csv"
    f.write_bytes(content)
    out = tmp_path / "out.csv"
    for option in ("--data", "--add"):
        r = cli("export", option, str(f), "-o", str(out))
        assert r.exit_code == code, (option, r.stderr)
        assert message in r.stderr, (option, r.stderr)
        assert r.stderr.startswith("chipcmp: error: ") and str(f) in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert "Traceback" not in r.stderr + r.stdout
        assert not out.exists()
        assert not list(tmp_path.glob(".out.csv.*"))


def test_names_equal_after_folding_are_refused_with_both_names(cli, tmp_path):
    """'Test Chip' and 'test-chip' could never be named apart: the loader refuses the file, naming both (for
    --data and --add alike), and the audit reports it."""
    f = tmp_path / "near.csv"
    f.write_text(GOOD_HEADER + GOOD_ROW + "test-chip,Other,1,200,http://x\n")
    for option in ("--data", "--add"):
        r = cli("list", option, str(f))
        assert r.exit_code == 1
        assert r.stderr == (f"chipcmp: error: {f}: lines 2 and 3 name 'Test Chip' and 'test-chip', which read as one "
                            "chip (case and punctuation aside); keep one row, or make the names differ in letters or "
                            "digits\n")
    audit = cli("audit", str(f), "--format", "csv")
    assert "duplicate-name" in audit.stdout


def test_bom_is_accepted(cli, tmp_path):
    # Spreadsheets save UTF-8 with a byte-order mark; it is read as UTF-8, not as part of the first column name.
    f = tmp_path / "bom.csv"
    f.write_bytes(b"\xef\xbb\xbf" + (GOOD_HEADER + GOOD_ROW).encode())
    r = cli("show", "test chip", "--data", str(f), "--format", "json")
    assert r.exit_code == 0, r.stderr


def test_unknown_columns_warn(cli, tmp_path):
    f = tmp_path / "extra.csv"
    f.write_text("name,vendor,colour\nX,Y,red\n")
    r = cli("list", "--data", str(f))
    assert r.exit_code == 0
    assert "warning: " in r.stderr and "ignoring unknown column(s) 'colour'" in r.stderr


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing.csv", "no such file"),
    (lambda p: p, "is a directory"),
])
def test_bad_paths(cli, tmp_path, make, message):
    r = cli("list", "--data", str(make(tmp_path)))
    assert r.exit_code == 1
    assert message in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(cli, tmp_path):
    f = tmp_path / "secret.csv"
    f.write_text(GOOD_HEADER + GOOD_ROW)
    f.chmod(0)
    r = cli("list", "--data", str(f))
    assert r.exit_code == 1 and "cannot be read" in r.stderr


def test_env_var_works_like_data(cli, tmp_path):
    f = tmp_path / "env.csv"
    f.write_text(GOOD_HEADER + GOOD_ROW)
    r = cli("list", "--format", "csv", env={"CHIPCMP_DATA": str(f)})
    assert r.exit_code == 0
    assert [row["name"] for row in csv.DictReader(io.StringIO(r.stdout))] == ["Test Chip"]
    assert f"data: {f}" in r.stderr


def test_partial_user_file_keeps_other_columns_unknown(cli, tmp_path):
    f = tmp_path / "partial.csv"
    f.write_text("name,bf16_tflops\nOnly Name,5\n")
    r = cli("show", "only name", "--data", str(f), "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = {row["field"]: row["value"] for row in json.loads(r.stdout)["rows"]}
    assert rows["bf16_tflops"] == 5
    assert rows["memory_gb"] is None and rows["tdp_w"] is None  # not in the file: unknown, never a default


def test_overlay_overrides_and_adds(cli, tmp_path):
    f = tmp_path / "over.csv"
    f.write_text("name,price_usd,price_kind,price_year,price_source\nh100,20000,user,2026,my quote\n"
                 "New Chip,1000,user,2026,my quote\n")
    r = cli("export", "--add", str(f), "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert float(rows["H100 SXM"]["price_usd"]) == 20000
    assert float(rows["H100 SXM"]["bf16_tflops"]) == 989.5  # cells the overlay leaves empty are kept
    assert "price_usd<-" in rows["H100 SXM"]["overridden"]
    assert rows["New Chip"]["overridden"].startswith("added from")
    assert rows["H20"]["overridden"] == ""
    assert "1 chip added" in r.stderr


def test_overlay_row_matching_two_chips(cli, tmp_path):
    f = tmp_path / "twice.csv"
    f.write_text("name,aliases,price_usd\nH100 SXM,h20,1000\n")
    r = cli("list", "--add", str(f))
    assert r.exit_code == 1
    assert "matches 'H100 SXM', 'H20'" in r.stderr


def test_compare_marks_overridden_cells(cli, tmp_path):
    f = tmp_path / "over.csv"
    f.write_text("name,tdp_w\nH20,350\n")
    r = cli("compare", "H100", "H20", "--add", str(f), "--metrics", "tdp_w,bf16_tflops")
    assert "350 *" in r.stdout
    assert f"* value from {f}" in r.stdout


@pytest.mark.parametrize(("spec", "code", "message"), [
    ("H100=25000", 0, ""),
    ("H100", 2, "write CHIP=USD"),
    ("H100=-5", 2, "write CHIP=USD"),
    ("H100=cheap", 2, "write CHIP=USD"),
    ("Nope=5", 2, "unknown chip 'Nope'"),
])
def test_price_override(cli, spec, code, message):
    r = cli("rank", "--metric", "bf16_tflops_per_kusd", "--price", spec, "--format", "csv")
    assert r.exit_code == code, r.stderr
    assert message in r.stderr
    if code == 0:
        rows = {row["name"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
        assert float(rows["H100 SXM"]["bf16_tflops_per_kusd"]) == pytest.approx(989.5 / 25)


def test_output_over_a_directory(cli, tmp_path):
    (tmp_path / "dir.csv").mkdir()
    r = cli("export", "-o", str(tmp_path / "dir.csv"))
    assert r.exit_code == 2  # refused while parsing the options, before any work
    assert "is a directory" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_output_in_read_only_directory(cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    r = cli("export", "-o", str(ro / "x.csv"))
    assert r.exit_code == 1 and "not writable" in r.stderr
    assert not (ro / "x.csv").exists()


def test_output_to_unwritable_location_fails_cleanly(cli):
    r = cli("export", "-o", "/proc/chipcmp-test.csv")
    assert r.exit_code == 1
    assert r.stderr.startswith("chipcmp: error: cannot write /proc/chipcmp-test.csv")


def test_output_never_overwrites_the_input(cli, tmp_path):
    f = tmp_path / "mine.csv"
    original = GOOD_HEADER + GOOD_ROW
    f.write_text(original)
    r = cli("export", "--data", str(f), "-o", str(f))
    assert r.exit_code == 1
    assert "refusing to overwrite the input file" in r.stderr
    assert f.read_text() == original


def test_existing_output_is_replaced_whole(cli, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("old content\n" * 10000)
    r = cli("export", "--vendor", "google", "-o", str(out))
    assert r.exit_code == 0
    assert out.read_text().startswith("name,vendor")
    assert "old content" not in out.read_text()


def test_formula_injection_is_neutralised(cli, tmp_path):
    f = tmp_path / "evil.csv"
    f.write_text('name,vendor,notes,bf16_tflops\n"=HYPERLINK(""http://x"")",+Acme,@SUM(A1),-5\n'.replace(",-5", ",5"))
    for fmt in ("csv", "markdown"):
        r = cli("export", "--data", str(f), "--format", fmt)
        assert r.exit_code == 0, r.stderr
        assert "'=HYPERLINK" in r.stdout and "'+Acme" in r.stdout and "'@SUM(A1)" in r.stdout
    rows = list(csv.DictReader(io.StringIO(cli("export", "--data", str(f)).stdout)))
    assert rows[0]["bf16_tflops"] == "5.0"  # numbers are untouched
    # A negative number is data, not a formula: the writer leaves it as it is, in a number or a text column.
    import pandas as pd

    from chipcmp.core.result import Col, Result
    from chipcmp.output.writers import render_csv

    out = io.StringIO()
    frame = pd.DataFrame({"name": ["-12.5", "=cmd", "-x", "-1+cmd|' /C calc'!A0"], "delta": [-2.0, 3.0, -0.5, 1.0]})
    render_csv(Result(frame, [Col("name", "Name"), Col("delta", "Delta", numeric=True)]), out)
    assert out.getvalue().replace("\r", "").splitlines() == [
        "name,delta", "-12.5,-2.0", "'=cmd,3.0", "-x,-0.5",  # an option-like word is a name, never a formula
        "'-1+cmd|' /C calc'!A0,1.0"]


def test_ctrl_c_exits_130(tmp_path):
    # A real SIGINT to a running process: the exit code is 130 and there is no traceback.
    code = ("import signal, os, sys\n"
            "from chipcmp.core import listing\n"
            "def slow(*a, **k):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "listing.list_chips = slow\n"
            "from chipcmp.cli import main\n"
            "sys.argv = ['chipcmp', 'list']\n"
            "main()\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 130
    assert "Traceback" not in p.stderr


def test_no_numeric_column_accepts_text_in_schema():
    # The loader's dtype table and the registry agree: every numeric column is read as float.
    from chipcmp.data.table import _dtypes

    assert all(_dtypes()[c] == "float64" for c in schema.NUMERIC_COLUMNS)


def test_large_error_file_reports_the_right_line(cli, tmp_path):
    f = tmp_path / "big.csv"
    body = "".join(f"Chip {i},Acme,{i + 1},200,http://x\n" for i in range(5000))
    f.write_text(GOOD_HEADER + body + "Broken,Acme,lots,200,http://x\n")
    r = cli("list", "--data", str(f))
    assert r.exit_code == 1
    assert "line 5002, column 'bf16_tflops': 'lots'" in r.stderr


@pytest.mark.parametrize(("names", "odd"), [
    (["a", "b"], None), (["A B-1", "x_y"], None), (["é", "x"], None),  # fine: ASCII path, then the regex path
    (["a", "--"], 1), (["--"], 0), (["…", "a"], 0),  # no letter or digit in any script
    (["a\tb", "c"], 0), (["a", "b\x7f"], 1), (["a", "b\nc"], 1), (["x", "a\u200bb"], 1),  # hidden characters
])
def test_odd_names_are_found_on_both_paths(names, odd):
    """ASCII names are classed by one str.translate, others by regular expressions: both find the same rows."""
    import pandas as pd

    from chipcmp.data.table import _first_odd_name

    assert _first_odd_name(pd.Series(names, dtype="str")) == odd
