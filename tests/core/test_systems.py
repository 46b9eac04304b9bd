"""Systems as rows, with totals from their chips checked against their vendors' published totals, and `match`."""

from __future__ import annotations

import csv
import io
import json

import pytest


def systems(cli, *args):
    r = cli("systems", *args, "--format", "csv")
    assert r.exit_code == 0, r.stderr
    return {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}


def test_at_least_fifteen_systems(cli):
    assert len(systems(cli)) >= 15


@pytest.mark.parametrize(("system", "column", "published"), [
    # NVIDIA GB200 NVL72 datasheet: FP8 720 PFLOPS with sparsity -> 360 dense (72 x 5,000 TFLOPS)
    ("GB200 NVL72", "fp8_pflops", 360),
    # AWS Trn2 UltraServer: 83.2 PFLOPS dense FP8 (64 x 1,299 TFLOPS)
    ("Trn2 UltraServer", "fp8_pflops", 83.2),
    # AWS trn2.48xlarge: 16 Trainium2, 20.8 PFLOPS dense FP8, 1.5 TB HBM
    ("Trn2 instance (trn2.48xlarge)", "fp8_pflops", 20.8),
    # NVIDIA HGX B200: 36 PFLOPS dense FP8 for 8 GPUs
    ("HGX B200 8-GPU", "fp8_pflops", 36),
    # Huawei CloudMatrix 384 (SemiAnalysis / Huawei): 49.2 TB of HBM over 384 Ascend 910C
    ("Huawei CloudMatrix 384", "memory_tb", 49.2),
])
def test_system_totals_match_vendor_totals(cli, system, column, published):
    got = systems(cli)[system]
    assert float(got[column]) == pytest.approx(published, rel=0.01)


def test_vendor_total_on_another_basis_is_shown_beside_ours(cli):
    """Huawei states 300 PFLOPS BF16 for CloudMatrix 384: its 780-class headline per chip; chipcmp's Cube-only
    707.8 x 384 = 271.8. Both are shown, with the ratio."""
    got = systems(cli)["Huawei CloudMatrix 384"]
    assert float(got["stated_bf16_pflops"]) == 300
    assert float(got["bf16_pflops"]) == pytest.approx(707.8 * 384 / 1000)
    assert float(got["vendor_vs_chips_bf16"]) == pytest.approx(300 / (707.8 * 384 / 1000))


def test_cloudmatrix_against_nvl72(cli):
    got = systems(cli, "CloudMatrix 384", "GB200 NVL72")
    cm, nvl = got["Huawei CloudMatrix 384"], got["GB200 NVL72"]
    assert float(cm["bf16_pflops"]) > float(nvl["bf16_pflops"])  # more throughput by scale ...
    assert float(cm["bf16_pflops_per_kw"]) < float(nvl["bf16_pflops_per_kw"])  # ... at a fraction of the efficiency


def test_systems_rank_by_a_system_metric(cli):
    r = cli("systems", "--metric", "fp8_pflops", "--top", "3", "--format", "csv")
    values = [float(x["fp8_pflops"]) for x in csv.DictReader(io.StringIO(r.stdout))]
    assert values == sorted(values, reverse=True) and len(values) == 3
    bad = cli("systems", "--metric", "flops")
    assert bad.exit_code == 2 and "not a system metric" in bad.stderr


def test_match_910b_to_10000_h100(cli):
    """10,000 H100 SXM at 989.5 dense BF16 (NVIDIA) = 9.895 EFLOPS; Ascend 910B at 353.9 (Huawei CANN guide):
    ceil(10,000 x 989.5 / 353.9) = 27,960 chips."""
    r = cli("match", "Ascend 910B", "--to", "H100 SXM", "--count", "10000", "--by", "all", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = {x["metric"]: x for x in json.loads(r.stdout)["rows"]}
    assert rows["bf16_tflops"]["chips_needed"] == 27960
    assert rows["memory_gb"]["chips_needed"] == 12500  # 80 GB / 64 GB
    assert rows["bf16_tflops"]["b_power_mw"] == pytest.approx(7.0)  # 10,000 x 700 W
    assert rows["fp8_tflops"]["note"] == "Ascend 910B does not support it"
    assert len({x["chips_needed"] for x in rows.values() if x["chips_needed"]}) > 1  # the answer depends on the metric


def test_match_with_training_days(cli):
    r = cli("match", "Ascend 910C", "--to", "H100", "--count", "8192", "--by", "bf16_tflops", "--model",
            "Llama 3.1 70B", "--tokens", "15T", "--format", "json")
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)["rows"][0]
    # matched by BF16 throughput, the two clusters train in the same time (to the rounding of the chip count)
    assert row["a_train_days"] == pytest.approx(row["b_train_days"], rel=0.001)


def test_train_and_serve_take_a_system(cli):
    t = cli("train", "--system", "CloudMatrix 384", "--systems", "4", "--model", "Llama 3.1 405B", "--tokens", "15T",
            "--format", "json")
    assert t.exit_code == 0, t.stderr
    assert json.loads(t.stdout)["rows"][0]["cluster_chips"] == 4 * 384
    s = cli("serve", "--system", "CloudMatrix 384", "--model", "DeepSeek-V3", "--format", "json")
    assert s.exit_code == 0, s.stderr
    data = json.loads(s.stdout)
    assert data["assumptions"]["system"] == "Huawei CloudMatrix 384"
    assert data["rows"][0]["name"] == "Ascend 910C"


def test_compare_takes_system_names(cli):
    r = cli("compare", "CloudMatrix 384", "GB200 NVL72", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {x["field"]: x for x in data["rows"]}
    # GB200 NVL72 / CloudMatrix 384: 180 / 271.8 PFLOPS BF16 (72 x 2,500 against 384 x 707.8)
    assert rows["bf16_pflops"]["GB200 NVL72 / Huawei CloudMatrix 384"] == pytest.approx(180 / (384 * 0.7078))
    assert rows["chip"]["Huawei CloudMatrix 384"] == "Ascend 910C"
    t = cli("compare", "CloudMatrix 384", "GB200 NVL72")
    per_kw = next(ln for ln in t.stdout.splitlines() if ln.startswith("BF16 per kW"))
    assert "▲" in per_kw  # NVL72 does more per kW
    forced = cli("compare", "--systems", "HGX H100 8-GPU", "HGX H20 8-GPU")
    assert forced.exit_code == 0 and "HGX H20 8-GPU" in forced.stdout


def test_rank_takes_systems(cli):
    r = cli("rank", "--systems", "--metric", "bf16_pflops_per_kw", "--top", "3", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    values = [float(x["bf16_pflops_per_kw"]) for x in csv.DictReader(io.StringIO(r.stdout))]
    assert values == sorted(values, reverse=True)
    bad = cli("rank", "--systems", "--metric", "pd")
    assert bad.exit_code == 2 and "not a system metric" in bad.stderr


def test_memory_totals_are_in_the_chips_unit(cli):
    """One capacity unit for chips and systems (data/README.md): a system's HBM is its chips' vendor GB summed
    ÷ 1,000, and a vendor total stated in GiB stays in that unit. AWS Neuron trn2-arch: 'Device Memory (GiB) |
    1,536' for trn2.48xlarge and 6,144 for the UltraServer; NVIDIA GB200 NVL72 spec table: 13.4 TB HBM3E; Google:
    1.77 PB per Ironwood pod. Every stated total then agrees with the chips' within 3%, except Huawei's Atlas 950
    figure (1,152 = 8,192 × 144 ÷ 1,024), shown as stated."""
    got = systems(cli)
    assert float(got["Trn2 instance (trn2.48xlarge)"]["stated_memory_tb"]) == 1.536
    assert float(got["Trn2 UltraServer"]["stated_memory_tb"]) == 6.144
    for name, row in got.items():
        if row["vendor_vs_chips_memory"] and name != "Huawei Atlas 950 SuperPoD":
            assert float(row["vendor_vs_chips_memory"]) == pytest.approx(1, abs=0.03), name
    assert float(got["Huawei Atlas 950 SuperPoD"]["vendor_vs_chips_memory"]) == pytest.approx(1152 / 1179.648)


def test_the_910b_has_its_own_server(cli):
    """Huawei's Atlas 800T A2 holds 8 Ascend 910B in one HCCS full mesh (Huawei MindCluster deployment guide: '8个
    NPU网口' per node; CANN guide: collectives over 1-8 processors of an Atlas A2 server; msModeling: A2
    intra-server FULL_MESH at 196 GB/s per direction). A bare 910B serves in it, and match counts its servers."""
    got = systems(cli)["Huawei Atlas 800T A2"]
    assert (got["chip"], int(float(got["chips"])), int(float(got["scaleup_domain"]))) == ("Ascend 910B", 8, 8)
    r = cli("serve", "Ascend 910B", "--model", "Llama 3.1 70B", "--format", "json")
    assert json.loads(r.stdout)["rows"][0]["box"] == "Huawei Atlas 800T A2 (8-chip domain)"
    m = cli("match", "Ascend 910B", "--to", "H100 SXM", "--count", "10000", "--format", "csv")
    assert "Huawei Atlas 800T A2" in m.stdout
