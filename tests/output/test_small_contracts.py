"""Output contracts and messages a reader trusts: whole numbers as integers in every format, a user's price
called the user's, an alias said aloud, an overlay checked by overlay rules."""

from __future__ import annotations

import csv
import io
import json


def test_compare_writes_years_and_dies_as_integers_in_every_format(cli):
    rows = {r[0]: r for r in csv.reader(io.StringIO(cli("compare", "H100", "H20", "-f", "csv").stdout))}
    assert rows["Year"][2:4] == ["2022", "2024"] and rows["Dies"][2:4] == ["1", "1"]
    md = cli("compare", "H100", "H20", "-f", "markdown").stdout
    assert "| Year |  | 2022 | 2024 |" in md
    data = json.loads(cli("compare", "H100", "H20", "-f", "json").stdout)
    year = next(r for r in data["rows"] if r["field"] == "release_year")
    assert year["H100 SXM"] == 2022 and isinstance(year["H100 SXM"], int)


def test_an_overlay_price_is_the_users_own(cli, tmp_path):
    """A price in an --add file replaces the bundled one with its range and kind: never the analyst kind and range
    of the bundled price beside the user's figure."""
    f = tmp_path / "mine.csv"
    f.write_text("name,price_usd\nH100 SXM,20000\n", encoding="utf-8")
    r = cli("show", "H100", "--add", str(f), "-f", "json")
    fields = {x["field"]: x for x in json.loads(r.stdout)["rows"]}
    assert fields["price_usd"]["value"] == 20000 and fields["price_kind"]["value"] == "user"
    assert fields["price_usd_low"]["value"] == fields["price_usd_high"]["value"] == 20000


def test_audit_overlay_checks_by_overlay_rules(cli, tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("name,bf16_tflops,price_usd\nMyChip,500,1000\n", encoding="utf-8")
    full = cli("audit", str(f))
    assert full.exit_code == 1  # as a data file: no vendor, no sources
    r = cli("audit", "--overlay", str(f), "-f", "json")
    assert r.exit_code == 0, r.stderr
    codes = {x["code"]: x["severity"] for x in json.loads(r.stdout)["rows"]}
    assert codes == {"price-unsourced": "warning"}
    bad = tmp_path / "clash.csv"
    bad.write_text("name\nMy Chip\nmy-chip\n", encoding="utf-8")
    assert cli("audit", "--overlay", str(bad)).exit_code == 1
    assert cli("audit", "--overlay").exit_code == 2


def test_a_model_alias_is_said(cli):
    r = cli("serve", "H100", "--model", "deepseek r1", "-f", "csv")
    assert r.exit_code == 0
    assert "'deepseek r1' is 'DeepSeek-V3'" in r.stderr


def test_match_by_one_metric_does_not_say_rows_disagree(cli):
    r = cli("match", "H20", "--to", "H100", "-n", "8", "--by", "bf16_tflops")
    assert r.exit_code == 0 and "disagree" not in r.stdout
    r = cli("match", "H20", "--to", "H100", "-n", "8", "--by", "all")
    assert "disagree" in r.stdout


def test_a_csv_written_in_parts_is_the_csv_written_whole(cli, monkeypatch):
    """export writes large results CSV_PART_ROWS rows at a time, with "n/a" cells applied per part from masks
    (object columns of a million cells cost GBs): the bytes are those of one piece, header once, n/a kept,
    integer columns alike in every part."""
    from chipcmp.output import writers

    whole = cli("export", "--format", "csv")
    monkeypatch.setattr(writers, "CSV_PART_ROWS", 7)
    parts = cli("export", "--format", "csv")
    assert whole.exit_code == 0 and parts.exit_code == 0
    assert parts.stdout == whole.stdout
    assert whole.stdout.count("\nname,") == 0 and ",n/a," in whole.stdout and ",2022," in whole.stdout
