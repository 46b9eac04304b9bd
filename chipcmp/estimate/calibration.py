"""`chipcmp calibration`: every published result of data/calibration.csv beside the estimate, so a reader sees
how far to trust an estimate before acting on it; and the factors that scale raw estimates to those results.

Each result has a shape (model, chips and the system they sit in, precision, lengths, scenario or phase) and a
role: 'fit' results make their class's factor, 'holdout' results are kept aside to test it, 'record' results
are kept for the record (secondary or simulated figures). A fitted result is shown against the estimate made
without it (leave-one-out), so no result grades itself. Training: the default MFU is the median of the MFUs the
fitted runs imply, and each run is shown against the estimate at the MFU of the others.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from chipcmp.core.result import Col, Result
from chipcmp.data.reader import bundled
from chipcmp.errors import UsageError
from chipcmp.estimate import replica
from chipcmp.estimate.formulas import DEFAULT_MFU, bytes_per, training_flops
from chipcmp.estimate.scenarios import Factor, class_of, pick

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset

CALIBRATION = "calibration.csv"
PER_NODE, PER_NPU = "per_node", "per_npu"


class Row:
    """One published result, estimated: raw (uncalibrated) value in the result's unit, and its class."""

    __slots__ = ("cls", "published", "raw", "shape", "source", "why")

    def __init__(self, source: dict[str, str], published: float) -> None:
        self.source = source
        self.published = published
        self.raw: float | None = None
        self.cls = ""
        self.shape = ""
        self.why = ""  # why it has no estimate


def _rows(ds: Dataset) -> list[Row]:
    out = []
    for r in bundled(CALIBRATION):
        try:
            value = float(r["value"])
        except ValueError:
            continue
        row = Row(r, value)
        try:
            _estimate(ds, row)
        except UsageError as e:
            row.why = str(e)
        out.append(row)
    return out


def _estimate(ds: Dataset, row: Row) -> None:
    r = row.source
    if r["kind"] == "training":
        _estimate_training(ds, row)
        return
    from chipcmp.data.models import find

    model = find(r["model"])
    label, _ = _chip(ds, r)
    prec = r["precision"] or "fp8"
    compute = prec if prec in ("bf16", "fp8") else ("fp8" if prec == "fp4" else "int8")
    peak = ds.frame.at[label, f"{compute}_{'tops' if compute == 'int8' else 'tflops'}"]
    if not (isinstance(peak, float) and peak == peak):  # noqa: PLR0124
        raise UsageError(f"{r['chip']} has no {compute.upper()} figure")
    output = float(r["output_tokens"] or 0) or 294.45
    prompt = float(r["input_tokens"] or 0) or output  # not stated for MLPerf in the sources read: taken as output
    ttft = float(r["ttft_ms"]) if r["ttft_ms"] else None
    tpot = float(r["tpot_ms"]) if r["tpot_ms"] else None
    shape = replica.Shape(model, bytes_per(prec), bytes_per("bf16") if prec != "fp4" else 1.0, int(prompt),
                          int(output), tpot, ttft, float(r["tokens_per_step"] or 1))
    chip_obj = _chip_obj(ds, label, r, float(peak))
    batch = int(r["batch"]) if r["batch"] else None
    e = replica.best(shape, chip_obj, None, batch)
    if e is None:
        raise UsageError(replica.why_none(shape, chip_obj, None))
    row.cls = class_of(model.moe, r["scenario"])
    n = float(r["chips"] or 1)
    if r["phase"] == "decode":
        row.raw = e.decode_tokens_s / e.chips * (8 if PER_NODE in r["metric"] else 1)
    elif r["phase"] == "prefill":
        row.raw = shape.prompt / e.prefill_s / e.chips * (8 if PER_NODE in r["metric"] else 1)
    else:
        row.raw = e.tokens_s / e.chips * n
    row.shape = f"{r['chips']} × {r['chip']}, {prec}, in {prompt:g} / out {output:g}, {r['scenario']}; {e.layout}"


def _chip(ds: Dataset, r: dict[str, str]) -> tuple[Any, Any]:
    from chipcmp.data.names import resolve

    (label,) = resolve(ds.frame, [r["chip"]])
    return label, ds.frame.loc[label]


def _chip_obj(ds: Dataset, label: Any, r: dict[str, str], peak: float) -> replica.Chip:
    from chipcmp.estimate.boxes import box_of

    row = ds.frame.loc[label]
    box = box_of(str(row["name"]), row["interconnect_gbs"], r.get("system", "") if r.get("system") else "")
    c_eff, b_eff = replica.efficiencies(row, r["precision"] or "fp8")
    return replica.chip_of(row, peak, box.domain, box.scaleout_gbs, c_eff, b_eff)


def _estimate_training(ds: Dataset, row: Row) -> None:
    r = row.source
    if r["metric"] != "gpu_hours" or not r["train_tokens"]:
        raise UsageError("no GPU-hours and tokens to estimate (kept for the record)")
    from chipcmp.data.models import find

    model = find(r["model"])
    _, chip = _chip(ds, r)
    flops = training_flops(model.active_params, float(r["train_tokens"]))
    row.raw = flops / (float(chip["bf16_tflops"]) * 1e12) / 3600  # chip-hours at MFU 1: scaled by the MFU
    row.cls = "training"
    row.shape = f"{model.name}, {float(r['train_tokens']) / 1e12:g}T tokens, BF16 peak"


def factors(ds: Dataset) -> dict[str, Factor]:
    """Each class's factor from its fitted results (training: the MFU the runs imply)."""
    return _factors(_rows(ds))


def _factors(rows: list[Row]) -> dict[str, Factor]:
    ratios: dict[str, list[float]] = {}
    for row in rows:
        if row.raw and row.source["role"] == "fit":
            ratios.setdefault(row.cls, []).append(_ratio(row))
            if row.cls != "training":
                ratios.setdefault(row.cls.split()[0], []).append(_ratio(row))
    return {cls: f for cls, rs in ratios.items() if (f := Factor.of(rs)) is not None}


def _ratio(row: Row) -> float:
    """published ÷ raw (training: the MFU the run implies, raw being chip-hours at MFU 1)."""
    assert row.raw
    return row.raw / row.published if row.cls == "training" else row.published / row.raw


def _estimates(rows: list[Row]) -> list[dict[str, object]]:
    """Each result against its estimate: fitted ones at the factor of the others of their class."""
    out = []
    for row in rows:
        r = row.source
        item: dict[str, object] = {"result": f"{r['model']} {r['phase'] or r['kind']}", "chip": r["chip"],
                                   "role": r["role"], "class": row.cls, "shape": row.shape or row.why,
                                   "published": row.published, "unit": r["unit"], "source": r["source_url"]}
        others = [x for x in rows if x is not row]
        f = pick(_factors(others), row.cls) if row.raw else None
        if row.raw and f:
            est = row.raw / f.factor if row.cls == "training" else row.raw * f.factor
            item.update(estimate=est, ratio=est / row.published)
        out.append(item)
    return out


def chip_ratios(ds: Dataset) -> dict[str, list[float]]:
    """Per chip: the median leave-one-out estimate ÷ published ratio of its fitted and held-out serving results,
    and how many; an estimate for a chip whose own results sit far from 1 says so."""
    by: dict[str, list[float]] = {}
    for item in _estimates(_rows(ds)):
        ratio = item.get("ratio")
        if item["role"] != "record" and item["class"] != "training" and isinstance(ratio, float):
            by.setdefault(str(item["chip"]), []).append(ratio)
    return {c: [statistics.median(v), len(v)] for c, v in sorted(by.items())}


def summary(table: pd.DataFrame) -> list[str]:
    """Per group (dense serving, MoE serving, training): the leave-one-out median and worst ratio of the fitted
    results, and the held-out results' ratios."""
    lines = []
    groups = {"dense serving": table["class"].str.startswith("dense"), "MoE serving": table["class"].str.startswith(
        "moe"), "training": table["class"].eq("training")}
    for name, mask in groups.items():
        fit = table[mask & table["role"].eq("fit") & table["ratio"].notna()]["ratio"]
        hold = table[mask & table["role"].eq("holdout") & table["ratio"].notna()]["ratio"]
        if fit.empty and hold.empty:
            continue
        worst = max(fit, key=lambda x: max(x, 1 / x)) if not fit.empty else float("nan")
        lines.append(f"{name}: leave-one-out median {statistics.median(fit):.2f}×, worst {worst:.2f}× over "
                     f"{len(fit)} fitted results" + (f"; held out: {', '.join(f'{x:.2f}×' for x in hold)}"
                                                     if not hold.empty else ""))
    return lines


def calibration(ds: Dataset) -> Result:
    import pandas as pd

    from chipcmp.data import bundle

    # The bundled data's table is computed once per release (each result estimated leave-one-out: ~100 ms).
    stored, fitted = bundle.computed(ds, "calibration"), bundle.computed(ds, "factors")
    if stored is not None and fitted is not None:
        items, fs = stored, {c: Factor(*v) for c, v in fitted.items()}
    else:
        rows = _rows(ds)
        items, fs = _estimates(rows), _factors(rows)
    table = pd.DataFrame(items)
    for c in ("estimate", "ratio"):
        if c not in table.columns:
            table[c] = float("nan")
    cols = [Col("result", "Published result", keep=True), Col("chip", "Chip"), Col("role", "Role"),
            Col("class", "Class"), Col("estimate", "Estimate", True, keep=True),
            Col("published", "Published", True, keep=True), Col("unit", "Unit"),
            Col("ratio", "Estimate / published", True, kind="ratio", keep=True), Col("shape", "Shape"),
            Col("source", "Source")]
    notes = [*summary(table),
             "Factors (published ÷ raw model; training: the MFU runs imply): "
             + "; ".join(f"{c} {f.factor:.2f} ({f.low:.2f}–{f.high:.2f}, {f.n})" for c, f in sorted(fs.items())),
             f"fit: makes its class's factor and is shown at the factor of the others; holdout: kept aside to test "
             f"the factors; record: kept, not used. Training at MFU {DEFAULT_MFU:g} by default (the median the "
             "fitted runs imply). A ratio above 1 means the estimate is optimistic."]
    none = table[table["estimate"].isna()]
    by_reason: dict[str, dict[str, int]] = {}
    for a, b, c in zip(none["result"], none["chip"], none["shape"], strict=True):
        seen = by_reason.setdefault(str(c), {})
        seen[f"{a} on {b}"] = seen.get(f"{a} on {b}", 0) + 1
    for reason, results in by_reason.items():
        notes.append(f"No estimate, {reason}: " + "; ".join(r + (f" (×{n})" if n > 1 else "")
                                                            for r, n in results.items()))
    return Result(table, cols, title="Estimates against published results", notes=notes,
                  assumptions={"factors": {c: f._asdict() for c, f in fs.items()}})
