"""The commands, through the CLI: exit code first, then the text that matters."""

from __future__ import annotations

import csv
import io
import json

import pytest

from chipcmp.data import schema

COMMANDS = ["list", "show", "compare", "rank", "export", "metrics", "audit", "controls", "train", "serve",
            "roofline", "plot", "models", "systems", "match", "calibration", "plan"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(cli, command):
    r = cli(command, "--help")
    assert r.exit_code == 0, r.output
    assert "Usage" in r.output


def test_no_arguments_prints_help(cli):
    r = cli()
    assert r.exit_code == 0
    assert "compare" in r.output and "rank" in r.output


def test_compare_the_introduction_chips(cli):
    r = cli("compare", "Ascend 910B", "H100", "H20")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "Ascend 910B vs H100 SXM vs H20" in out  # the bare family name shows its full variant name
    bf16 = next(line for line in out.splitlines() if line.startswith("BF16 "))
    # 989.5 / 353.9 = 2.80 and 148 / 353.9 = 0.42, relative to the first chip
    assert "353.9" in bf16 and "989.5" in bf16 and "148" in bf16
    assert "2.80×" in bf16 and "0.42×" in bf16
    assert "'H100' is 'H100 SXM'" in r.stderr


def test_compare_baseline_and_metric_rows(cli):
    r = cli("compare", "A100", "H100", "--baseline", "h100", "--metrics", "bf16_tflops,tdp_w,vendor")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [ln.split("|")[0].strip() for ln in lines[3:6]] == ["BF16", "TDP", "Vendor"]
    # the baseline first; each chip's ratio in its own cell ('312 0.32×▼'), in its own column in CSV and JSON
    assert [c.strip() for c in lines[1].split("|")] == ["Field", "Unit", "H100 SXM", "A100 SXM 80GB"]
    assert lines[3].rstrip().endswith("312 0.32×▼")  # 312 / 989.5: less BF16 is worse
    assert lines[4].rstrip().endswith("400 0.57×▲")  # 400 / 700 W: less power is better
    rows = {x["field"]: x for x in csv.DictReader(io.StringIO(cli("compare", "A100", "H100", "--baseline", "h100",
                                                                  "--format", "csv").stdout))}
    assert float(rows["bf16_tflops"]["A100 SXM 80GB / H100 SXM"]) == pytest.approx(312 / 989.5)


def test_compare_needs_two_chips(cli):
    r = cli("compare", "H100")
    assert r.exit_code == 2
    assert "at least two chips" in r.stderr


def test_compare_baseline_must_be_compared(cli):
    r = cli("compare", "H100", "H20", "--baseline", "A100")
    assert r.exit_code == 2
    assert "--baseline 'A100' is not one of the compared chips" in r.stderr


def test_compare_csv_has_raw_values_and_ratio_columns(cli):
    r = cli("compare", "H100", "H20", "--metrics", "bf16_tflops,release_year", "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["field"] == "bf16_tflops"
    assert float(rows[0]["H100 SXM"]) == 989.5
    assert float(rows[0]["H20 / H100 SXM"]) == pytest.approx(148 / 989.5)
    assert rows[1]["H20 / H100 SXM"] == ""  # no ratio of release years


@pytest.mark.parametrize("name", ["910b", "ASCEND-910B", "ascend 910b", "Huawei Ascend 910B", "昇腾910B"])
def test_names_resolve_case_and_punctuation_insensitively(cli, name):
    r = cli("show", name, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["assumptions"]["chip"] == "Ascend 910B"


def test_unknown_chip_suggests(cli):
    r = cli("show", "H1000")
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcmp: error: unknown chip 'H1000'; did you mean:\n  'H100 SXM'\n")
    # at most five suggestions, one per line, and nothing else
    assert 2 <= len(r.stderr.strip().splitlines()) <= 6
    assert r.stdout == ""


def test_unknown_chip_without_close_match_points_to_list(cli):
    r = cli("show", "zzzzqqq")
    assert r.exit_code == 2
    assert "`chipcmp list` shows every chip" in r.stderr


def test_same_chip_twice_is_refused(cli):
    r = cli("compare", "H100", "H100 SXM")
    assert r.exit_code == 2
    assert "already in the list" in r.stderr


def test_rank_bf16_per_watt(cli):
    r = cli("rank", "--metric", "bf16_tflops_per_watt", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    values = [float(x["bf16_tflops_per_watt"]) for x in rows]
    assert values == sorted(values, reverse=True)
    assert [int(x["rank"]) for x in rows] == list(range(1, len(rows) + 1))
    h100 = next(x for x in rows if x["name"] == "H100 SXM")
    assert float(h100["bf16_tflops_per_watt"]) == pytest.approx(989.5 / 700)
    assert "left out" in r.stderr and "unknown bf16_tflops_per_watt" in r.stderr


def test_rank_lower_is_better_and_overrides(cli):
    asc = cli("rank", "--metric", "tdp_w", "--format", "csv", "--top", "3")
    assert asc.exit_code == 0
    tdps = [float(x["tdp_w"]) for x in csv.DictReader(io.StringIO(asc.stdout))]
    assert tdps == sorted(tdps) and len(tdps) == 3
    desc = cli("rank", "--metric", "tdp_w", "--desc", "--format", "csv", "--top", "3")
    tdps = [float(x["tdp_w"]) for x in csv.DictReader(io.StringIO(desc.stdout))]
    assert tdps == sorted(tdps, reverse=True)


def test_rank_unknown_metric_lists_valid_ones(cli):
    r = cli("rank", "--metric", "bf16_per_watt")
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcmp: error: unknown metric 'bf16_per_watt'; did you mean:\n"
                               "  'bf16_tflops_per_watt'\n")
    assert len(max(r.stderr.splitlines(), key=len)) < 120  # no 1,000-character list of every metric


def test_rank_text_column_is_not_a_metric(cli):
    r = cli("rank", "--metric", "vendor")
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcmp: error: 'vendor' is a text column, not a number")
    assert r.stdout == ""


@pytest.mark.parametrize("top", ["0", "-3"])
def test_rank_top_must_be_positive(cli, top):
    r = cli("rank", "--metric", "tpp", "--top", top)
    assert r.exit_code == 2
    assert "--top" in r.stderr


def test_missing_option_is_one_line(cli):
    r = cli("rank")
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0
    assert "Missing option '--metric'" in r.stderr


def test_filters(cli):
    r = cli("list", "--vendor", "nvidia", "--since", "2024", "--where", "memory_gb>=150", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows
    assert all(x["vendor"] == "NVIDIA" and float(x["memory_gb"]) >= 150 and int(float(x["release_year"])) >= 2024
               for x in rows)


def test_country_and_kind_filters(cli):
    r = cli("list", "--country", "cn", "--kind", "asic", "--format", "csv", "--columns", "vendor_country,kind")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {x["vendor_country"] for x in rows} == {"CN"} and {x["kind"] for x in rows} == {"asic"}


def test_where_on_metric_and_text(cli):
    r = cli("list", "--where", "bf16_tflops_per_watt>2", "--where", "vendor==amd", "--format", "csv",
            "--columns", "bf16_tflops_per_watt,vendor")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(float(x["bf16_tflops_per_watt"]) > 2 and x["vendor"] == "AMD" for x in rows)


def test_unknown_values_never_match(cli):
    r = cli("list", "--where", "tdp_w!=700", "--format", "csv", "--columns", "tdp_w")
    assert r.exit_code == 0, r.stderr
    kept = {x["name"] for x in csv.DictReader(io.StringIO(r.stdout))}
    every = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv", "--columns", "tdp_w").stdout)))
    known_other = {x["name"] for x in every if x["tdp_w"] not in ("", "700", "700.0")}
    assert kept == known_other  # 700 W chips and chips of unknown TDP are both left out
    assert "H100 SXM" not in kept and "H20" in kept  # NVIDIA datasheets: 700 W; 400 W
    assert any(x["tdp_w"] == "" for x in every)  # there are unknowns to leave out


@pytest.mark.parametrize(("expr", "message"), [
    ("memory_gb>>80", "cannot read --where"),
    ("memory>=80", "unknown field 'memory'"),
    ("memory_gb", "cannot parse --where"),
    ("vendor>NVIDIA", "only == and != apply"),
    ("__import__('os').system('touch /tmp/chipcmp-pwned')", "cannot parse --where"),
    ("@x", "cannot parse --where"),
    ("name==`rm -rf`", "characters a chip field never holds"),
    ("memory_gb>=", "nothing to compare with"),
])
def test_bad_where_is_rejected(cli, expr, message, tmp_path):
    r = cli("list", "--where", expr)
    assert r.exit_code == 2
    assert message in r.stderr
    assert r.stdout == ""


def test_filters_matching_nothing_fail(cli):
    r = cli("list", "--where", "memory_gb>100000")
    assert r.exit_code == 1
    assert "no chip matches the filters" in r.stderr


def test_unknown_vendor_suggests(cli):
    r = cli("list", "--vendor", "nvidya")
    assert r.exit_code == 2
    assert "did you mean:\n  'NVIDIA'\n" in r.stderr


def test_unknown_kind(cli):
    r = cli("list", "--kind", "fpga")
    assert r.exit_code == 2
    assert "gpu, asic, wafer" in r.stderr


def test_show_lists_units_sources_and_notes(cli):
    r = cli("show", "H100")
    assert r.exit_code == 0
    assert "Memory BW" in r.stdout and "TB/s" in r.stdout
    assert "Sources: https://" in r.stdout
    assert "Notes: " in r.stdout
    assert "confidence: official" in r.stdout


def test_show_json_contract(cli):
    r = cli("show", "H20", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == ["chipcmp", "command", "title", "data", "assumptions", "columns", "rows", "notes"]
    assert data["command"] == "show"
    assert {"chip", "vendor", "confidence", "sources", "notes", "price_source"} == set(data["assumptions"])
    assert data["data"]["version"].startswith("chipcmp ")
    assert {"field", "label", "value", "unit", "kind"} <= set(data["rows"][0])
    values = {row["field"]: row["value"] for row in data["rows"]}
    assert values["bf16_tflops"] == 148
    assert values["tdp_w"] == 400


def test_missing_values_show_as_dash_never_nan(cli):
    r = cli("list", "--vendor", "huawei")
    assert r.exit_code == 0
    assert "—" in r.stdout
    assert "nan" not in r.stdout.lower()


def test_export_contract(cli):
    r = cli("export")
    assert r.exit_code == 0
    reader = csv.DictReader(io.StringIO(r.stdout))
    # the contract, written out: a column renamed or dropped in the schema must fail here
    assert reader.fieldnames[:8] == ["name", "vendor", "vendor_country", "kind", "form_factor", "status",
                                     "release_year", "process_node"]
    for column in ("bf16_tflops", "fp8_tflops", "memory_bw_tbs", "tdp_w", "price_usd", "sources",
                   "bf16_tflops_per_watt", "bf16_tflops_per_kusd", "tpp", "pd", "dataset_version"):
        assert column in reader.fieldnames
    assert reader.fieldnames[-1] == "dataset_version"
    rows = list(reader)
    assert len(rows) >= 70
    assert all(row["sources"].strip() for row in rows)
    assert rows[0]["dataset_version"].startswith("chipcmp ")


def test_export_json_and_markdown(cli):
    j = cli("export", "--format", "json", "--vendor", "google")
    data = json.loads(j.stdout)
    assert all(row["vendor"] == "Google" for row in data["rows"])
    assert data["data"]["version"].startswith("chipcmp ")
    v5p = next(row for row in data["rows"] if row["name"] == "TPU v5p")
    assert v5p["tpp"] == pytest.approx(459 * 16)  # BF16 459 TFLOPS x 16 bits (Google's TPU v5p docs)
    assert v5p["die_area_mm2"] is None  # unknown is null, never NaN or 0
    assert isinstance(v5p["release_year"], int)  # years are integers, not 2023.0
    m = cli("export", "--format", "markdown", "--vendor", "google")
    assert m.stdout.splitlines()[2].startswith("| Name |")
    assert "| TPU v5p |" in m.stdout


def test_output_file_is_written_and_stdout_stays_clean(cli, tmp_path):
    out = tmp_path / "rank.csv"
    r = cli("rank", "--metric", "tpp", "--format", "csv", "-o", str(out))
    assert r.exit_code == 0
    assert r.stdout == ""
    assert "wrote" in r.stderr
    assert out.read_text().startswith("rank,name,vendor,tpp")
    assert not list(tmp_path.glob(".*.tmp"))


def test_output_to_missing_directory_fails_cleanly(cli, tmp_path):
    out = tmp_path / "nope" / "x.csv"
    r = cli("export", "-o", str(out))
    assert r.exit_code == 1
    assert "does not exist" in r.stderr
    assert not out.parent.exists()


def test_metrics_lists_every_field(cli):
    r = cli("metrics", "--format", "csv")
    assert r.exit_code == 0
    rows = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert set(rows) == set(schema.FIELD_BY_NAME)
    assert rows["bf16_tflops_per_watt"]["better"] == "higher"
    assert rows["bf16_tflops_per_watt"]["unit"] == "TFLOPS/W"
    assert rows["tdp_w"]["better"] == "lower"
    assert "bf16_tflops / tdp_w" in rows["bf16_tflops_per_watt"]["description"]


def test_version(cli):
    r = cli("--version")
    assert r.exit_code == 0
    assert r.stdout.startswith("chipcmp ")


def test_completion_of_chip_and_metric_names():
    from chipcmp.commands.complete import _complete_chip, _complete_field, _complete_metric

    assert "'H100 SXM'" in _complete_chip("h10")  # quoted: Enter after <Tab> must not split the name
    assert "H20" in _complete_chip("h20")
    assert "910B" in _complete_chip("910")  # aliases, folded like the resolver folds them
    assert "bf16_tflops_per_watt" in _complete_metric("bf16_tflops_p")
    assert "bf16_tflops,tdp_w" in _complete_field("bf16_tflops,tdp")


def test_big_table_is_cut_with_a_note(cli, tmp_path):
    import pandas as pd

    from chipcmp.data.dataset import bundled_path

    df = pd.read_csv(bundled_path())
    big = pd.concat([df] * 4, ignore_index=True)
    big["name"] = [f"chip {i}" for i in range(len(big))]
    big["aliases"] = ""
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    r = cli("list", "--data", str(path))
    assert r.exit_code == 0, r.stderr
    assert f"showing the first 200 of {len(big)} rows" in r.stderr


def test_named_chips_and_filters_intersect(cli):
    r = cli("train", "H100", "H20", "910B", "--vendor", "nvidia", "--params", "7B", "--tokens", "1T",
            "--format", "csv")
    assert r.exit_code == 0
    assert [row["name"] for row in csv.DictReader(io.StringIO(r.stdout))] == ["H100 SXM", "H20"]


def test_compare_says_why_a_chip_has_no_per_watt_figure(cli):
    """Huawei publishes no TDP for the Ascend 910B and no 910B system states its power (data/sources.csv), so its
    per-watt rows are unknown and the comparison says why; H20 (NVIDIA: 400 W) and H100 SXM (700 W) are not
    named."""
    r = cli("compare", "Ascend 910B", "H20", "H100 SXM", "--format", "json")
    assert r.exit_code == 0, r.stderr
    notes = [n for n in json.loads(r.stdout)["notes"] if n.startswith("No power figure")]
    assert len(notes) == 1 and "Ascend 910B" in notes[0] and "H20" not in notes[0] and "H100" not in notes[0]
    quiet = cli("compare", "Ascend 910B", "H20", "--metrics", "bf16_tflops,price_usd", "--format", "json")
    assert not [n for n in json.loads(quiet.stdout)["notes"] if n.startswith("No power figure")]


def test_a_per_dollar_ranking_says_what_each_price_is(cli):
    """rank by a per-dollar metric shows each price's kind and date, and names the chips whose price is a
    stand-in: Gaudi 3 and Gaudi 2 carry Intel's price for an 8-accelerator baseboard ÷ 8 (The Register,
    2024-06-04: $65,000 and $125,000)."""
    r = cli("rank", "--metric", "bf16_tflops_per_kusd", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["Gaudi 3"]["price_kind"] == "kit" and rows["H100 SXM"]["price_kind"] in ("list", "street",
                                                                                      "retail", "analyst")
    said = [m for m in r.stderr.splitlines() if "kit or board price" in m]
    assert len(said) == 1 and "Gaudi 3" in said[0] and "Gaudi 2" in said[0] and "H100" not in said[0]
    plain = cli("rank", "--metric", "bf16_tflops_per_watt", "--format", "csv")
    assert "price_kind" not in plain.stdout.splitlines()[0]
