"""How many of one chip equal N of another by a metric (or every metric), with the power, money and systems
that takes, and training days on each side when a model and tokens are given."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from chipcmp.core.fields import check_field, field_values, with_metrics
from chipcmp.core.result import Col, Result
from chipcmp.data.systems import catalogue, known
from chipcmp.errors import UsageError
from chipcmp.estimate.formulas import DEFAULT_MFU, power_basis
from chipcmp.ranges import check_range
from chipcmp.text import shorten

if TYPE_CHECKING:

    from chipcmp.data.dataset import Dataset


MATCH_METRICS = ("bf16_tflops", "fp8_tflops", "bf16_achieved_tflops", "fp8_achieved_tflops", "memory_gb",
                 "memory_bw_tbs", "tpp")


def match(ds: Dataset, chip: str, other: str, count: int, by: str, model_flops: float | None = None,
          mfu: float = DEFAULT_MFU) -> Result:
    """How many of `chip` equal `count` of `other` by a metric (or every sensible one), with power, cost and
    systems; with `model_flops`, the days a training run takes on each side."""
    import pandas as pd

    from chipcmp.data.names import resolve

    check_range(count, "--count")
    a_lbl, b_lbl = resolve(ds.frame, [chip, other])
    if by != "all" and by not in MATCH_METRICS:
        raise UsageError(f"--by {shorten(by)!r} is not a quantity to match by; use one of {', '.join(MATCH_METRICS)}, "
                         "or all")
    metrics = list(MATCH_METRICS) if by == "all" else [by]
    both = with_metrics(ds.frame.loc[[a_lbl, b_lbl]], metrics)
    a, b = both.loc[a_lbl], both.loc[b_lbl]
    sys_of = {s.chip: s for s in sorted(catalogue(), key=lambda s: s.chips)}
    rows = []
    for m in metrics:
        va, vb = field_values(both, m).loc[a_lbl], field_values(both, m).loc[b_lbl]
        row: dict[str, object] = {"metric": m}
        if not (known(va) and known(vb) and va > 0):
            lbl, side = (a_lbl, a) if not known(va) or not va else (b_lbl, b)
            inputs = [m] if m in ds.frame.columns else list(getattr(check_field(m), "inputs", ()))
            na = any(ds.is_unsupported(lbl, i) for i in inputs)
            row["note"] = f"{side['name']} {'does not support it' if na else 'has no known figure'}"
            rows.append(row)
            continue
        n = math.ceil(count * vb / va)
        row.update(per_chip_ratio=vb / va, chips_needed=n)
        for side, cnt, c in (("a", n, a), ("b", count, b)):
            watts, _ = power_basis(c["tdp_w"], c["deployed_w"], c["deployed_scope"])
            row[f"{side}_power_mw"] = cnt * watts / 1e6 if watts else float("nan")
            row[f"{side}_cost_musd"] = cnt * c["price_usd"] / 1e6 if c["price_usd"] == c["price_usd"] else float("nan")
            s = sys_of.get(str(c["name"]))
            row[f"{side}_systems"] = f"{math.ceil(cnt / s.chips):,} × {s.name}" if s else ""
            if model_flops and c["bf16_tflops"] == c["bf16_tflops"]:
                row[f"{side}_train_days"] = model_flops / (cnt * c["bf16_tflops"] * 1e12 * mfu) / 86400
        rows.append(row)
    out = pd.DataFrame(rows)
    an, bn = str(a["name"]), str(b["name"])
    for c in ("per_chip_ratio", "chips_needed", "a_power_mw", "b_power_mw", "a_cost_musd", "b_cost_musd",
              "a_systems", "b_systems", "note"):
        if c not in out.columns:
            out[c] = float("nan") if not c.endswith(("systems", "note")) else ""
    cols = [Col("metric", "Matched by", keep=True),
            Col("chips_needed", f"{an} needed", True, kind="count", keep=True),
            Col("per_chip_ratio", f"{bn} / {an} per chip", True, kind="ratio"),
            Col("a_power_mw", f"{an} MW", True), Col("b_power_mw", f"{bn} MW", True),
            Col("a_cost_musd", f"{an} $M", True), Col("b_cost_musd", f"{bn} $M", True),
            Col("a_systems", f"{an} systems"), Col("b_systems", f"{bn} systems")]
    if model_flops:
        cols += [Col("a_train_days", f"{an} days", True, keep=True), Col("b_train_days", f"{bn} days", True, keep=True)]
    cols.append(Col("note", "Note", keep=True, kind="note"))
    notes = [f"{count:,} × {bn}: how many {an} give the same total by each metric; power is chips × TDP, else "
             "the chip's deployed power (a reference system's power ÷ chips; otherwise no hosts, network or cooling); "
             "cost is chips × the data's price (its kind and date: `chipcmp show`).",
             "Matching peak figures ignores what the interconnect and software deliver: a training cluster of "
             "weaker chips also needs more communication."
             + (" The metric rows disagree: choose the one your workload is bound by."
                if out["chips_needed"].nunique() > 1 else "")]
    if model_flops:
        notes.append(f"Training days at MFU {mfu:g} on BF16 dense peak for {model_flops:.3g} FLOPs.")
    return Result(out, cols, title=f"{an} to match {count:,} × {bn}", notes=notes,
                  assumptions={"chip": an, "to": bn, "count": count, "by": by, "mfu": mfu,
                               "model_flops": model_flops})
