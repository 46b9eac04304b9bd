"""Round three of hostile input (issue: nothing user-writable changes an answer or loses a file; overlays checked
like data; sizes bounded). One regression test per class: the message, the exit code, that no file other than
the requested output changed, and for the size classes a time and memory bound under ulimit."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chipcmp.data.files import bundled_dir

CHIPCMP = [sys.executable, "-m", "chipcmp"]


def snapshot(*folders: Path) -> dict[Path, tuple[int, int]]:
    out = {}
    for folder in folders:
        for p in folder.rglob("*"):
            if p.is_file():
                st = p.stat()
                out[p] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def unchanged(tmp_path):
    """Asserts after the test that nothing in the data folder or the test's folder changed but what it allows."""
    before = snapshot(bundled_dir(), tmp_path)
    allowed: set[Path] = set()
    yield allowed
    after = snapshot(bundled_dir(), tmp_path)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)} - allowed
    assert not changed, f"files changed: {sorted(changed)}"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["list", "-c", "vendor,vendor"], 0, None),
    (["rank", "-m", "tdp_w", "-c", "tdp_w,tdp_w", "-f", "csv"], 0, None),
    (["train", "H100", "--params", "70B", "--tokens", "2T", "--chips", "1e30"], 2, "is not a valid int"),
    (["train", "H100", "--params", "70B", "--tokens", "2T", "--chips", "1" + "0" * 30], 2,
     "--chips 1000000000000000000000000000000 is out of range: from 1 to 10,000,000 chips"),
    (["train", "H100", "--params", "70B", "--tokens", "2T", "--pue", "1000"], 2,
     "--pue 1000 is out of range: from 1 to 3 (1 = chips only)"),
    (["serve", "H100", "--params", "70B", "--years", "1e-300"], 2, "--years 1e-300 is out of range: from 0.25"),
    (["match", "H20", "--to", "H100", "--count", "10", "--mfu", "1e-308"], 2, "--mfu 1e-308 is out of range"),
    (["match", "H20", "--to", "H100", "--count", "10", "--by", "price_usd"], 2,
     "--by 'price_usd' is not a quantity to match by"),
    (["controls", "H20", "--die-area", "-5"], 2, "--die-area -5 is out of range: from 1 to 100,000 mm²"),
    (["controls", "H20", "--die-area", "500"], 2, "--die-area describe a what-if chip, which needs --tflops or --tpp"),
    (["controls", "--tflops", "1e308", "--die-area", "1e-308"], 2, "--tflops 1e+308 is out of range"),
    (["controls", "--tflops", "100", "--interconnect", "nan"], 2, "--interconnect nan is out of range"),
    (["serve", "--model", "Llama 2 70B", "H100", "--prompt", "8192", "--output-tokens", "4096"], 2,
     "Llama 2 70B reads at most 4,096 tokens (its context); --prompt 8,192 + --output-tokens 4,096 = 12,288"),
    (["serve", "H100", "--params", "70B", "--output-tokens", "0"], 2, "--output-tokens 0 is out of range"),
    (["serve", "H100", "--params", "70B", "--batch", "9" * 5000], 2, "--batch '99999999999999999999999"),
    (["rank", "-m", "memory_gb + bf16_tflops"], 2, "cannot add GB and TFLOPS"),
    (["rank", "-m", "bf16_tflops*1e308*10"], 2, "overflows"),
    (["list", "--where", "memory_gb > tdp_w"], 2, "compares GB with W"),
])
def test_class(cli, unchanged, args, code, message):
    r = cli(*args)
    assert r.exit_code == code, r.stderr
    if message is not None:
        line = r.stderr.splitlines()[0]
        assert line.startswith("chipcmp: error: ") and message in line
        assert len(line) < 400  # a 5,000-digit value is quoted in at most 60 characters
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_replica_too_small_says_why(cli):
    r = cli("serve", "H100", "--params", "405B", "--replica", "1", "--format", "json")
    assert r.exit_code == 0, r.stderr
    note = json.loads(r.stdout)["rows"][0]["note"]
    # 405B × 2 bytes = 810 GB; one H100 SXM has 80 GB (NVIDIA), 90% usable
    assert note == "no estimate: 810 GB of weights do not fit 1 × 80 GB (90% usable); --replica 16 or more"


def test_systems_on_user_data_name_the_missing_chips(cli, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("name,vendor,bf16_tflops,sources\nMy Chip,Me,100,http://x\n")
    r = cli("compare", "CloudMatrix 384", "GB200 NVL72", "--data", str(mine))
    assert r.exit_code == 1
    assert "the data loaded has no 'Ascend 910C', 'GB200'" in r.stderr
    s = cli("systems", "--data", str(mine))
    assert s.exit_code == 1 and "none of the systems' chips" in s.stderr
    k = cli("rank", "--systems", "-m", "bf16_pflops", "--data", str(mine))
    assert k.exit_code == 1 and "none of the systems' chips" in k.stderr


def test_overlay_systems_file_refused(cli, unchanged):
    r = cli("list", "--add", str(bundled_dir() / "systems.csv"))
    assert r.exit_code == 1 and "is a systems file" in r.stderr


def test_overlay_lookalikes_are_warned(cli, tmp_path, unchanged):
    f = tmp_path / "over.csv"
    unchanged.add(f)  # the test's own input
    f.write_text("name,bf16_tflops\nН100 SXM,5\nH1OO SXM,6\n", encoding="utf-8")
    r = cli("list", "--add", str(f))
    assert r.exit_code == 0
    assert "'Н100 SXM' reads like 'H100 SXM' but is spelt with look-alike letters" in r.stderr
    assert "'H1OO SXM' reads like 'H100 SXM' (a letter typed for a digit?)" in r.stderr


def test_show_sources_says_a_figure_is_the_users(cli, tmp_path):
    f = tmp_path / "over.csv"
    f.write_text("name,bf16_tflops\nH100 SXM,5000\n")
    r = cli("show", "H100 SXM", "--sources", "--add", str(f), "--format", "json")
    rows = [x for x in json.loads(r.stdout)["rows"] if x["field"] == "bf16_tflops"]
    chosen = [x for x in rows if x["role"] == "chosen"]
    assert [(x["value"], x["source"]) for x in chosen] == [("5000.0", str(f))]
    assert any(x["role"] == "superseded" and x["value"] == "989.5" for x in rows)  # NVIDIA's, not used this run


def _run(args: list[str], *, memory_mb: int, seconds: float, **kw: object) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    start = time.perf_counter()
    p = subprocess.run([*CHIPCMP, *args], capture_output=True, text=True, preexec_fn=limit, timeout=seconds * 4,
                       check=False, **kw)  # type: ignore[call-overload]
    p.elapsed = time.perf_counter() - start  # type: ignore[attr-defined]
    return p


def test_thousands_of_repeated_columns_are_bounded():
    p = _run(["list", "-c", ",".join(["vendor"] * 2400)], memory_mb=1500, seconds=10)
    assert p.returncode == 2 and "name each field once" in p.stderr
    q = _run(["list", "-c", ",".join(["vendor"] * 500)], memory_mb=1500, seconds=10)
    assert q.returncode == 0 and q.elapsed < 10  # type: ignore[attr-defined]


def test_big_overlay_rank_is_bounded(tmp_path):
    """100,000 new chips by --add: rank ranges by sorting, not an n × n matrix (10 GB before)."""
    f = tmp_path / "big.csv"
    rows = "".join(f"Chip {i},Vendor,{100 + i % 997},{300 + i % 211}\n" for i in range(100_000))
    f.write_text("name,vendor,bf16_tflops,tdp_w\n" + rows)
    p = _run(["rank", "-m", "bf16_tflops_per_watt", "--top", "3", "--add", str(f)], memory_mb=2500, seconds=60)
    assert p.returncode == 0, p.stderr
    assert p.elapsed < 60  # type: ignore[attr-defined]


def test_closed_stdout_is_one_line_and_output_file_still_written(tmp_path):
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -m chipcmp list >&-"], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 1
    assert r.stderr == "chipcmp: error: cannot write the output: standard output is closed\n"
    out = tmp_path / "x.csv"
    w = subprocess.run(["bash", "-c", f"'{sys.executable}' -m chipcmp list -o '{out}' >&-"], capture_output=True,
                       text=True, check=False)
    assert w.returncode == 0 and out.read_text().startswith("name,")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_without_writer_waits_with_a_message_and_ctrl_c_stops_it(tmp_path):
    import signal

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    p = subprocess.Popen([*CHIPCMP, "list", "--add", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 130
    assert f"waiting for a writer on {fifo} (Ctrl-C stops)" in err


def test_the_tool_writes_nothing_but_its_output(tmp_path):
    """No cache or state: HOME and XDG folders stay empty whatever runs."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    for args in (["compare", "H100", "H20"], ["audit"], ["rank", "-m", "tpp"], ["systems"]):
        assert subprocess.run([*CHIPCMP, *args], env=env, capture_output=True, check=False).returncode == 0
    assert list(home.rglob("*")) == []
    assert shutil.which("chipcmp") or True
