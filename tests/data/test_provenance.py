"""Every figure traceable: the audit checks chips.csv against sources.csv, and the tool shows sources, alternative
values, rank ranges, and "not supported" apart from "unknown"."""

from __future__ import annotations

import csv
import io
import json

import pytest

CHIPS = ("name,vendor,kind,interconnect_gbs,bf16_tflops,fp8_tflops,tdp_w,sources,notes\n"
         "Good,Acme,gpu,900,100,200,300,https://acme.example/datasheet,\n"
         "{row}\n")
SOURCES = ("table,name,field,value,source_url,source_kind,locator,read_date,role,note\n"
           "chips,Good,interconnect_gbs,900,https://acme.example/datasheet,vendor,p. 2,2026-11-26,chosen,"
           "18 links x 50 GB/s bidirectional\n"
           "chips,Good,bf16_tflops,100,https://acme.example/datasheet,vendor,p. 2,2026-11-26,chosen,\n"
           "chips,Good,fp8_tflops,200,https://acme.example/datasheet,vendor,p. 2,2026-11-26,chosen,\n"
           "chips,Good,tdp_w,300,https://acme.example/datasheet,vendor,p. 2,2026-11-26,chosen,\n"
           "{rows}")
DENY = "match,reason\nmirror.example,mirror\n"


def audit(cli, tmp_path, row: str, rows: str):
    (tmp_path / "chips.csv").write_text(CHIPS.format(row=row))
    (tmp_path / "sources.csv").write_text(SOURCES.format(rows=rows))
    (tmp_path / "denylist.csv").write_text(DENY)
    r = cli("audit", str(tmp_path / "chips.csv"), "--format", "csv")
    return r, [(x["chip"], x["column"], x["code"]) for x in csv.DictReader(io.StringIO(r.stdout))]


OK = "chips,Bad,{f},{v},https://acme.example/b,vendor,p. 1,2026-11-26,chosen,{n}\n"


@pytest.mark.parametrize(("row", "rows", "expected"), [
    # a figure without provenance
    ("Bad,Acme,gpu,,50,,,https://acme.example/b,", "", ("Bad", "bf16_tflops", "no-provenance")),
    # a value that differs from every source
    ("Bad,Acme,gpu,,50,,,https://acme.example/b,", OK.format(f="bf16_tflops", v="60", n=""),
     ("Bad", "bf16_tflops", "not-in-sources")),
    # a deny-listed sole source
    ("Bad,Acme,gpu,,50,,,https://acme.example/b,",
     "chips,Bad,bf16_tflops,50,https://mirror.example/copy,press,p. 1,2026-11-26,chosen,\n",
     ("Bad", "sources.csv", "denied-chosen")),
    # an unmarked interconnect: nothing says which direction
    ("Bad,Acme,gpu,450,,,,https://acme.example/b,", OK.format(f="interconnect_gbs", v="450", n="NVLink"),
     ("Bad", "interconnect_gbs", "interconnect-direction")),
    # n/a where the chip's own notes say it is supported
    ("Bad,Acme,gpu,,,n/a,,https://acme.example/b,The chip supports FP8 natively.",
     OK.format(f="fp8_tflops", v="n/a", n=""), ("Bad", "fp8_tflops", "na-but-supported")),
])
def test_audit_catches_provenance_problems(cli, tmp_path, row, rows, expected):
    r, found = audit(cli, tmp_path, row, rows)
    assert r.exit_code == 1, r.stderr
    assert expected in found
    assert not any(chip == "Good" for chip, _, _ in found)  # the clean row is not blamed


def test_audit_passes_a_clean_figure_set(cli, tmp_path):
    r, found = audit(cli, tmp_path, "Bad,Acme,gpu,,50,,,https://acme.example/b,",
                     OK.format(f="bf16_tflops", v="50", n=""))
    assert r.exit_code == 0, r.stdout
    assert found == []


PRICES = "chip,amount,currency,kind,rent_kind,term,unit,provider,region,date,source_url,source_kind,locator,note\n"
GOOD_PRICE = "Good,25000,USD,street,,,chip,,,2024-06,https://press.example/a,press,p. 1,\n"


@pytest.mark.parametrize(("row", "code"), [
    ("Nobody,25000,USD,street,,,chip,,,2024-06,https://press.example/a,press,p. 1,", "unknown-chip"),
    ("Good,-5,USD,street,,,chip,,,2024-06,https://press.example/a,press,p. 1,", "bad-price"),
    ("Good,lots,USD,street,,,chip,,,2024-06,https://press.example/a,press,p. 1,", "bad-price"),
    ("Good,2.5,USD,street,,,chip-hour,Cloud,,2024-06,https://press.example/a,cloud,p. 1,", "bad-value"),
    # a rental with no provider
    ("Good,2.5,USD,rental,on-demand,,chip-hour,,,2024-06,https://press.example/a,cloud,p. 1,", "bad-value"),
    ("Good,25000,USD,rumour,,,chip,,,2024-06,https://press.example/a,press,p. 1,", "bad-value"),
    ("Good,25000,USD,street,,,box,,,2024-06,https://press.example/a,press,p. 1,", "bad-value"),
    ("Good,180000,CNY,street,,,chip,,,2024-06,https://press.example/a,press,p. 1,", "no-rate"),
    ("Good,25000,USD,street,,,chip,,,June 2024,https://press.example/a,press,p. 1,", "bad-date"),
    ("Good,25000,USD,street,,,chip,,,2024-06,https://press.example/a,gossip,p. 1,", "bad-kind"),
    ("Good,25000,USD,street,,,chip,,,2024-06,,press,p. 1,", "price-unsourced"),
    ("Good,25000,USD,street,,,chip,,,2024-06,https://mirror.example/copy,press,p. 1,", "denied-source"),
    ("Good,2.5,USD,rental,hourly,,chip-hour,Cloud,,2024-06,https://press.example/a,cloud,p. 1,", "bad-value"),
    ("Good,2.5,USD,rental,contract,,chip-hour,Cloud,,2024-06,https://press.example/a,cloud,p. 1,", "bad-value"),
    ("Good,25000,USD,street,on-demand,,chip,,,2024-06,https://press.example/a,press,p. 1,", "bad-value"),
    # an order's value passed off as a street price (as the 910B's Baidu order once was)
    ('Good,38750,USD,street,,,chip,,,2024-09,https://press.example/a,press,"Acme ordered 1,600 Goods worth $62m",',
     "mis-kinded"),
])
def test_audit_checks_each_price_row(cli, tmp_path, row, code):
    (tmp_path / "prices.csv").write_text(PRICES + GOOD_PRICE + row + "\n")
    r, found = audit(cli, tmp_path, "Bad,Acme,gpu,,50,,,https://acme.example/b,",
                     OK.format(f="bf16_tflops", v="50", n=""))
    assert r.exit_code == 1
    assert found == [(row.split(",")[0], "prices.csv", code)]  # one finding, on the bad row only
    assert "prices.csv line 3" in r.stdout


def test_a_price_in_another_currency_needs_a_recorded_rate(cli, tmp_path):
    (tmp_path / "prices.csv").write_text(PRICES + "Good,180000,CNY,street,,,chip,,,2024-06,https://press.example/a,"
                                                  "press,p. 1,\n")
    (tmp_path / "fx.csv").write_text("currency,date,usd_per_unit,source_url,locator\n"
                                     "CNY,2024-06-28,0.1376,https://fed.example/h10,June 2024\n")
    r, found = audit(cli, tmp_path, "Bad,Acme,gpu,,50,,,https://acme.example/b,",
                     OK.format(f="bf16_tflops", v="50", n=""))
    assert r.exit_code == 0 and found == [], r.stdout


def test_bundled_data_is_covered_figure_by_figure(cli):
    r = cli("audit")
    assert r.exit_code == 0, r.stdout
    assert "0 errors, 0 warnings" in r.stderr


def test_910b_alternative_figure_is_shown(cli):
    """Huawei's CANN guide prints '353T/376T @BF16,FP16': 353.9 Cube-only (chosen), 376 with the Vector unit."""
    r = cli("show", "Ascend 910B", "--format", "json")
    rows = {x["field"]: x for x in json.loads(r.stdout)["rows"]}
    assert rows["bf16_tflops"]["value"] == 353.9
    assert "376" in rows["bf16_tflops"]["other_values"]
    s = cli("show", "Ascend 910B", "--sources", "--format", "csv")
    got = [x for x in csv.DictReader(io.StringIO(s.stdout)) if x["field"] == "bf16_tflops"]
    assert {x["role"] for x in got} >= {"chosen", "alternative"}
    assert any(x["value"] in ("376", "376.0") and x["role"] == "alternative" for x in got)


def test_910b_rank_range(cli):
    r = cli("rank", "--metric", "bf16_tflops", "--country", "CN", "--format", "csv")
    rows = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert "–" in rows["Ascend 910B"]["rank_range"]  # 353.9 vs 376: the order among Huawei parts is not robust
    lo, hi = (int(x) for x in rows["Ascend 910B"]["rank_range"].split("–"))
    assert lo <= int(rows["Ascend 910B"]["rank"]) <= hi


def test_compare_marks_a_figure_with_a_range(cli):
    r = cli("compare", "Ascend 910B", "H20", "--metrics", "bf16_tflops")
    assert "353.9~" in r.stdout
    assert "BF16 Ascend 910B 353.9–376" in r.stdout


def test_not_supported_and_unknown_look_different(cli):
    """A100 has no FP8 units (NVIDIA's A100 spec table lists no FP8): n/a. MLU590's FP8 is simply unpublished: —."""
    r = cli("compare", "A100", "MLU590", "--metrics", "fp8_tflops")
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("FP8"))
    assert "n/a" in line and "—" in line
    j = json.loads(cli("list", "--where", "name==A100 SXM 80GB", "--columns", "name,fp8_tflops,tdp_w",
                       "--format", "json").stdout)
    assert j["rows"][0]["fp8_tflops"] == "n/a"
    rank = cli("rank", "--metric", "fp8_tflops")
    assert "that do not support it (fp8_tflops n/a)" in rank.stderr


def test_confidence_is_derived_from_source_kinds(cli):
    got = {x["name"]: x for x in csv.DictReader(io.StringIO(cli("list", "--columns", "name,confidence", "--format",
                                                                 "csv").stdout))}
    assert got["H100 SXM"]["confidence"] == "official"  # NVIDIA's own spec table
    assert got["MLU590"]["confidence"] == "unverified"  # nothing published that a source backs


def test_announced_chip_says_its_figures_are_preliminary(cli):
    r = cli("show", "Rubin")
    assert "Announced, not shipping" in r.stdout


def test_a_year_differs_even_by_one(cli, tmp_path):
    # 0.5% covers a source's rounding of a figure, but 2023 and 2024 are different years: the audit says so.
    (tmp_path / "chips.csv").write_text("name,vendor,kind,release_year,sources,notes\n"
                                        "Good,Acme,gpu,2024,https://acme.example/datasheet,\n")
    (tmp_path / "sources.csv").write_text(
        "table,name,field,value,source_url,source_kind,locator,read_date,role,note\n"
        "chips,Good,release_year,2023,https://acme.example/datasheet,vendor,p. 2,2026-11-26,chosen,\n")
    r = cli("audit", str(tmp_path / "chips.csv"), "--format", "csv")
    assert r.exit_code == 1
    assert ("Good", "release_year", "not-in-sources") in [(x["chip"], x["column"], x["code"])
                                                          for x in csv.DictReader(io.StringIO(r.stdout))]


def test_a_note_that_contradicts_its_cell_is_an_error(cli, tmp_path):
    """A note giving a figure's value ('bf16 780 = ...') that is neither the cell nor any source's value misleads
    whoever reads `show` (the 910C's note once said so of 780 while the cell held 707.8)."""
    r, found = audit(cli, tmp_path, "Bad,Acme,gpu,,50,,,https://acme.example/b,bf16 60 = press",
                     OK.format(f="bf16_tflops", v="50", n=""))
    assert r.exit_code == 1 and ("Bad", "bf16_tflops", "note-contradicts") in found
    ok, found_ok = audit(cli, tmp_path, "Bad,Acme,gpu,,50,,,https://acme.example/b,bf16 50 = Acme datasheet",
                         OK.format(f="bf16_tflops", v="50", n=""))
    assert ok.exit_code == 0 and not any(code == "note-contradicts" for _, _, code in found_ok)
