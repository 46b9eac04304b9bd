"""`chipcmp plan`: fleet arithmetic by hand, the export filter against the rule registry, constraints, formats."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest


def _plan(cli, *args):
    r = cli("plan", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def _serve_row(cli, chip, *args):
    r = cli("serve", chip, *args, "--format", "json")
    return json.loads(r.stdout)["rows"][0]


def test_serve_fleet_by_hand(cli):
    """Fleet = output rate ÷ the replica's rate, rounded up to whole replicas; capex = chips × price; MW = chips ×
    the power basis (H100 SXM: TDP 700 W)."""
    rate = 100_000
    s = _serve_row(cli, "H100", "--model", "Llama 3.1 70B")
    data = _plan(cli, "serve", "H100", "--model", "Llama 3.1 70B", "--output-rate", str(rate), "--no-pods")
    row = data["rows"][0]
    cpr = s["chips_per_replica"]
    chips = math.ceil(rate / (s["tokens_s_chip"] * cpr)) * cpr
    assert row["chips"] == chips
    assert row["capex_musd"] == pytest.approx(chips * s["price_usd"] / 1e6)
    assert row["power_mw"] == pytest.approx(chips * 700 / 1e6)
    assert row["chips_low"] <= row["chips"] <= row["chips_high"]
    assert row["usd_per_mtok_out_low"] <= row["usd_per_mtok_out"] <= row["usd_per_mtok_out_high"]
    assert row["usd_per_mtok_out"] == pytest.approx(s["usd_per_chip_hour"] / (s["decode_tokens_s_chip"] * 3600) * 1e6)


def test_train_fleet_by_hand(cli):
    """Chips for --days = chip-hours ÷ (days × 24), rounded up (chip-hours from `train` at the default MFU)."""
    t = json.loads(cli("train", "H100", "--model", "Llama 3.1 70B", "--tokens", "15T", "-f", "json").stdout)["rows"][0]
    row = _plan(cli, "train", "H100", "--model", "Llama 3.1 70B", "--tokens", "15T", "--days", "90")["rows"][0]
    assert row["chips"] == math.ceil(t["chip_hours"] / (90 * 24))
    assert row["chips_low"] < row["chips"] < row["chips_high"]  # the MFU range
    days = _plan(cli, "train", "H100", "--model", "Llama 3.1 70B", "--tokens", "15T", "--chips", "4096")["rows"][0]
    assert days["days"] == pytest.approx(t["chip_hours"] / 4096 / 24)


def test_buyer_filter_follows_the_rule_registry(cli):
    """CN under 2023-10 keeps H20 (not 3A090), the Ascend parts (domestic) and CloudMatrix 384, drops H100, H800
    and B200 (3A090.a); under 2026-01 the H100 is case by case (kept, said so) and B200 presumed denied."""
    names = {r["name"]: r for r in _plan(cli, "serve", "--model", "DeepSeek-V3", "--output-rate", "100000",
                                            "--buyer", "CN", "--rule", "2023-10")["rows"]}
    assert {"H20", "Ascend 910C", "Huawei CloudMatrix 384"} <= set(names)
    assert not {"H100 SXM", "H800 SXM", "B200 SXM"} & set(names)
    assert names["Ascend 910C"]["export"].startswith("domestic")
    later = {r["name"]: r for r in _plan(cli, "serve", "H100", "B200", "H20", "--model", "Llama 3.1 70B",
                                         "--output-rate", "10000", "--buyer", "CN", "--rule", "2026-01")["rows"]}
    assert "case by case" in later["H100 SXM"]["export"] and "B200 SXM" not in later
    us = _plan(cli, "serve", "H100", "--model", "Llama 3.1 70B", "--output-rate", "10000", "--buyer", "US",
               "--rule", "2023-10")["rows"]
    assert us and us[0]["name"] == "H100 SXM"


def test_budget_marks_or_fits(cli):
    args = ("serve", "H100", "H20", "--model", "Llama 3.1 70B", "--output-rate", "100000", "--no-pods")
    free = {r["name"]: r for r in _plan(cli, *args)["rows"]}
    budget = free["H100 SXM"]["capex_musd"] * 1e6 / 2
    over = {r["name"]: r for r in _plan(cli, *args, "--budget", str(budget))["rows"]}
    assert over["H100 SXM"]["status"] == "over budget 2.0×"
    fit = {r["name"]: r for r in _plan(cli, *args, "--budget", str(budget), "--fit")["rows"]}
    assert fit["H100 SXM"]["capex_musd"] * 1e6 <= budget
    assert fit["H100 SXM"]["status"].startswith("scaled to fit budget")
    power = {r["name"]: r for r in _plan(cli, *args, "--power", "0.01")["rows"]}
    assert power["H20"]["status"].startswith("over power")


def test_infeasible_options_come_last_and_the_verdict_names_the_winner(cli):
    r = cli("plan", "serve", "H100", "H20", "--model", "Llama 3.1 70B", "--output-rate", "100000", "--no-pods")
    assert "Verdict: " in r.stdout
    data = _plan(cli, "serve", "H100", "H20", "--model", "Llama 3.1 70B", "--output-rate", "100000", "--no-pods",
                 "--budget", "1000000")
    assert [x["feasible"] for x in data["rows"]] == sorted([x["feasible"] for x in data["rows"]], reverse=True)


def test_every_format_carries_the_ranges(cli):
    args = ("plan", "serve", "H100", "H20", "--model", "Llama 3.1 70B", "--output-rate", "10000", "--no-pods")
    data = json.loads(cli(*args, "-f", "json").stdout)
    assert data["command"] == "plan" and data["assumptions"]["output_rate"] == 10000
    rows = list(csv.DictReader(io.StringIO(cli(*args, "-f", "csv").stdout)))
    for key in ("chips_low", "chips_high", "capex_musd_low", "capex_musd_high", "usd_per_mtok_out_low"):
        assert key in rows[0] and key in data["rows"][0]
    assert "range" in cli(*args, "-f", "markdown").stdout


@pytest.mark.parametrize(("args", "message"), [
    (("serve", "--model", "Llama 3.1 70B"), "--output-rate"),
    (("serve", "--model", "Llama 3.1 70B", "--output-rate", "10", "--days", "3"), "plan train"),
    (("train", "--model", "Llama 3.1 70B", "--tokens", "1T"), "--days"),
    (("serve", "--model", "Llama 3.1 70B", "--output-rate", "10", "--buyer", "CN"), "--rule"),
    (("serve", "--model", "Llama 3.1 70B", "--output-rate", "10", "--fit"), "--budget"),
    (("serve", "--model", "Llama 3.1 70B", "--output-rate", "10", "--by", "speed"), "--by"),
])
def test_bad_plans_get_one_line(cli, args, message):
    r = cli("plan", *args)
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_chip_without_power_gets_the_power_it_would_need_to_win(cli):
    """Huawei publishes no power for the Ascend 910B, so it has no $ per token; the verdict gives the draw per
    chip under which it would beat the winner, by hand: the winner's $/M × the 910B's decode rate is the chip-hour
    cost that ties; less the 910B's price over 4 years, the rest buys energy at PUE 1.3 and $0.10/kWh."""
    import re

    data = _plan(cli, "serve", "Ascend 910B", "H20", "--model", "Llama 3.1 70B", "--output-rate", "100000",
                 "--no-pods")
    rows = {r["name"]: r for r in data["rows"]}
    h20, b = rows["H20"], _serve_row(cli, "Ascend 910B", "--model", "Llama 3.1 70B")
    assert rows["Ascend 910B"]["usd_per_mtok_out"] is None
    tie_hour = h20["usd_per_mtok_out"] * b["decode_tokens_s_chip"] * 3600 / 1e6
    watts = (tie_hour - b["price_usd"] / (4 * 8760)) / (1.3 * 0.10) * 1000
    verdict = next(n for n in data["notes"] if n.startswith("Verdict"))
    got = re.search(r"Ascend 910B \(no power figure\) wins if it draws under ([\d,.]+) W per chip", verdict)
    assert got and float(got[1].replace(",", "")) == pytest.approx(watts, rel=0.05)


def test_a_chip_whose_price_alone_loses_is_told_so(cli):
    """DeepSeek-V3 at two million tokens/s for a CN buyer: the Ascend 910B now serves it across Atlas 800T A2
    servers (msModeling's A2 CLOS network, 25 GB/s per direction per NPU), but needs so many chips that its price
    alone costs more per token than the H20's whole cost: whatever power it draws, it cannot win."""
    data = _plan(cli, "serve", "Ascend 910B", "H20", "--model", "DeepSeek-V3", "--output-rate", "2000000",
                 "--tpot-ms", "50", "--buyer", "CN", "--rule", "2023-10", "--no-pods")
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["Ascend 910B"]["chips"] > rows["H20"]["chips"]
    verdict = next(n for n in data["notes"] if n.startswith("Verdict"))
    assert ("Ascend 910B cannot win at the central estimates: its price alone costs more per token, whatever its "
            "power (the ranges overlap, so this is not certain)") in verdict  # ≥0.099 against the H20's 0.041–0.36
    from chipcmp.text import two_significant

    b = _serve_row(cli, "Ascend 910B", "--model", "DeepSeek-V3", "--tpot-ms", "50")
    least = b["price_usd_low"] / (4 * 8760) / (b["decode_tokens_s_chip_high"] * 3600) * 1e6
    assert rows["Ascend 910B"]["out_range"] == "≥" + two_significant(least)
