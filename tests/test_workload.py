"""Training and serving estimates: known answers from published training reports, formulas, bad input."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from chipcmp.errors import UsageError
from chipcmp.workload import human_count, parse_count


def rows(cli, *args):
    r = cli(*args, "--format", "csv")
    assert r.exit_code == 0, r.stderr
    return {row["name"]: row for row in csv.DictReader(io.StringIO(r.stdout))}



def test_llama2_70b(cli):
    # Llama 2 paper (Touvron et al. 2023, Table 2): the 70B model, 2T tokens, took 1,720,320 A100-80GB
    # GPU-hours. 6·N·D = 8.4e23 FLOPs; at 312 dense BF16 TFLOPS that is the report at an MFU of about 0.435.
    row = rows(cli, "train", "A100", "--params", "70B", "--tokens", "2T", "--mfu", "0.435")["A100 SXM 80GB"]
    assert float(row["chip_hours"]) == pytest.approx(1_720_320, rel=0.03)
    assert row["mfu"] == "0.435" and row["precision"] == "bf16"


def test_llama31_405b(cli):
    # Meta's Llama 3.1 model card: 405B trained for 30.84M H100-80GB GPU-hours; the Llama 3 report gives 15.6T
    # tokens. 6·N·D = 3.79e25 FLOPs: at 989.5 dense BF16 TFLOPS that is an effective MFU of 0.345, below the
    # report's 38-43% step MFU because the GPU-hours also count restarts and the long-context phase.
    row = rows(cli, "train", "H100", "--params", "405B", "--tokens", "15.6T", "--mfu", "0.345")["H100 SXM"]
    assert float(row["chip_hours"]) == pytest.approx(30_840_000, rel=0.03)


def test_days_and_chips_are_consistent(cli):
    by_chips = rows(cli, "train", "H100", "H20", "--params", "70B", "--tokens", "2T", "--chips", "4096")
    h100 = by_chips["H100 SXM"]
    assert float(h100["days"]) == pytest.approx(float(h100["chip_hours"]) / 4096 / 24)
    # energy = chip-hours × 700 W × PUE 1
    assert float(h100["energy_mwh"]) == pytest.approx(float(h100["chip_hours"]) * 700 / 1e6)
    by_days = rows(cli, "train", "H100", "--params", "70B", "--tokens", "2T", "--days", "6")
    assert float(by_days["H100 SXM"]["cluster_chips"]) == math.ceil(float(h100["chip_hours"]) / (6 * 24)) == 4094
    # H20 runs BF16 at 148 / 989.5 of H100, so it needs 6.7× the chip-hours for the same run
    assert float(by_chips["H20"]["chip_hours"]) / float(h100["chip_hours"]) == pytest.approx(989.5 / 148)


def test_costs_and_assumptions(cli):
    r = cli("train", "H100", "--params", "7B", "--tokens", "1T", "--chips", "8", "--pue", "1.2", "--kwh-price",
            "0.1", "--rent", "2.5", "--format", "json")
    data = json.loads(r.stdout)
    a = data["assumptions"]
    assert a["mfu"] == 0.4 and a["pue"] == 1.2 and a["kwh_usd"] == 0.1 and a["flops_formula"].startswith("6 *")
    row = data["rows"][0]
    assert row["electricity_usd"] == pytest.approx(row["energy_mwh"] * 1000 * 0.1)
    assert row["energy_mwh"] == pytest.approx(row["chip_hours"] * 700 * 1.2 / 1e6)
    assert row["rental_usd"] == pytest.approx(row["chip_hours"] * 2.5)
    assert row["hardware_usd"] == pytest.approx(8 * 27500)


def test_assumptions_are_printed(cli):
    r = cli("train", "H100", "--params", "70B", "--tokens", "2T")
    assert "6 × 70B params × 2T tokens = 8.4e+23 FLOPs" in r.stdout
    assert "MFU 0.4" in r.stdout and "PUE 1" in r.stdout


def test_chips_without_the_figure_are_listed_not_dropped(cli):
    got = rows(cli, "train", "H100", "Ascend 910", "--params", "7B", "--tokens", "1T")
    assert got["Ascend 910"]["chip_hours"] == ""  # no BF16 figure: unknown, not zero and not dropped
    r = cli("train", "H100", "Ascend 910", "--params", "7B", "--tokens", "1T")
    assert "lack of bf16_tflops" in r.stderr
    fp16 = rows(cli, "train", "Ascend 910", "--params", "7B", "--tokens", "1T", "--precision", "fp16")
    assert float(fp16["Ascend 910"]["chip_hours"]) > 0


def test_serve(cli):
    got = rows(cli, "serve", "H100", "MI300X", "--params", "70B")
    h100, mi300x = got["H100 SXM"], got["MI300X"]
    assert h100["chips_to_hold"] == "2"  # 140 GB of BF16 weights over 80 GB cards
    assert mi300x["chips_to_hold"] == "1"
    # decode upper bound: 2 × 3.35 TB/s / 140 GB = 47.9 tokens/s
    assert float(h100["decode_tokens_s"]) == pytest.approx(2 * 3.35e12 / 140e9)
    # prefill upper bound: 2 × 989.5 TFLOPS / (2 × 70e9) FLOPs per token
    assert float(h100["prefill_tokens_s"]) == pytest.approx(2 * 989.5e12 / 140e9)
    assert h100["decode_bound"] == "memory"


def test_serve_kv_cache_shape(cli):
    # Llama-2-70B-like: 80 layers, 8 KV heads × 128 = 1,024; 4,096 context, batch 16, 2 bytes:
    # 2 × 80 × 4096 × 16 × 1024 × 2 = 21.5 GB
    r = cli("serve", "H100", "--params", "70B", "--context", "4096", "--layers", "80", "--kv-hidden", "1024",
            "--batch", "16", "--format", "json")
    a = json.loads(r.stdout)["assumptions"]
    assert a["kv_cache_gb"] == pytest.approx(2 * 80 * 4096 * 16 * 1024 * 2 / 1e9)
    half = cli("serve", "H100", "--params", "70B", "--context", "4096", "--format", "json")
    assert half.exit_code == 2 and "--context, --layers and --kv-hidden together" in half.stderr


def test_serve_fp8_weights_and_compute_bound_batch(cli):
    got = rows(cli, "serve", "H100", "--params", "8B", "--weights", "fp8", "--batch", "512")
    assert got["H100 SXM"]["weights_gb"] == "8.0"
    assert got["H100 SXM"]["decode_bound"] == "compute"  # 2·8e9·512 FLOPs over ~8 GB: past the ridge


def test_roofline(cli):
    got = rows(cli, "roofline", "H100", "H20", "--intensity", "100")
    assert float(got["H100 SXM"]["attainable_tflops"]) == pytest.approx(335)  # 3.35 TB/s × 100: memory-bound
    assert float(got["H20"]["attainable_tflops"]) == pytest.approx(148)  # compute-bound at its 148 TFLOPS peak
    assert got["H20"]["bound"] == "compute" and got["H100 SXM"]["bound"] == "memory"


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--params", "70Q", "--tokens", "2T"], "--params '70Q'"),
    (["train", "--params", "-70B", "--tokens", "2T"], "--params '-70B'"),
    (["train", "--params", "0B", "--tokens", "2T"], "--params '0B' is too small: at least 1M"),
    (["train", "--params", "70", "--tokens", "2T"], "did you mean 70B (billions)?"),
    (["train", "--params", "1e400", "--tokens", "2T"], "--params '1e400' is too large"),
    (["train", "--params", "1e300", "--tokens", "1e300"], "is too large"),
    (["train", "--params", "70B", "--tokens", "2T", "--days", "1e-320"], "from one hour (0.042) to 100 years"),
    (["serve", "--params", "70B", "--kv-gb", "1e308"], "--kv-gb 1e+308 is out of range"),
    (["roofline"], "Missing option '--intensity'"),
    (["train", "--params", "70B"], "--tokens is required"),
    (["train", "--params", "70B", "--tokens", "2T", "--mfu", "1.5"], "--mfu 1.5 is out of range"),
    (["train", "--params", "70B", "--tokens", "2T", "--mfu", "0"], "--mfu 0 is out of range"),
    (["train", "--params", "70B", "--tokens", "2T", "--precision", "fp12"], "is not one of 'fp64', 'fp64_matrix'"),
    (["train", "--params", "70B", "--tokens", "2T", "--chips", "8", "--days", "3"], "not both"),
    (["train", "--params", "70B", "--tokens", "2T", "--chips", "0"], "'--chips': 0 is not in the range x>=1"),
    (["train", "--params", "70B", "--tokens", "2T", "--pue", "0.8"], "--pue 0.8 is below 1"),
    (["serve", "--params", "70B", "--weights", "fp12"], "Invalid value for '--weights': 'fp12' is not one of"),
    (["serve", "--params", "70B", "--batch", "0"], "Invalid value for '--batch': 0 is not in the range x>=1"),
    (["roofline", "--intensity", "-1"], "--intensity -1"),
])
def test_bad_input_names_the_argument(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2, r.stdout
    assert message in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(("text", "value"), [("70B", 70e9), ("2T", 2e12), ("1500M", 1.5e9), ("7e9", 7e9),
                                              ("405b", 405e9), ("350M", 350e6), ("12000000000", 12e9)])
def test_parse_count(text, value):
    assert parse_count(text, "--params") == value


@pytest.mark.parametrize("text", ["", "B", "70BB", "70 Q", "inf", "nan", "1e400", "-1", "0", "70", "1.5k", "٣B"])
def test_parse_count_rejects(text):
    with pytest.raises(UsageError):
        parse_count(text, "--params")


def test_human_count():
    assert [human_count(x) for x in (70e9, 2e12, 1.5e9, 350e6, 12)] == ["70B", "2T", "1.5B", "350M", "12"]
