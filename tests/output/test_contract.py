"""Output formats are contracts: one JSON envelope for every command, CSV/TSV/JSON/Markdown carrying the same
rows, and `-o FILE` in the format its extension names. The keys are written out here, not derived from the code,
so that renaming one fails a test."""

from __future__ import annotations

import csv
import io
import json

import pytest

ENVELOPE_KEYS = ["chipcmp", "command", "title", "data", "assumptions", "columns", "rows", "notes"]
COLUMN_KEYS = ["name", "label", "unit"]

DATA_COMMANDS = [
    ["list"],
    ["show", "H20"],
    ["compare", "Ascend 910B", "H100", "H20"],
    ["rank", "--metric", "bf16_tflops_per_watt"],
    ["rank", "--metric", "memory_bw_tbs / price_usd * 1000"],
    ["export"],
    ["metrics"],
    ["audit"],
    ["controls", "H20", "H100"],
    ["controls", "--tpp", "3000"],
    ["train", "H100", "--params", "70B", "--tokens", "2T", "--chips", "1024"],
    ["serve", "H100", "--params", "70B"],
    ["serve", "H20", "--model", "DeepSeek-V3", "--weights", "fp8"],
    ["models"],
    ["systems"],
    ["compare", "CloudMatrix 384", "GB200 NVL72"],
    ["rank", "--systems", "--metric", "bf16_pflops_per_kw"],
    ["match", "Ascend 910B", "--to", "H100", "--count", "100"],
    ["calibration"],
    ["show", "H20", "--sources"],
    ["roofline", "--intensity", "100"],
    ["plot", "memory_bw_tbs", "bf16_tflops"],
    ["plot", "--bar", "tpp", "--top", "5"],
    ["plan", "serve", "H20", "Ascend 910C", "--model", "DeepSeek-V3", "--output-rate", "100000", "--buyer", "CN",
     "--rule", "2023-10"],
    ["plan", "train", "H100", "H20", "--model", "Llama 3.1 70B", "--tokens", "15T", "--days", "90"],
]


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_has_the_same_json_envelope(cli, args):
    r = cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == ENVELOPE_KEYS
    assert data["chipcmp"] == 1
    assert data["command"] == args[0]
    assert isinstance(data["rows"], list) and (data["rows"] or args[0] == "audit")  # a clean audit has none
    assert isinstance(data["notes"], list) and isinstance(data["assumptions"], dict)
    assert all(list(c) == COLUMN_KEYS for c in data["columns"])
    names = [c["name"] for c in data["columns"]]
    assert all(set(names) <= set(row) for row in data["rows"])  # every declared column is in every row
    if args[0] in ("metrics", "audit", "models") or "--tpp" in args:
        assert data["data"] is None or list(data["data"]) == ["version", "files"]
    else:
        assert list(data["data"]) == ["version", "files"]
        assert list(data["data"]["files"][0]) == ["label", "rows", "sha256"]


def test_json_numbers_are_json_numbers(cli):
    data = json.loads(cli("list", "--format", "json").stdout)
    h20 = next(r for r in data["rows"] if r["name"] == "H20")
    assert h20["release_year"] == 2024 and isinstance(h20["release_year"], int)  # not 2024.0
    assert h20["bf16_tflops"] == 148  # NVIDIA H20 (dense BF16)
    assert "NaN" not in cli("list", "--format", "json").stdout


@pytest.mark.parametrize("args", [["list"], ["rank", "--metric", "tpp"], ["compare", "H100", "H20"]])
def test_csv_tsv_json_markdown_carry_the_same_rows(cli, args):
    rows_csv = list(csv.DictReader(io.StringIO(cli(*args, "--format", "csv").stdout)))
    rows_tsv = list(csv.DictReader(io.StringIO(cli(*args, "--format", "tsv").stdout), delimiter="\t"))
    rows_json = json.loads(cli(*args, "--format", "json").stdout)["rows"]
    md = cli(*args, "--format", "markdown").stdout
    md_rows = [ln for ln in md.splitlines() if ln.startswith("| ") and not ln.startswith("| Field |")]
    assert len(rows_csv) == len(rows_tsv) == len(rows_json)
    assert rows_csv == rows_tsv
    assert list(rows_csv[0]) == list(rows_json[0])
    assert len(md_rows) == len(rows_csv) + 1 - ("compare" in args)  # + its header row (compare's is 'Field')


@pytest.mark.parametrize(("suffix", "check"), [
    (".csv", lambda t: next(csv.reader(io.StringIO(t)))[:3] == ["rank", "name", "vendor"]),
    (".tsv", lambda t: t.split("\n")[0].split("\t")[:3] == ["rank", "name", "vendor"]),
    (".json", lambda t: json.loads(t)["command"] == "rank"),
    (".md", lambda t: t.startswith("**Chips by")),
    (".txt", lambda t: t.startswith("Chips by") and " | " in t),
])
def test_output_file_format_follows_its_extension(cli, tmp_path, suffix, check):
    out = tmp_path / f"r{suffix}"
    r = cli("rank", "--metric", "bf16_tflops_per_kusd", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert check(out.read_text(encoding="utf-8"))


def test_csv_from_extension_is_readable_by_pandas(cli, tmp_path):
    import pandas as pd

    out = tmp_path / "r.csv"
    assert cli("rank", "--metric", "bf16_tflops_per_kusd", "-o", str(out)).exit_code == 0
    df = pd.read_csv(out)
    assert list(df.columns[:4]) == ["rank", "name", "vendor", "bf16_tflops_per_kusd"]


@pytest.mark.parametrize("name", ["out.xlsx", "out.pdf", "chart.png"])
def test_unwritable_extension_is_an_error_not_a_text_file(cli, tmp_path, name):
    out = tmp_path / name
    r = cli("rank", "--metric", "tpp", "-o", str(out))
    assert r.exit_code == 2
    assert "cannot be written as" in r.stderr or "only `chipcmp plot` writes images" in r.stderr
    assert not out.exists()


def test_explicit_format_wins_over_the_extension(cli, tmp_path):
    out = tmp_path / "r.txt"
    assert cli("rank", "--metric", "tpp", "-o", str(out), "--format", "json").exit_code == 0
    assert json.loads(out.read_text())["command"] == "rank"
