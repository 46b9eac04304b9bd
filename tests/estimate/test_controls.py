"""Export-control view: known answers from public sources, rule logic on hand-made chips, the what-if form."""

from __future__ import annotations

import csv
import io
import json

import pytest


def table(cli, *args):
    r = cli("controls", *args, "--format", "csv")
    assert r.exit_code == 0, r.stderr
    return {row["name"]: row for row in csv.DictReader(io.StringIO(r.stdout))}


def test_known_answers(cli):
    rows = table(cli, "H100", "A100", "H20", "A800", "H800")
    # H100 SXM: TPP 15,832 = 989.5 dense BF16 TFLOPS × 16 (NVIDIA datasheet, 1,979 sparse); PD 15,832 / 814 mm²
    # = 19.4 (die area from NVIDIA's Hopper whitepaper). Both as published by CSIS and in BIS commentary.
    h100 = rows["H100 SXM"]
    assert float(h100["tpp"]) == pytest.approx(15832)
    assert float(h100["pd"]) == pytest.approx(19.45, abs=0.05)
    # A100: TPP 4,992 = 312 × 16 (NVIDIA A100 datasheet), the figure BIS's 2022 rule was drawn around.
    assert float(rows["A100 SXM 80GB"]["tpp"]) == pytest.approx(4992)
    # H20: TPP 2,368 = 148 × 16, PD ≈ 2.9 on the 814 mm² GH100 die: just under 3A090.b (Tom's Hardware spec table).
    h20 = rows["H20"]
    assert float(h20["tpp"]) == pytest.approx(2368)
    assert float(h20["pd"]) == pytest.approx(2.9, abs=0.05)
    assert h20["class_2023-10"] == "not 3A090"
    # A800 and H800: built to pass the 2022 rule (NVLink cut to 400 GB/s), caught by the 2023 rule as 3A090.a.
    for chip in ("A800 SXM 80GB", "H800 SXM"):
        assert rows[chip]["class_2022-10"] == "not controlled"
        assert rows[chip]["class_2023-10"] == "3A090.a"
    assert h100["class_2022-10"] == "3A090"


def test_headroom_shows_h20_just_under_the_line(cli):
    rows = table(cli, "H20", "--rule", "2023-10")
    h20 = rows["H20"]
    assert float(h20["tpp/2400"]) == pytest.approx(2368 / 2400)  # 0.99×: 1.3 % below 3A090.b's TPP line
    assert float(h20["pd/3.2"]) == pytest.approx(2368 / 814 / 3.2)
    r = cli("controls", "H20", "--rule", "2023-10")
    assert "0.99× (-1.3%)" in r.stdout


def test_2026_rule_splits_h200_class_from_blackwell(cli):
    rows = table(cli, "H200", "MI325X", "B200", "H20")
    assert rows["H200 SXM"]["class_2026-01"] == "case-by-case"   # TPP 15,832 < 21,000; 4.8 TB/s < 6.5
    assert rows["MI325X"]["class_2026-01"] == "case-by-case"     # named in the rule's commentary
    assert rows["B200 SXM"]["class_2026-01"] == "presumption of denial"
    assert rows["H20"]["class_2026-01"] == "no 3A090 licence"


def test_unknown_die_area_gives_unknown_not_a_guess(cli):
    rows = table(cli, "--tpp", "3000")
    assert rows["what-if"]["pd"] == ""
    assert rows["what-if"]["class_2023-10"] == "unknown (no die area)"


@pytest.mark.parametrize(("args", "c2022", "c2023"), [
    (["--tflops", "300", "--die-area", "800", "--interconnect", "600"], "3A090", "3A090.a"),  # the rule's example
    (["--tflops", "299", "--die-area", "900", "--interconnect", "600"], "not controlled", "3A090.b"),
    (["--tpp", "2000", "--die-area", "300"], "not controlled", "3A090.a"),   # PD 6.67 ≥ 5.92
    (["--tpp", "2000", "--die-area", "500"], "not controlled", "3A090.b"),   # PD 4.0 in [3.2, 5.92)
    (["--tpp", "2000", "--die-area", "900"], "not controlled", "not 3A090"),  # PD 2.2 and TPP < 2400
    (["--tpp", "1500", "--die-area", "10"], "not controlled", "not 3A090"),
    (["--tflops", "600", "--precision", "fp8", "--die-area", "1000", "--interconnect", "900"], "3A090", "3A090.a"),
])
def test_what_if_classification(cli, args, c2022, c2023):
    row = table(cli, *args)["what-if"]
    assert row["class_2023-10"] == c2023
    # Without --interconnect the 2022 rule is still decided: TPP < 4,800 fails the AND whatever the I/O is
    # (three-valued logic: false AND unknown is false).
    assert row["class_2022-10"] == c2022


@pytest.mark.parametrize(("args", "message"), [
    (["--tflops", "-3"], "--tflops -3 is out of range: above 0 to 1,000,000,000 TFLOPS"),
    (["--tflops", "300", "--tpp", "4800"], "exactly one of"),
    (["--tflops", "300", "--precision", "fp12"], "not one of"),
    (["H100", "--tflops", "300"], "not both"),
    (["H100", "--rule", "2024-12"], "'2024-12' is not one of '2022-10', '2023-10', '2026-01'"),
    (["--tpp", "3000", "--vendor", "nosuch"], "--vendor cannot apply here"),
    (["--tpp", "3000", "--data", "/nonexistent.csv"], "--data cannot apply here"),
    (["--near", "150%"], "--near '150%'"),
])
def test_bad_what_if_input(cli, args, message):
    r = cli("controls", *args)
    assert r.exit_code == 2
    assert message in r.stderr


def test_every_output_carries_the_disclaimer(cli):
    table_out = cli("controls", "H20")
    assert "not legal advice" in table_out.stdout
    j = json.loads(cli("controls", "H20", "--format", "json").stdout)
    assert "not legal advice" in j["assumptions"]["disclaimer"]
    c = cli("controls", "H20", "--format", "csv")
    assert "not legal advice" in c.stderr
    m = cli("controls", "H20", "--format", "markdown")
    assert "not legal advice" in m.stdout


def test_flags_are_notes_not_classes(cli):
    rows = table(cli, "H20", "Ascend 910B")
    assert "licence required" in rows["H20"]["flags"]
    assert "General Prohibition 10" in rows["Ascend 910B"]["flags"]


def test_tpp_and_pd_are_ordinary_metrics(cli):
    r = cli("rank", "--metric", "pd", "--top", "3", "--format", "csv")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "rank,name,vendor,pd,rank_range"


def test_tpp_and_performance_density_agree_with_their_definition():
    """TPP = max over precisions of TFLOPS × bit length, unknown only where every precision is; PD = TPP / die
    area, unknown where the area is not positive. Computed in numpy: checked against the definition written
    with pandas' row max, on chips with gaps, zeros and bad areas."""
    import numpy as np
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from chipcmp.data import schema

    cols = [p.column for p in schema.PRECISIONS]
    value = st.one_of(st.just(float("nan")), st.floats(0, 1e5))

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.lists(value, min_size=len(cols), max_size=len(cols)),
                              st.one_of(st.just(float("nan")), st.floats(-10, 2000))), min_size=0, max_size=6))
    def check(rows):
        df = pd.DataFrame([dict(zip(cols, v, strict=True), die_area_mm2=a) for v, a in rows],
                          columns=[*cols, "die_area_mm2"], dtype="float64")
        tpp = df[cols].mul([p.bits for p in schema.PRECISIONS], axis=1).max(axis=1, skipna=True)
        area = df["die_area_mm2"]
        pd.testing.assert_series_equal(schema.FIELD_BY_NAME["tpp"].compute(df), tpp, check_names=False)
        pd.testing.assert_series_equal(schema.FIELD_BY_NAME["pd"].compute(df), tpp / area.where(area > 0),
                                       check_names=False)
        assert np.isnan(schema.FIELD_BY_NAME["tpp"].compute(df)).tolist() == df[cols].isna().all(axis=1).tolist()

    check()
