"""Serving and training estimates: the shapes they are built from, and how scenarios and layouts behave."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipcmp.data.models import catalogue


def _serve(cli, *args):
    r = cli("serve", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return {x["name"]: x for x in json.loads(r.stdout)["rows"]}


def test_mla_kv_cache_is_the_latent_not_the_heads():
    """DeepSeek-V3 and Kimi K2 use multi-head latent attention: per token and layer the cache holds the 512-wide
    latent and the 64-wide RoPE key (DeepSeek-V3 config.json: kv_lora_rank 512, qk_rope_head_dim 64; 61 layers;
    Kimi K2's config uses the same dims), not 2 x heads x head dim."""
    from chipcmp.data.models import find

    for name in ("DeepSeek-V3", "Kimi K2"):
        assert find(name).kv_elements_per_token() == 61 * (512 + 64), name


def test_scenarios_never_give_more_output_under_tighter_limits(cli):
    """interactive <= server <= offline: a tighter latency limit never buys output (MLPerf's limits). Where the
    KV cache caps the batch first, the three coincide."""
    for chip, name in (("H100", "H100 SXM"), ("MI300X", "MI300X"), ("Ascend 910C", "Ascend 910C")):
        got = {s: _serve(cli, chip, "--model", "Llama 3.1 70B", "--scenario", s)[name]["tokens_s_chip"]
               for s in ("interactive", "server", "offline")}
        assert got["interactive"] <= got["server"] <= got["offline"], (chip, got)


def test_offline_never_prices_a_layout_that_outputs_nothing(cli):
    """Without latency limits, a model too big for a PCIe card's one-chip domain used to come back as a layout
    with no output, and its cost per token divided by zero (an internal error for every chip list). It is no
    estimate, with the reason."""
    rows = _serve(cli, "--model", "Llama 3.1 70B", "--scenario", "offline")
    l40s = rows["L40S"]  # 48 GB on PCIe: 140 GB of weights need 4 chips
    assert l40s["tokens_s_chip"] is None
    assert "needs 4 chips, beyond its 1-chip scale-up domain" in l40s["note"]
    assert all(r["tokens_s_chip"] is None or r["tokens_s_chip"] > 0 for r in rows.values())
    assert rows["H100 SXM"]["tokens_s_chip"] > 0


def test_interactive_meets_its_latency_limit(cli):
    row = _serve(cli, "H100", "--model", "Llama 3.1 70B", "--scenario", "interactive")["H100 SXM"]
    assert row["tpot_ms"] <= 40 and row["ttft_s"] <= 0.45  # MLPerf llama2-70b interactive: TPOT 40 ms, TTFT 450 ms


def test_params_with_fewer_active_is_moe_in_train_and_serve(cli):
    """--params with --active-params below it is a mixture of experts: training counts the active ones, serving
    says MoE (and holds every weight)."""
    t = cli("train", "H100", "--params", "671B", "--active-params", "37B", "--tokens", "1T", "--format", "json")
    assert json.loads(t.stdout)["assumptions"]["active_params"] == 37e9
    s = cli("serve", "H100", "--params", "671B", "--active-params", "37B", "--format", "json")
    assert s.exit_code == 0, s.stderr
    assert "MoE" in json.loads(s.stdout)["title"]


def test_bare_910c_uses_an_8_chip_box_not_the_whole_pod(cli):
    """Without --system a chip is served in the smallest box its systems table lists (or 8 chips on a fast
    interconnect): an Ascend 910C on its own is not a CloudMatrix 384."""
    row = _serve(cli, "Ascend 910C", "--model", "Llama 3.1 70B")["Ascend 910C"]
    assert "384" not in row["box"]


@pytest.mark.parametrize("model", ["Llama 3.1 70B", "DeepSeek-V3"])
def test_every_estimate_has_its_range(cli, model):
    for name, row in _serve(cli, "H100", "H20", "Ascend 910C", "MI300X", "--model", model).items():
        if row["tokens_s_chip"] is None:
            assert row["note"], name  # no estimate says why
            continue
        assert row["tokens_s_chip_low"] < row["tokens_s_chip"] < row["tokens_s_chip_high"], name
        assert row["tokens_range"], name


def test_calibration_from_the_bundle_is_what_the_files_give(cli, monkeypatch):
    """The bundled calibration table (built once per release) equals the one estimated leave-one-out from the CSV
    files at run time."""
    from chipcmp.data import bundle

    bundled = cli("calibration", "--format", "json")
    monkeypatch.setattr(bundle, "computed", lambda ds, key: None)
    fresh = cli("calibration", "--format", "json")
    assert bundled.exit_code == 0 and fresh.exit_code == 0, (bundled.stderr, fresh.stderr)
    a, b = json.loads(bundled.stdout), json.loads(fresh.stdout)
    assert a["rows"] == b["rows"] and a["assumptions"] == b["assumptions"] and a["notes"] == b["notes"]
    assert len(a["rows"]) > 20


def test_a_chip_without_power_still_gets_its_price_share_per_token(cli):
    """No power is published for the Ascend 910B, so $/M tok bought is unknown; its price's share alone (price
    over 4 years ÷ the tokens a chip-hour makes) is a floor under it, given in the row and its note."""
    row = _serve(cli, "Ascend 910B", "--model", "Llama 3.1 70B")["Ascend 910B"]
    assert row["usd_per_mtok_buy"] is None
    floor = row["price_usd"] / (4 * 8760) / (row["tokens_s_chip"] * 3600 / 1e6)
    assert row["usd_per_mtok_capex"] == pytest.approx(floor)
    from chipcmp.text import two_significant

    least = row["price_usd_low"] / (4 * 8760) / (row["tokens_s_chip_high"] * 3600 / 1e6)
    assert row["usd_range"] == "≥" + two_significant(least)  # the lowest price at the fastest estimate
    assert "the least it can cost" in row["note"]
    h20 = _serve(cli, "H20", "--model", "Llama 3.1 70B")["H20"]
    assert h20["usd_per_mtok_capex"] < h20["usd_per_mtok_buy"]  # energy adds to the price's share


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(range(len(catalogue()))), peak=st.floats(50, 5000), bw=st.floats(0.5, 10),
       memory=st.sampled_from([24.0, 48.0, 80.0, 96.0, 141.0, 192.0, 288.0]),
       link=st.one_of(st.just(0.0), st.floats(1, 1800)),
       domain=st.sampled_from([1, 8, 72, 384]), scaleout=st.sampled_from([None, 50.0, 400.0]),
       weight=st.sampled_from([0.5, 1.0, 2.0]), prompt=st.integers(128, 16384), output=st.integers(64, 4096),
       tpot=st.sampled_from([None, 20.0, 50.0, 200.0]), ttft=st.sampled_from([None, 450.0, 2000.0]),
       tps=st.sampled_from([1.0, 1.7]))
def test_the_bisected_batch_search_finds_what_trying_every_batch_finds(model, peak, bw, memory, link, domain,
                                                                      scaleout, weight, prompt, output, tpot,
                                                                      ttft, tps) -> None:
    """The layout search bisects for the largest batch that passes: the same estimate as trying every batch
    in turn and keeping the most output per chip (the search as it was first written), where a layout that outputs
    nothing is none. Links are a fabric's (1 GB/s or more) or unknown (0): on a link of a few bytes a second every
    batch's output is ~0 and they tie."""
    from chipcmp.estimate import replica

    shape = replica.Shape(catalogue()[model], weight, 2.0, prompt, output, tpot, ttft, tps)
    chip = replica.Chip(peak, bw, memory, link, domain, scaleout, 0.6, 0.8)
    expected = None
    for n in replica.replica_sizes(shape, chip, None):
        for b in replica.BATCHES:
            e = replica.estimate(shape, chip, n, b)
            if e is None or not replica._meets(shape, e):
                break
            if e.tokens_s > 0 and (expected is None or replica._key(e, chip) > replica._key(expected, chip)):
                expected = e
    assert replica.best(shape, chip) == expected
