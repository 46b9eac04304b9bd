"""Charts: content checked as text (labelled points, an independently computed Pareto set), images as files."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from chipcmp.core.filters import Filters
from chipcmp.data.dataset import load_dataset
from chipcmp.output.plot import pareto_mask, points


def brute_force_frontier(rows: list[tuple[str, float, float]]) -> set[str]:
    """Chips no other chip beats on both axes (both higher-is-better here), by checking every pair."""
    front = set()
    for name, x, y in rows:
        if not any((x2 >= x and y2 >= y) and (x2 > x or y2 > y) for _, x2, y2 in rows):
            front.add(name)
    return front


def export_rows(cli, x, y, *filters):
    r = cli("export", *filters, "--format", "csv")
    rows = []
    for row in csv.DictReader(io.StringIO(r.stdout)):
        if row[x] and row[y] and "n/a" not in (row[x], row[y]):
            rows.append((row["name"], float(row[x]), float(row[y])))
    return rows


@pytest.mark.parametrize(("x", "y", "filters"), [
    ("memory_bw_tbs", "bf16_tflops", ()),
    ("bf16_tflops_per_watt", "memory_gb", ()),
    ("memory_bw_tbs", "bf16_tflops", ("--vendor", "amd")),
    ("interconnect_gbs", "tpp", ("--country", "CN")),
])
def test_pareto_frontier_matches_brute_force(cli, x, y, filters):
    r = cli("plot", x, y, *filters, "--pareto", "--width", "100")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Pareto frontier ("))
    tool = {line.strip().split(":")[0] for line in lines[start + 1:] if line.strip()}
    assert tool == brute_force_frontier(export_rows(cli, x, y, *filters))


def test_pareto_respects_lower_is_better():
    import pandas as pd

    # x = TDP (lower is better), y = throughput (higher is better)
    x = pd.Series([100.0, 200.0, 300.0, 150.0])
    y = pd.Series([10.0, 30.0, 25.0, 10.0])
    assert list(pareto_mask(x, y, x_higher=False, y_higher=True)) == [True, True, False, False]


def test_scatter_labels_points_and_axes(cli):
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "H100", "H20", "MI300X", "Ascend 910B", "--width", "80")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    for label in ("H100 SXM", "H20", "MI300X", "Ascend 910B"):
        assert label in out
    assert out.splitlines()[0] == "BF16 (TFLOPS) vs Memory BW (TB/s)"
    assert any(line.strip() == "Memory BW (TB/s)" for line in out.splitlines())
    assert "5.3" in out and "1.6" in out  # MI300X's and Ascend 910B's bandwidth bound the x axis


def test_narrow_terminal(cli):
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "--width", "60")
    assert r.exit_code == 0
    assert max(len(line) for line in r.stdout.splitlines()) <= 60


def test_log_axes_drop_nothing_positive(cli):
    r = cli("plot", "tdp_w", "bf16_tflops", "--log-x", "--log-y")
    assert r.exit_code == 0
    assert "(log y)" in r.stdout and "(log x)" in r.stdout
    import chipcmp

    df = chipcmp.load()
    positive = int(((df["tdp_w"] > 0) & (df["bf16_tflops"] > 0)).sum())
    points = cli("plot", "tdp_w", "bf16_tflops", "--log-x", "--log-y", "--format", "json")
    assert len(json.loads(points.stdout)["rows"]) == positive > 40  # every chip with both figures is a point


def test_bar_chart_is_best_first(cli):
    r = cli("plot", "--bar", "bf16_tflops_per_watt", "--top", "5", "--width", "70")
    assert r.exit_code == 0
    names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    ranked = list(csv.DictReader(io.StringIO(cli("rank", "--metric", "bf16_tflops_per_watt", "--top", "5",
                                                  "--format", "csv").stdout)))
    assert names == [row["name"].split()[0] for row in ranked]
    bars = [line.count("█") for line in r.stdout.splitlines()[1:]]
    assert bars == sorted(bars, reverse=True) and bars[0] > 0


def test_points_need_both_values():
    p = points(load_dataset(), "bf16_tflops", "tdp_w", [], Filters())
    assert p.frame["x"].notna().all() and p.frame["y"].notna().all()
    assert p.left_out > 0


@pytest.mark.parametrize(("args", "code", "message"), [
    (["plot", "bf16_tflops"], 2, "give two fields"),
    (["plot", "bf16_tflops", "nope"], 2, "unknown metric 'nope'"),
    (["plot", "bf16_tflops", "tdp_w", "-o", "chart.jpg"], 2, "written as .png or .svg"),
    (["plot", "--bar", "vendor"], 2, "'vendor' is a text column, not a number"),
])
def test_plot_errors(cli, args, code, message):
    r = cli(*args)
    assert r.exit_code == code
    assert message in r.stderr


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<svg")])
def test_image_export(cli, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"chart{suffix}"
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(magic) if suffix == ".png" else magic in data[:2000]
    bars = tmp_path / f"bars{suffix}"
    assert cli("plot", "--bar", "tpp", "--top", "10", "-o", str(bars)).exit_code == 0
    assert bars.stat().st_size > 1000


def test_image_without_matplotlib_says_how_to_get_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    out = tmp_path / "chart.png"
    r = cli("plot", "memory_bw_tbs", "bf16_tflops", "-o", str(out))
    assert r.exit_code == 1
    assert 'pip install "chipcmp[plot]"' in r.stderr
    assert not out.exists()


def test_rank_tables_show_inline_bars_in_their_own_column(cli):
    r = cli("rank", "--metric", "tpp", "--top", "3")
    assert "█" in r.stdout
    first = r.stdout.splitlines()[3]
    assert first.split("|")[4].strip().startswith("██████████")  # the best chip's bar is full, beside its number
    c = cli("compare", "H100", "H20", "--metrics", "bf16_tflops")
    assert "█" not in c.stdout  # compare marks better and worse instead (▲ ▼)
    assert "▼" in c.stdout
    n = cli("rank", "--metric", "tpp", "--top", "3", "--no-bars")
    assert "█" not in n.stdout


def test_systems_chart_their_own_fields_with_an_independent_frontier(cli):
    """plot --systems charts racks and pods by the systems' fields; its frontier (lower power, higher BF16) is the
    brute-force one over the plotted points, every plotted point is a system of `chipcmp systems` with the same
    figures, and power's mixed scopes are said."""
    r = cli("plot", "--systems", "power_basis_kw", "bf16_pflops", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    got = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    listed = {s["name"]: s for s in json.loads(cli("systems", "--format", "json").stdout)["rows"]}
    for name, x in got.items():
        assert float(x["bf16_pflops"]) == pytest.approx(listed[name]["bf16_pflops"]), name
    points_ = [(n, -float(x["power_basis_kw"]), float(x["bf16_pflops"])) for n, x in got.items()]
    assert {n for n, x in got.items() if x["pareto"] == "True"} == brute_force_frontier(points_)
    assert "Huawei CloudMatrix 384" in got and "power mixes scopes" in r.stderr
    chart = cli("plot", "--systems", "power_basis_kw", "bf16_pflops", "--width", "80")
    assert "# Pareto frontier (no system better on both)" in chart.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("plot", "--systems", "tdp_w", "bf16_pflops"), "'tdp_w' is not a system metric"),
    (("plot", "--systems", "bf16_pflops", "memory_tb", "--country", "CN"), "with --systems only --vendor"),
    (("plot", "--systems", "--bar", "bf16_pflops"), "chipcmp systems --metric"),
])
def test_systems_chart_refuses_what_only_chips_have(cli, args, message):
    r = cli(*args)
    assert r.exit_code != 0 and message in r.stderr and "Traceback" not in r.stderr
