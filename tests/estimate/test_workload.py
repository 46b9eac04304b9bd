"""Training and serving estimates: known answers from published training reports, formulas, bad input."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from chipcmp.errors import UsageError
from chipcmp.estimate.inputs import human_count, parse_count


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
    # at MFU 0.33: 6 x 70e9 x 2e12 / (989.5e12 x 0.33) / 3600 = 714,574 chip-hours over 144 hours
    assert float(by_days["H100 SXM"]["cluster_chips"]) == math.ceil(float(h100["chip_hours"]) / (6 * 24)) == 4963
    # H20 runs BF16 at 148 / 989.5 of H100, so it needs 6.7× the chip-hours for the same run
    assert float(by_chips["H20"]["chip_hours"]) / float(h100["chip_hours"]) == pytest.approx(989.5 / 148)


def test_costs_and_assumptions(cli):
    r = cli("train", "H100", "--params", "7B", "--tokens", "1T", "--chips", "8", "--pue", "1.2", "--kwh-price",
            "0.1", "--rent", "2.5", "--format", "json")
    data = json.loads(r.stdout)
    a = data["assumptions"]
    assert a["mfu"] == 0.33 and a["pue"] == 1.2 and a["kwh_usd"] == 0.1 and a["flops_formula"].startswith("6 *")
    row = data["rows"][0]
    assert row["electricity_usd"] == pytest.approx(row["energy_mwh"] * 1000 * 0.1)
    assert row["energy_mwh"] == pytest.approx(row["chip_hours"] * 700 * 1.2 / 1e6)
    assert row["rental_usd"] == pytest.approx(row["chip_hours"] * 2.5)
    assert row["hardware_usd"] == pytest.approx(8 * 27500)


def test_assumptions_are_printed(cli):
    r = cli("train", "H100", "--params", "70B", "--tokens", "2T")
    assert "6 × 70B params × 2T tokens = 8.4e+23 FLOPs" in r.stdout
    assert "MFU 0.33" in r.stdout and "PUE 1" in r.stdout


def test_chips_without_the_figure_are_listed_not_dropped(cli):
    got = rows(cli, "train", "H100", "Ascend 910", "--params", "7B", "--tokens", "1T")
    assert got["Ascend 910"]["chip_hours"] == ""  # no BF16 figure: unknown, not zero and not dropped
    r = cli("train", "H100", "Ascend 910", "--params", "7B", "--tokens", "1T")
    assert "lack of bf16_tflops" in r.stderr
    fp16 = rows(cli, "train", "Ascend 910", "--params", "7B", "--tokens", "1T", "--precision", "fp16")
    assert float(fp16["Ascend 910"]["chip_hours"]) > 0


def test_serve_replica_and_decode_known_answer(cli):
    """Llama 3.1 70B (80 layers, 8 KV heads x 128; Meta's config) in BF16 on H100 SXM at batch 1:
    weights 70.0e9 x 2 B = 140 GB, KV 2 x 80 x 8 x 128 x 2 B = 320 KiB per token; 2,560 tokens of context.
    140 GB + 0.84 GB over 0.9 x 80 GB -> 2 chips (a power of two). Decode step: bytes 140e9 + KV at the mean context
    (2,304 tokens) over 2 x 3.35 TB/s x the measured bandwidth fraction (Azure: 2.90 / 3.35), plus the fixed 2 ms
    per step."""
    got = rows(cli, "serve", "H100", "--model", "Llama 3.1 70B", "--prompt", "2048", "--output-tokens", "512",
               "--batch", "1")
    h100 = got["H100 SXM"]
    assert h100["chips_per_replica"] == "2"
    kv = 2 * 80 * 8 * 128 * 2
    bytes_step = 70e9 * 2 + kv * (2048 + 256)
    t_mem = bytes_step / (2 * 3.35e12 * (2.90 / 3.35))
    t_comm = 2 * 80 * (2 * 1 / 2 * 8192 * 2 / (900 / 2 * 1e9) + 8e-6)
    overhead = 2e-3  # per decode step: scheduling, launches, sampling (replica.STEP_OVERHEAD_S)
    assert float(h100["tpot_ms"]) == pytest.approx((t_mem + t_comm + overhead) * 1000, rel=1e-3)
    assert h100["bound"] == "memory"


def test_serve_moe_reads_only_the_experts_a_batch_touches(cli):
    """DeepSeek-V3: 671B total, 37B active, 8 of 256 experts (DeepSeek's config). At batch 1 a decode step reads
    about the active weights, not all 671B: its time per token is far below reading the whole model."""
    one = rows(cli, "serve", "H200", "--model", "DeepSeek-V3", "--weights", "fp8", "--batch", "1",
               "--replica", "8")["H200 SXM"]
    full_read_ms = 671e9 / (8 * 4.8e12) * 1000  # the whole model over 8 x 4.8 TB/s
    assert float(one["tpot_ms"]) - 2.0 < full_read_ms / 5  # less the fixed 2 ms per step


def test_serve_wafer_scale_is_not_modelled_and_never_ranks_first(cli):
    r = cli("serve", "--model", "Llama 3.1 70B", "--weights", "fp8", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    got = list(csv.DictReader(io.StringIO(r.stdout)))
    by = {x["name"]: x for x in got}
    for name in ("WSE-3", "WSE-2", "GroqCard"):
        assert by[name]["tokens_s_chip"] == "" and by[name]["note"].startswith("not modelled")
    assert got[0]["name"] not in ("WSE-3", "WSE-2", "GroqCard")


def test_serve_cost_per_million_tokens(cli):
    """$ per million output tokens = chips x (price / (years x 8760 h) + TDP x PUE x $/kWh) / (tokens/s x 3600)."""
    r = cli("serve", "H100", "--model", "Llama 3.1 8B", "--batch", "8", "--price", "H100 SXM=30000", "--years",
            "3", "--kwh-price", "0.2", "--pue", "1.5", "--rent", "2", "--format", "json")
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)["rows"][0]
    per_hour = 30000 / (3 * 8760) + 0.7 * 1.5 * 0.2
    mtok_h = row["tokens_s_replica"] * 3600 / 1e6
    assert row["usd_per_mtok_buy"] == pytest.approx(row["chips_per_replica"] * per_hour / mtok_h)
    assert row["usd_per_mtok_rent"] == pytest.approx(row["chips_per_replica"] * 2 / mtok_h)
    assert json.loads(r.stdout)["assumptions"]["rent_usd_per_chip_hour"] == 2


def test_serve_fp8_weights_on_a_chip_without_fp8_say_so(cli):
    got = rows(cli, "serve", "Ascend 910B", "--model", "Llama 3.1 70B", "--weights", "fp8")
    assert got["Ascend 910B"]["note"].startswith("no FP8 units: BF16 compute")
    assert float(got["Ascend 910B"]["tokens_s_chip"]) > 0


def test_serve_batch_auto_meets_the_latency_target(cli):
    got = rows(cli, "serve", "H100", "H20", "--model", "Llama 3.1 70B", "--batch", "auto", "--tpot-ms", "40")
    for row in got.values():
        assert float(row["tpot_ms"]) <= 40


def test_train_moe_uses_active_parameters(cli):
    """DeepSeek-V3 pre-training: 14.8T tokens on H800 (DeepSeek-V3 report: 2.664M H800 GPU-hours). At the MFU
    that run implies on BF16 peak, 6 x 37B active x 14.8T / (989.5 TFLOPS x 0.3457) = 2.664M chip-hours."""
    r = cli("train", "H800", "--model", "DeepSeek-V3", "--tokens", "14.8T", "--mfu", "0.3457", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["assumptions"]["active_params"] == 37e9
    assert data["rows"][0]["chip_hours"] == pytest.approx(2.664e6, rel=0.01)


def test_models_catalogue(cli):
    r = cli("models", "--format", "csv")
    assert r.exit_code == 0
    got = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert len(got) >= 12
    assert float(got["DeepSeek-V3"]["active_b"]) == 37 and float(got["DeepSeek-V3"]["params_b"]) == 671
    assert got["Mixtral 8x7B"]["kind"] == "moe" and got["Llama 3.1 405B"]["kind"] == "dense"
    # MLA: (512 latent + 64 RoPE) x 61 layers x 2 bytes (DeepSeek-V3 config_671B.json)
    assert float(got["DeepSeek-V3"]["kv_kib_per_token_bf16"]) == pytest.approx(576 * 61 * 2 / 1024)


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
    (["train", "--params", "70B", "--tokens", "2T", "--days", "1e-320"], "out of range: from 0.04167 to 36,500 days"),
    (["serve", "--params", "70", "H100"], "did you mean 70B (billions)?"),
    (["serve", "--model", "Llama 9"], "unknown model 'Llama 9'"),
    (["serve", "--model", "DeepSeek-V3", "--params", "70B"], "not both"),
    (["serve", "--params", "70B", "--batch", "12x"], "--batch '12x'"),
    (["serve", "--params", "70B", "--batch", "4", "--tpot-ms", "50"], "use it with --batch auto"),
    (["serve", "--params", "70B", "--prompt", "0"], "--prompt 0 is out of range"),
    (["roofline"], "Missing option '--intensity'"),
    (["train", "--params", "70B"], "--tokens is required"),
    (["train", "--params", "70B", "--tokens", "2T", "--mfu", "1.5"], "--mfu 1.5 is out of range"),
    (["train", "--params", "70B", "--tokens", "2T", "--mfu", "0"], "--mfu 0 is out of range"),
    (["train", "--params", "70B", "--tokens", "2T", "--precision", "fp12"], "is not one of 'fp64', 'fp64_matrix'"),
    (["train", "--params", "70B", "--tokens", "2T", "--chips", "8", "--days", "3"], "not both"),
    (["train", "--params", "70B", "--tokens", "2T", "--chips", "0"], "--chips 0 is out of range: from 1 to 10,000,000"),
    (["train", "--params", "70B", "--tokens", "2T", "--pue", "0.8"], "--pue 0.8 is out of range: from 1 to 3"),
    (["serve", "--params", "70B", "--weights", "fp12"], "Invalid value for '--weights': 'fp12' is not one of"),
    (["serve", "--params", "70B", "--batch", "0"], "--batch 0 is out of range"),
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
