"""`chipcmp audit` catches each class of data error in a small bad fixture file, and passes the bundled data."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import FIXTURES

AUDIT = FIXTURES / "audit"


def findings(cli, name):
    r = cli("audit", str(AUDIT / name), "--format", "csv")
    return r, [(int(x["line"]), x["column"], x["severity"], x["code"]) for x in csv.DictReader(io.StringIO(r.stdout))]


def test_bundled_data_audits_clean(cli):
    r = cli("audit")
    assert r.exit_code == 0, r.stdout
    assert "0 errors, 0 warnings" in r.stderr


def test_clean_fixture(cli):
    r, found = findings(cli, "clean.csv")
    assert r.exit_code == 0 and found == []


@pytest.mark.parametrize(("name", "expected"), [
    ("not_a_number.csv", (3, "bf16_tflops", "error", "not-a-number")),
    ("tdp_in_kw.csv", (3, "tdp_w", "error", "out-of-range")),            # 0.7 W: kW typed as W
    ("bandwidth_in_gbs.csv", (3, "memory_bw_tbs", "error", "units")),    # 3,350 "TB/s": GB/s typed as TB/s
    ("gflops_as_tflops.csv", (3, "bf16_tflops", "error", "units")),
    ("negative.csv", (3, "memory_gb", "error", "not-positive")),
    ("duplicate_name.csv", (3, "aliases", "error", "duplicate-name")),
    ("alias_clash.csv", (3, "aliases", "error", "duplicate-name")),
    ("no_source.csv", (3, "sources", "error", "no-source")),
    ("missing_sources_column.csv", (1, "sources", "error", "missing-column")),
    ("estimate_unexplained.csv", (3, "notes", "error", "estimate-unexplained")),
    ("price_unsourced.csv", (3, "price_source", "error", "price-unsourced")),
    ("bad_enum.csv", (3, "kind", "error", "bad-value")),
    ("ragged.csv", (3, "", "error", "ragged-row")),
])
def test_errors_are_caught_with_line_and_column(cli, name, expected):
    r, found = findings(cli, name)
    assert r.exit_code == 1
    assert expected in found
    if name != "missing_sources_column.csv":  # there the one row really has no source
        assert all(f[0] != 2 for f in found if f[3] != "duplicate-name")  # the good row on line 2 is not blamed


@pytest.mark.parametrize(("name", "expected"), [
    ("sparse_as_dense.csv", [(3, "fp8_tflops", "warning", "sparse-ratio")]),   # FP8 = 4× BF16: a sparse figure
    ("bf16_fp16_apart.csv", [(3, "fp16_tflops", "warning", "bf16-fp16")]),
    ("tensor_below_fp32.csv", [(3, "bf16_tflops", "warning", "tensor-below-fp32"),
                               (3, "fp16_tflops", "warning", "tensor-below-fp32")]),  # both below its FP32
])
def test_suspicious_values_are_warnings(cli, name, expected):
    r, found = findings(cli, name)
    assert r.exit_code == 0  # warnings alone do not fail
    assert found == expected


def test_acknowledged_warning_is_silent(cli):
    r, found = findings(cli, "acknowledged.csv")
    assert r.exit_code == 0 and found == []


def test_audit_names_every_bad_cell_not_just_the_first(cli):
    _, found = findings(cli, "bad_enum.csv")
    assert {f[1] for f in found} == {"kind", "confidence", "vendor_country"}


def test_audit_of_unreadable_input(cli, tmp_path):
    r = cli("audit", str(tmp_path / "missing.csv"))
    assert r.exit_code == 1
    assert "no such file" in r.stderr
    (tmp_path / "latin1.csv").write_bytes(b"name,vendor\nCaf\xe9,X\n")
    r = cli("audit", str(tmp_path / "latin1.csv"))
    assert r.exit_code == 1 and "not UTF-8" in r.stderr


def test_audit_table_output(cli):
    r = cli("audit", str(AUDIT / "no_source.csv"))
    assert r.exit_code == 1
    assert "every row needs at least one source" in r.stdout
    assert "1 errors, 0 warnings" in r.stdout


@pytest.mark.parametrize(("name", "message"), [
    ("not_a_number.csv", "'989,5 TFLOPS' is not a plain number in TFLOPS"),
    ("tdp_in_kw.csv", "0.7 is outside the plausible range 5–30,000 W"),
    ("bandwidth_in_gbs.csv", "3,350 is more than any package has (at most 30 TB/s (GB/s entered as TB/s?))"),
    ("sparse_as_dense.csv", "FP8 is 4.0× BF16 (dense FP8 is normally 2×): is the FP8 figure a sparse one?"),
])
def test_messages_name_the_value_of_the_flagged_row(cli, name, message):
    # Messages are built only for flagged rows: each must carry that row's own value.
    r = cli("audit", str(AUDIT / name), "--format", "csv")
    assert message in [x["message"] for x in csv.DictReader(io.StringIO(r.stdout))]
