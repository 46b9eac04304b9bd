"""Property tests: random CSVs and random argument lists. The CLI either succeeds or fails with one clean line
and exit code 1 or 2; it never shows a traceback or an internal error, and never writes anything but the
requested output file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chipcmp.cli import app
from chipcmp.data import schema

runner = CliRunner()
# CHIPCMP_HYPOTHESIS_EXAMPLES=600 for a longer hunt; CI runs the default.
SETTINGS = settings(max_examples=int(os.environ.get("CHIPCMP_HYPOTHESIS_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

cell = st.one_of(
    st.just(""),
    st.integers(-10, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "NaN", "1e999", "0", "-0", "1,5", "=1+1", "@x", "+1", "\t", "H100",
                     "gpu", "asic", "official", "éè", "\u202e", "a\nb", 'q"uote', " 3 ", "0x10", "1_000",
                     # terminal control and markup: data is text, never escape sequences or rich markup
                     "\x1b[2J", "\x1b]0;title\x07", "\x1b]8;;http://e\x1b\\x\x1b]8;;\x1b\\", "[link=http://x]y[/link]",
                     "Closer [/]", "[bold red]x", "\u200b", "n/a", "N/A", "True", "٣"]),
    st.text(max_size=12),
)
columns = st.lists(st.sampled_from([*schema.COLUMN_BY_NAME, "junk", "Name", " name", "name "]), min_size=1,
                   max_size=8)


def _csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(columns)
    if draw(st.booleans()):
        header = ["name", *header]
    rows = draw(st.lists(st.lists(cell, min_size=len(header) - 1, max_size=len(header) + 1), max_size=6))
    sep = draw(st.sampled_from([",", ",", ",", ";"]))
    lines = [sep.join(_csv_field(h) for h in header)] + [sep.join(_csv_field(c) for c in r) for r in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1"]))
    return text.encode(enc, errors="replace")


def _check(result, workdir: Path, allowed: set[str]) -> None:
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    assert "internal error" not in out, out
    assert result.exit_code in (0, 1, 2), (result.exit_code, out)
    if result.exit_code != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith("chipcmp: error:")]
        assert len(errors) == 1, result.stderr
    leftovers = {p.name for p in workdir.iterdir()} - allowed
    assert not leftovers, leftovers


@SETTINGS
@given(content=csv_files(), command=st.sampled_from([
    ["list"], ["export"], ["rank", "--metric", "bf16_tflops_per_watt"], ["rank", "--metric", "tpp"],
    ["controls"], ["train", "--params", "7B", "--tokens", "1T"], ["serve", "--params", "7B"],
    ["roofline", "--intensity", "50"], ["audit"],
]), overlay=st.booleans())
def test_random_csv_never_crashes(content: bytes, command: list[str], overlay: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        data = work / "in.csv"
        data.write_bytes(content)
        out = work / "out.txt"
        if command == ["audit"]:
            args = ["audit", str(data), "-o", str(out)]
        else:
            args = [*command, "--add" if overlay else "--data", str(data), "-o", str(out)]
        result = runner.invoke(app, args)
        _check(result, work, {"in.csv", "out.txt"})
        if result.exit_code != 0 and command != ["audit"]:
            assert not out.exists()


names = st.sampled_from(["H100", "h20", "910B", "Ascend 910B", "nope", "", "MI300X", "a100", "H100 SXM", "@x",
                         "TPU v5p", "--", "-x"])
values = st.sampled_from(["0", "-1", "1", "3", "1e9", "abc", "", "70B", "2T", "70Q", "0.4", "1.5", "nan", "inf"])
options = st.one_of(
    st.tuples(st.sampled_from(["--vendor", "--country", "--kind", "--since", "--where", "--top", "--metric",
                               "--metrics", "--columns", "--baseline", "--format", "--rule", "--precision", "--mfu",
                               "--chips", "--days", "--params", "--tokens", "--batch", "--intensity", "--price",
                               "--tflops", "--tpp", "--die-area"]),
              st.one_of(values, names, st.sampled_from(["nvidia", "CN", "asic", "memory_gb>=80", "bf16_tflops",
                                                        "tpp", "csv", "json", "markdown", "table", "2023-10",
                                                        "__import__('os')", "H100=5", "fp8", "x<y<z"]))),
    st.tuples(st.sampled_from(["--asc", "--desc", "--help"])),
)


@SETTINGS
@given(command=st.sampled_from(["list", "show", "compare", "rank", "export", "metrics", "controls", "train",
                                "serve", "roofline", "audit"]),
       positional=st.lists(names, max_size=3), opts=st.lists(options, max_size=4))
def test_random_arguments_never_crash(command: str, positional: list[str], opts: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        out = work / "out.txt"
        args = [command, *positional, *(x for o in opts for x in o), "-o", str(out)]
        result = runner.invoke(app, args)
        _check(result, work, {"out.txt"})


@SETTINGS
@given(content=csv_files())
def test_audit_accepts_every_file_that_loads(content: bytes) -> None:
    """A file the loader accepts is never rejected by the audit: it is checked, and its findings listed."""
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        data = work / "in.csv"
        data.write_bytes(content)
        loaded = runner.invoke(app, ["list", "--data", str(data), "--format", "csv"])
        audited = runner.invoke(app, ["audit", str(data), "--format", "csv"])
        _check(audited, work, {"in.csv"})
        if loaded.exit_code == 0:
            assert audited.stdout.startswith("line,chip,column,severity,code,message"), audited.stderr
            if audited.exit_code == 1:
                assert len(audited.stdout.splitlines()) > 1  # every rejection is explained by a finding
        if audited.exit_code == 0:  # and the reverse: a file the audit passes, the loader reads
            assert loaded.exit_code == 0, loaded.stderr


@SETTINGS
@given(content=csv_files(), command=st.sampled_from([["list"], ["show", "x"], ["rank", "--metric", "bf16_tflops"],
                                                     ["controls"], ["train", "--params", "7B", "--tokens", "1T"]]))
def test_data_text_never_reaches_a_terminal_as_control(content: bytes, command: list[str]) -> None:
    """Whatever a file holds, a terminal gets no escape sequence from it and no markup is interpreted."""
    import io

    from rich.console import Console

    from chipcmp.commands import context as pipeline

    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "in.csv"
        data.write_bytes(content)
        buf = io.StringIO()
        console = Console(file=buf, width=100, force_terminal=True, color_system=None, markup=False)
        pipeline.CONSOLE = console
        try:
            result = runner.invoke(app, [*command, "--data", str(data)])
        finally:
            pipeline.CONSOLE = None
        out = buf.getvalue() + result.stdout + result.stderr
        assert "\x1b" not in out, repr(out)
        assert "\x07" not in out and "\u202e" not in out


@SETTINGS
@given(kind=st.sampled_from(["file", "link-to-new", "link-to-file", "link-to-input", "devnull", "input"]),
       command=st.sampled_from([["export"], ["list"], ["rank", "--metric", "tpp"]]))
def test_output_paths_that_are_links_or_devices(kind: str, command: list[str]) -> None:
    """A link is written through (the link stays a link), a device is written directly, an input never."""
    from chipcmp.data.files import bundled_path

    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        data = work / "in.csv"
        data.write_bytes(bundled_path().read_bytes())
        before = data.read_bytes()
        target = work / "target.csv"
        out = work / "out.csv"
        if kind == "link-to-new":
            out.symlink_to(target)
        elif kind == "link-to-file":
            target.write_text("old\n")
            out.symlink_to(target)
        elif kind == "link-to-input":
            out.symlink_to(data)
        elif kind == "devnull":
            out = Path(os.devnull)
        elif kind == "input":
            out = data
        result = runner.invoke(app, [*command, "--data", str(data), "-o", str(out), "--format", "csv"])
        assert data.read_bytes() == before  # the input is never changed
        if kind in ("link-to-input", "input"):
            assert result.exit_code == 1 and "refusing to overwrite the input file" in result.stderr
            return
        assert result.exit_code == 0, result.stderr
        if kind.startswith("link"):
            assert out.is_symlink() and target.read_text().startswith(("name,", "rank,"))
        if kind == "file":
            assert out.read_text().startswith(("name,", "rank,"))
        assert not list(work.glob(".*.tmp"))
