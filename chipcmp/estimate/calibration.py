"""`chipcmp calibration`: the estimates of `train` and `serve` beside published results (data/calibration.csv),
with the ratio, so a reader sees how far an estimate is from what was measured before acting on it.

A published result enters the table when its shape is stated in the source: model, chips, precision and, for
serving, prompt and output lengths (and batch, where fixed). Results without a stated shape (MLPerf's dataset
lengths were not read) stay in the data file, out of the table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chipcmp.core.result import Col, Result
from chipcmp.data.reader import Rows, bundled
from chipcmp.errors import UsageError
from chipcmp.estimate.formulas import DEFAULT_MFU, training_flops

if TYPE_CHECKING:
    from chipcmp.data.dataset import Dataset


CALIBRATION = "calibration.csv"




# Tokens of training runs whose calibration row states them in its scenario; others come from the model card text
# quoted in the row's note ("15T+" for Llama 3.1: taken as 15T).
_TOKENS = re.compile(r"([0-9.]+)T tokens|([0-9.]+)T\+")


def _rows() -> Rows:
    return bundled(CALIBRATION)


def calibration(ds: Dataset) -> Result:
    import pandas as pd

    from chipcmp.data.models import find
    from chipcmp.data.names import name_keys, resolve
    from chipcmp.estimate.serving import ServePlan, best_batch, chip_spec, estimate

    out = []
    skipped: list[str] = []
    labels: dict[str, object] = {}
    keys = name_keys(ds.frame)  # folded once for every lookup
    for r in _rows():
        try:
            value = float(r["value"])
        except ValueError:
            continue
        try:
            model = find(r["model"])
            if r["chip"] not in labels:
                (labels[r["chip"]],) = resolve(ds.frame, [r["chip"]], keys=keys)
            label = labels[r["chip"]]
        except UsageError:
            skipped.append(f"{r['model']} on {r['chip']}")
            continue
        chip = ds.frame.loc[label]
        if r["kind"] == "training" and r["metric"] == "gpu_hours":
            m = _TOKENS.search(r["scenario"] + " " + r["note"])
            if not m:
                continue
            tokens = float(m[1] or m[2]) * 1e12
            n = model.active_params if model.moe else model.params
            est = training_flops(n, tokens) / (float(chip["bf16_tflops"]) * 1e12 * DEFAULT_MFU) / 3600
            shape = f"{(m[1] or m[2])}T tokens, MFU {DEFAULT_MFU:g}, BF16 peak"
            out.append({"result": f"{model.name} training", "chip": chip["name"], "shape": shape,
                        "estimate": est, "published": value, "unit": "chip-hours", "source": r["source_url"]})
            continue
        lengths = re.search(r"input (\d+) / output (\d+)", r["scenario"])
        if r["kind"] != "inference" or not lengths or not r["chips"]:
            continue
        batch = re.search(r"batch (\d+)", r["scenario"])
        prompt, output = int(lengths[1]), int(lengths[2])
        precision = (r["precision"] or "bf16").lower()
        wbytes = 1.0 if precision == "fp8" else 2.0
        plan = ServePlan(model, wbytes, 2.0, precision if precision in ("bf16", "fp8") else "bf16", prompt, output,
                         int(batch[1]) if batch else None, 60_000.0, replica=int(r["chips"]))
        spec = chip_spec(chip, plan.precision, None)
        e = estimate(plan, spec, plan.batch) if plan.batch else best_batch(plan, spec)
        if e is None:
            continue
        out.append({"result": f"{model.name} {precision.upper()} serving", "chip": chip["name"],
                    "shape": f"{r['chips']} chips, in {prompt} / out {output}" +
                             (f", batch {batch[1]}" if batch else ", max load"),
                    "estimate": e.tokens_s, "published": value, "unit": "output tok/s", "source": r["source_url"]})
    df = pd.DataFrame(out)
    df["ratio"] = df["estimate"] / df["published"]
    cols = [Col("result", "Published result", keep=True), Col("chip", "Chip"), Col("shape", "Shape"),
            Col("estimate", "Estimate", True, keep=True), Col("published", "Published", True, keep=True),
            Col("unit", "Unit"), Col("ratio", "Estimate / published", True, kind="ratio", keep=True),
            Col("source", "Source")]
    notes = ["Serving: `chipcmp serve` with the shape of the published run (its chips as one replica, its prompt and "
             "output lengths, batch where fixed, else the best under 60 s per token); training: `chipcmp train` at "
             f"MFU {DEFAULT_MFU:g}. A ratio above 1 means the estimate is optimistic.",
             f"{len(df)} published results from data/calibration.csv (each row names its source)."]
    if skipped:
        notes.append(f"Not estimated, as their model or chip is not in the data: {'; '.join(skipped)} (kept in "
                     "calibration.csv for the record).")
    return Result(df, cols, title="Estimates against published results", notes=notes)
