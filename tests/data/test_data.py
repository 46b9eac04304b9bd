"""The bundled data: schema, ranges, uniqueness, consistency, a source on every row, and known answers.

Known answers are checked against the published figure, with the publication named next to each case.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from chipcmp.core.fields import with_metrics
from chipcmp.data import schema
from chipcmp.data.dataset import bundled_path, load_dataset
from chipcmp.data.names import fold as normalize


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(bundled_path(), dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def chips() -> pd.DataFrame:
    return with_metrics(load_dataset().frame).set_index("name", drop=False)


def test_header_is_the_schema(raw):
    # derived columns (prices, confidence, measurements) come from the long-format files, not chips.csv
    assert list(raw.columns) == [c.name for c in schema.COLUMNS if not c.derived_from]


def test_coverage(chips):
    assert len(chips) >= 110
    assert chips["vendor"].nunique() >= 20


def test_issue_minimum_set_is_present(chips):
    wanted = ["Ascend 910", "Ascend 910B", "Ascend 910C", "V100", "A100", "A100 PCIe", "A800", "H100",
              "H100 PCIe", "H800", "H20", "H200", "L20", "L40S", "B200", "MI250X", "MI300X", "MI325X", "Gaudi 2",
              "Gaudi 3", "TPU v4", "TPU v5e", "TPU v5p", "TPU v6e", "Trainium2", "MLU590", "BR100"]
    keys = set(chips["name"].map(normalize))
    keys |= {normalize(a) for cell in chips["aliases"].dropna() for a in cell.split("|")}
    missing = [w for w in wanted if normalize(w) not in keys]
    assert not missing


def test_every_row_has_a_source_and_confidence(chips):
    assert chips["sources"].notna().all()
    assert chips["confidence"].isin(schema.CONFIDENCES).all()
    for name, cell in chips["sources"].items():
        parts = [p.strip() for p in cell.split("|")]
        assert all(parts), name
        assert any(p.startswith("http") for p in parts) or "arXiv" in cell, name


def test_estimates_explain_themselves(chips):
    est = chips[chips["confidence"] == "estimate"]
    assert est["notes"].notna().all()


def test_enumerations(chips):
    assert chips["kind"].isin(schema.KINDS).all()
    assert chips["price_kind"].dropna().isin(schema.PRICE_KINDS).all()
    assert chips["vendor_country"].str.fullmatch(r"[A-Z]{2}").all()


def test_prices_carry_kind_date_and_source(chips):
    priced = chips[chips["price_usd"].notna()]
    assert len(priced) >= 42  # TPUs have no market price (Google sells none): their figures are costs
    assert priced["price_kind"].isin(["list", "street", "retail", "analyst", "kit"]).all()  # never cost or order
    assert priced["price_date"].str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?").all()
    assert (priced["price_source"].str.startswith(tuple(priced["price_kind"].unique()))
            & priced["price_source"].str.contains("https://")).all()
    assert (priced["price_usd_low"] <= priced["price_usd"]).all()
    assert (priced["price_usd"] <= priced["price_usd_high"]).all()


def test_names_and_aliases_are_unique(chips):
    keys: dict[str, str] = {}
    for name, aliases in zip(chips["name"], chips["aliases"].fillna(""), strict=True):
        for key in {normalize(name), *(normalize(a) for a in aliases.split("|") if a.strip())}:
            assert keys.setdefault(key, name) == name, f"{key!r} names both {keys[key]} and {name}"


def test_numeric_cells_are_plain_numbers(raw):
    for c in schema.NUMERIC_COLUMNS:
        if c not in raw.columns:
            continue  # a derived column
        bad = raw[c][(raw[c] != "") & (raw[c] != "n/a") & ~raw[c].str.fullmatch(r"\d+(\.\d+)?")]
        assert bad.empty, f"{c}: {list(bad)}"


def test_bundled_data_keeps_every_rule(chips):
    """The rule tables the loader and the audit use (data/rules.py and the schema's ranges), applied to the
    bundled data as loaded; no second copy of a threshold lives here."""
    from chipcmp.data.rules import PACKAGE_LIMITS, RATIO_RULES

    for c in schema.COLUMNS:
        if c.numeric and c.lo is not None:
            s = chips[c.name].dropna()
            assert s.between(c.lo, c.hi).all(), (c.name, s[~s.between(c.lo, c.hi)].to_dict())
    package = chips[(chips["kind"] != "wafer") & ~chips["memory_type"].fillna("").str.contains("SRAM")]
    for column, (limit, _) in PACKAGE_LIMITS.items():
        assert package[column].dropna().le(limit).all(), column
    acknowledged = chips["notes"].fillna("").str.contains("audit-ok")
    for code, num, den, op, threshold, _ in RATIO_RULES:
        r = (chips[num] / chips[den])[~acknowledged]
        bad = r.gt(threshold) if op == ">" else r.lt(threshold)
        assert not bad.any(), (code, num, den, r[bad].to_dict())


def test_china_variants_share_their_parents_die(chips):
    # H800 and H20 are GH100 parts, A800 is GA100 (NVIDIA; Tom's Hardware reports cited in the rows).
    assert chips.at["H800 SXM", "die_area_mm2"] == chips.at["H100 SXM", "die_area_mm2"] == 814
    assert chips.at["H20", "die_area_mm2"] == 814
    assert chips.at["A800 SXM 80GB", "die_area_mm2"] == chips.at["A100 SXM 80GB", "die_area_mm2"] == 826


# Published figures, each with its publication. Throughput is dense: NVIDIA's datasheets print sparse figures
# with an asterisk, and the dense figure is half of it.
KNOWN = [
    # NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): BF16 1,979* TFLOPS sparse, 3.35 TB/s, 700 W.
    ("H100 SXM", {"bf16_tflops": 989.5, "fp8_tflops": 1979, "memory_bw_tbs": 3.35, "tdp_w": 700,
                  "interconnect_gbs": 900, "memory_gb": 80}),
    # NVIDIA H100 PCIe product brief PB-11133-001: 350 W; BF16 1,513* sparse.
    ("H100 PCIe", {"bf16_tflops": 756.5, "tdp_w": 350}),
    # NVIDIA A100 datasheet: BF16 312 dense (624* sparse), TF32 156, 2,039 GB/s on the 80 GB SXM, 400 W.
    ("A100 SXM 80GB", {"bf16_tflops": 312, "tf32_tflops": 156, "memory_bw_tbs": 2.039, "tdp_w": 400,
                       "interconnect_gbs": 600}),
    # Tom's Hardware, 'New Nvidia AI GPUs designed to get around US export bans' (HGX H20 spec table):
    # 96 GB HBM3, 4.0 TB/s, FP16/BF16 148, FP8 296, 900 GB/s NVLink, 400 W.
    ("H20", {"bf16_tflops": 148, "fp8_tflops": 296, "memory_bw_tbs": 4.0, "memory_gb": 96, "tdp_w": 400}),
    # AMD Instinct MI300X data sheet: 1,307.4 BF16 dense, 2,614.9 FP8 dense, 192 GB, 5.3 TB/s, 750 W.
    ("MI300X", {"bf16_tflops": 1307.4, "fp8_tflops": 2614.9, "memory_gb": 192, "memory_bw_tbs": 5.3,
                "tdp_w": 750}),
    # Intel Gaudi 3 (Hot Chips 2024 / white paper): 1,835 BF16 matrix TFLOPS, 128 GB HBM2e, 3.67 TB/s.
    ("Gaudi 3", {"bf16_tflops": 1835, "memory_gb": 128, "memory_bw_tbs": 3.67}),
    # Google Cloud TPU v5p docs: 459 BF16 TFLOPS, 95 GB HBM, 2,765 GB/s.
    ("TPU v5p", {"bf16_tflops": 459, "memory_bw_tbs": 2.765}),
    # Google Cloud TPU v6e (Trillium) docs: 918 BF16 TFLOPS, 1,836 INT8 TOPS, 32 GB.
    ("TPU v6e", {"bf16_tflops": 918, "int8_tops": 1836, "memory_gb": 32}),
    # AWS Neuron docs, Trainium2 architecture: 667 BF16 TFLOPS dense, 96 GB HBM, 2.9 TB/s.
    ("Trainium2", {"bf16_tflops": 667, "memory_gb": 96, "memory_bw_tbs": 2.9}),
    # Huawei CANN migration guide (Ascend910B2, Atlas A2): Cube 353.9 T BF16/FP16, 64 GB, 1.6 TB/s.
    ("Ascend 910B", {"bf16_tflops": 353.9, "memory_gb": 64, "memory_bw_tbs": 1.6}),
    # Huawei launch figures for Ascend 910 (2019): 256 TFLOPS FP16, 512 TOPS INT8.
    ("Ascend 910", {"fp16_tflops": 256, "int8_tops": 512}),
    # Biren BR100 at Hot Chips 2022 (Tom's Hardware): 1,024 BF16 TFLOPS, 64 GB HBM2e, 550 W.
    ("BR100", {"bf16_tflops": 1024, "memory_gb": 64, "tdp_w": 550}),
]


@pytest.mark.parametrize(("chip", "figures"), KNOWN, ids=[k[0] for k in KNOWN])
def test_published_figures(chips, chip, figures):
    for column, value in figures.items():
        assert chips.at[chip, column] == pytest.approx(value), (chip, column)


@pytest.mark.parametrize(("chip", "metric", "value"), [
    # FLOPs per watt from the datasheet figures above: 989.5 / 700, 312 / 400, 148 / 400, 1307.4 / 750.
    ("H100 SXM", "bf16_tflops_per_watt", 989.5 / 700),
    ("A100 SXM 80GB", "bf16_tflops_per_watt", 0.78),
    ("H20", "bf16_tflops_per_watt", 0.37),
    ("MI300X", "bf16_tflops_per_watt", 1307.4 / 750),
    # Ridge point: 989.5 TFLOPS / 3.35 TB/s = 295 FLOP/byte, the figure commonly quoted for H100 SXM.
    ("H100 SXM", "ridge_point", 295.37),
    ("H100 SXM", "memory_bw_per_watt", 3350 / 700),
])
def test_known_metrics(chips, chip, metric, value):
    assert chips.at[chip, metric] == pytest.approx(value, rel=1e-3)


def test_missing_inputs_give_missing_metrics_not_zero(chips):
    tpu = chips.loc["TPU v5p"]
    assert pd.isna(tpu["tdp_w"]) and pd.isna(tpu["bf16_tflops_per_watt"])
    assert not (with_metrics(load_dataset().frame)[[m.name for m in schema.METRICS]] == 0).any().any()
    values = with_metrics(load_dataset().frame)[[m.name for m in schema.METRICS]].to_numpy(dtype=float)
    assert not (abs(values) == float("inf")).any()


def test_notes_record_sparsity_halving_for_nvidia(chips):
    nvidia = chips[(chips["vendor"] == "NVIDIA") & (chips["release_year"] >= 2020) & chips["bf16_tflops"].notna()]
    # Every Ampere-or-later NVIDIA row says how the dense figure was obtained.
    for name, note in nvidia["notes"].items():
        assert re.search(r"dense|sparse|sparsity", note, re.I), name
