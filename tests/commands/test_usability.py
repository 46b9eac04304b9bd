"""Everyday habits of a new user: typos, expressions, nearness to thresholds, help with examples, plots that label
what was asked for."""

from __future__ import annotations

import csv
import io

import pytest

from tests.commands.test_cli import COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_real_examples(cli, command):
    r = cli(command, "--help")
    assert r.exit_code == 0
    text = r.stdout
    assert "Examples:" in text
    examples = [ln.strip() for ln in text.split("Examples:")[1].splitlines() if ln.strip().startswith("chipcmp ")]
    assert 2 <= len(examples) <= 3


def test_every_help_example_runs(cli, tmp_path, monkeypatch):
    import shlex

    monkeypatch.chdir(tmp_path)
    for command in COMMANDS:
        text = cli(command, "--help").stdout
        for ln in text.split("Examples:")[1].splitlines():
            if ln.strip().startswith("chipcmp "):
                args = shlex.split(ln.strip())[1:]
                if args[0] == "audit" and any(a.endswith(".csv") and a != "-o" for a in args[1:2] + args[2:3]):
                    continue  # names the user's own file
                r = cli(*args)
                assert r.exit_code == 0, (ln, r.stderr)


@pytest.mark.parametrize(("args", "first_suggestion"), [
    (["compare", "H1OO", "A100"], "H100 SXM"),  # letters typed for digits
    (["compare", "H1OO"], "H100 SXM"),  # the typo before "needs two chips"
    (["rank", "--metric", "bf16"], "bf16_tflops"),
    (["show", "ascend"], "Ascend 910"),
])
def test_typos_get_close_suggestions_first(cli, args, first_suggestion):
    r = cli(*args)
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert "did you mean:" in lines[0]
    assert lines[1].strip() == repr(first_suggestion)
    assert len([ln for ln in lines if ln.startswith("  ")]) <= 5


def test_rank_by_expression_with_a_derived_unit(cli):
    r = cli("rank", "--metric", "memory_bw_tbs / price_usd * 1000", "--format", "csv", "--top", "3")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    top = rows[0]
    assert float(top["value"]) == pytest.approx(float(top["memory_bw_tbs"]) / float(top["price_usd"]) * 1000)
    t = cli("rank", "--metric", "memory_bw_tbs / price_usd * 1000", "--top", "3")
    assert "TB/s/k$" in t.stdout  # memory_bw_tbs / price_usd * 1000: per thousand dollars


@pytest.mark.parametrize(("expr", "message"), [
    ("__import__('os')", "cannot read --metric"), ("memory_gb ** 2", "unexpected '*'"),
    ("memory_gb; 1", "at '; 1'"), ("(" * 20 + "1" + ")" * 20, "more than 8 levels of parentheses"),
    ("nosuch / 2", "unknown field 'nosuch'"), ("1 + 2", "names no field")])
def test_expressions_are_parsed_never_evaluated(cli, expr, message):
    r = cli("rank", "--metric", expr)
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcmp: error: ") and message in r.stderr.splitlines()[0]
    assert r.stdout == "" and r.stderr.count("\n") <= 2


def test_memory_bandwidth_per_dollar_is_a_metric(cli):
    r = cli("rank", "--metric", "memory_bw_per_kusd", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    h20 = next((x for x in rows if x["name"] == "H20"), None)
    assert h20 is not None
    # GB/s per $1,000: bandwidth x 1000 / (price / 1000)
    assert float(h20["memory_bw_per_kusd"]) == pytest.approx(float(h20["memory_bw_tbs"]) * 1e6
                                                             / float(h20["price_usd"]))


def test_controls_near_lists_chips_close_to_a_threshold(cli):
    r = cli("controls", "--near", "10%", "--rule", "2023-10", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    # H20: TPP 2,368 is 0.99x of 3A090.b's 2,400 line (NVIDIA H20 148 TFLOPS BF16 x 16)
    assert "H20" in rows
    assert "TPP ≥ 2,400 (0.99×)" in rows["H20"]["nearest"]
    assert "H100 SXM" not in rows  # TPP 15,832 is nowhere near a line


def test_list_of_one_chip_says_chip(cli):
    r = cli("list", "--where", "name==H20")
    assert r.stdout.startswith("1 chip\n") or r.stdout.startswith("1 chip (")


def test_counts_have_thousands_separators(cli):
    r = cli("train", "H100", "--params", "405B", "--tokens", "15.6T", "--days", "30")
    assert r.exit_code == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("H100"))
    assert "," in row.split("|")[5]  # chips for 30 days: 1,5xx, not 15xx beside the chip-hours


def test_plot_labels_the_chips_that_were_named(cli):
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "Ascend 910B", "Ascend 910C", "H100", "H20", "A100")
    assert r.exit_code == 0, r.stderr
    for name in ("Ascend 910B", "Ascend 910C", "H100 SXM", "H20"):
        assert name in r.stdout


def test_plot_image_uses_plain_log_ticks(cli, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chipcmp.output.plot import _plain_ticks

    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_ticks(ax, True, True)
    fmt = ax.xaxis.get_major_formatter()
    assert [fmt(v, 0) for v in (0.2, 1.0, 5.0, 2000.0)] == ["0.2", "1", "5", "2,000"]  # not 2×10⁻¹
    plt.close(fig)
    out = tmp_path / "c.png"
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "--log-x", "--log-y", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
