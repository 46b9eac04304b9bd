"""US export-control view: TPP, performance density and each rule version's classification, with headroom.

The rules are data (`RULES`): thresholds with the Federal Register citation, evaluated with three-valued logic so
that a chip whose die area is unknown gets an *unknown* class, never a guess. TPP and PD themselves are ordinary
registry metrics (`chipcmp rank --metric tpp`).

This is an informational calculation from public specifications, not legal advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chipcmp.core.fields import check_precision, with_metrics
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.data import schema
from chipcmp.errors import UsageError
from chipcmp.estimate.rules import DISCLAIMER, FLAGS, RULE_BY_ID, RULES, Rule, Threshold
from chipcmp.ranges import check_range

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def _condition(df: pd.DataFrame, t: Threshold) -> tuple[Any, Any]:
    """Three-valued: (true, unknown) masks. An unknown input makes an unknown answer."""
    import numpy as np

    v = df[t.metric].to_numpy(dtype="float64")
    unknown = np.isnan(v)
    with np.errstate(invalid="ignore"):
        true = (v >= t.value) if t.op == ">=" else (v < t.value)
    return true & ~unknown, unknown


def classify(df: pd.DataFrame, rule: Rule, prior: dict[str, pd.Series]) -> pd.Series:
    """The class of every row under `rule`; 'unknown (...)' where a missing figure decides it.

    Kleene logic on numpy masks, (true, unknown) per clause: AND is false when either side is false, OR is true
    when either side is true; otherwise an unknown side makes the answer unknown."""
    import numpy as np
    import pandas as pd

    n = len(df)
    label = np.full(n, None, dtype=object)
    decided = np.zeros(n, dtype=bool)
    if rule.scope is not None:
        base = prior[rule.scope[0]]
        unknown_base = base.str.startswith("unknown").to_numpy(dtype=bool)
        label[unknown_base] = base.to_numpy(dtype=object)[unknown_base]
        outside = ~unknown_base & ~base.isin(rule.scope[1]).to_numpy(dtype=bool)
        label[outside] = rule.out_of_scope
        decided = unknown_base | outside
    for outcome in rule.outcomes:
        holds, holds_unknown = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for clause in outcome.any_of:
            both, both_unknown = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
            for t in clause:
                true, unknown = _condition(df, t)
                false = ~true & ~unknown
                both_false = (~both & ~both_unknown) | false
                both, both_unknown = both & true, (both_unknown | unknown) & ~both_false
            holds = holds | both
            holds_unknown = (holds_unknown | both_unknown) & ~holds
        yes = holds & ~decided
        label[yes] = outcome.label
        unknown = holds_unknown & ~decided
        if unknown.any():
            label[unknown] = _unknown_reason(df[unknown], rule)
        decided = decided | yes | unknown
    label[~decided] = rule.otherwise
    return pd.Series(label, index=df.index, dtype="object")


_NEEDS = {"tpp": "throughput", "pd": "die area", "interconnect_gbs": "interconnect", "memory_bw_tbs": "DRAM BW"}


def _unknown_reason(df: pd.DataFrame, rule: Rule) -> list[str]:
    metrics = sorted({t.metric for t in rule.thresholds}, key=list(_NEEDS).index)
    missing = df[metrics].isna().to_numpy()
    return ["unknown (no " + ", ".join(_NEEDS[m] for m, gone in zip(metrics, row, strict=True) if gone) + ")"
            for row in missing]


def what_if_frame(tflops: float | None, precision: str, tpp: float | None, die_area: float | None,
                  interconnect: float | None, memory_bw: float | None) -> pd.DataFrame:
    """A one-row frame for a hypothetical chip given on the command line."""
    import pandas as pd

    p = check_precision(precision)
    for name, v in (("--tflops", tflops), ("--tpp", tpp), ("--die-area", die_area),
                    ("--interconnect", interconnect), ("--memory-bw", memory_bw)):
        check_range(v, name)
    if (tflops is None) == (tpp is None):
        raise UsageError("a what-if chip needs exactly one of --tflops (with --precision) or --tpp")
    row: dict[str, object] = {c.name: (float("nan") if c.numeric else pd.NA) for c in schema.COLUMNS}
    row.update(name="what-if", vendor="(hypothetical)", die_area_mm2=die_area, interconnect_gbs=interconnect,
               memory_bw_tbs=memory_bw)
    row[p.column] = tflops if tflops is not None else tpp / p.bits  # type: ignore[operator]
    df = pd.DataFrame([row])
    for c in schema.NUMERIC_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def parse_near(text: str | None) -> float | None:
    """'10%' or '10' -> 0.10; None when not given."""
    if text is None:
        return None
    import re

    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*%?\s*", text)
    value = float(m[1]) / 100 if m else -1.0
    if not 0 < value <= 1:
        raise UsageError(f"--near {text!r}: give a distance from 0 to 100%, e.g. --near 10%")
    return value


def _nearest(df: pd.DataFrame, rules: list[Rule]) -> tuple[pd.Series, pd.Series]:
    """Each chip's smallest relative distance to any threshold of `rules`, and which threshold that is."""
    import numpy as np
    import pandas as pd

    best = pd.Series(np.inf, index=df.index)
    which = pd.Series("", index=df.index, dtype=object)
    for rule in rules:
        for t in rule.thresholds:
            ratio = df[t.metric] / t.value
            dist = (ratio - 1).abs()
            closer = dist < best
            best = best.where(~closer, dist)
            which = which.where(~closer, [f"{rule.id}: {t.shown} ({r:.2f}×)" for r in ratio])
    return best, which


def controls(  # noqa: PLR0912 -- classes, headroom, nearness and flags, each optional
    ds: Dataset | None, chips: list[str], filters: Filters, rule_ids: list[str],
    what_if: pd.DataFrame | None = None, near: float | None = None,
) -> Result:
    """TPP, PD, the class under each rule (or the chosen ones) and, for chosen rules, headroom to each threshold."""
    for r in rule_ids:
        if r not in RULE_BY_ID:
            raise UsageError(f"--rule {r!r} is not a rule version; use one of {', '.join(RULE_BY_ID)}")
    if what_if is not None:
        df = what_if
    else:
        assert ds is not None
        df = select(ds, chips, filters)
    df = with_metrics(df, ["tpp", "pd"])
    classes: dict[str, pd.Series] = {}
    for rule in RULES:  # every rule, in order: later ones may be scoped by earlier ones
        classes[rule.id] = classify(df, rule, classes)
    shown_rules = [RULE_BY_ID[r] for r in rule_ids] if rule_ids else list(RULES)
    out = df[["name", "vendor", "tpp", "pd", "interconnect_gbs", "memory_bw_tbs"]].copy()
    cols = [Col.of("name"), Col.of("vendor"), Col.of("tpp", keep=True), Col.of("pd", keep=True),
            Col.of("interconnect_gbs"),
            Col.of("memory_bw_tbs")]
    for rule in shown_rules:
        key = f"class_{rule.id}"
        out[key] = classes[rule.id]
        cols.append(Col(key, f"{rule.id} class", keep=True))
    if rule_ids:
        for rule in shown_rules:
            for t in rule.thresholds:
                out[t.key] = df[t.metric] / t.value
                cols.append(Col(t.key, f"vs {t.shown}", numeric=True, kind="headroom", keep=True))  # --rule asked
    if near is not None:
        dist, which = _nearest(df, shown_rules)
        keep = dist <= near
        if not keep.any():
            from chipcmp.errors import EmptyResult

            raise EmptyResult(f"no chip is within {near:.0%} of a threshold of "
                              f"{', '.join(r.id for r in shown_rules)}; try a larger --near")
        out = out.assign(nearest=which)[keep]
        df = df[keep]
        cols.append(Col("nearest", "Nearest threshold", keep=True))
    out["flags"] = out["name"].map({k: v[0] for k, v in FLAGS.items()}).fillna("")
    if out["flags"].ne("").any():
        cols.append(Col("flags", "Flags"))
    footer = [DISCLAIMER, *(f"{r.id}: {r.title}; in force {r.effective}; {r.citation}" + (f"; {r.url}" if r.url else "")
                            for r in shown_rules)]
    flagged = [n for n in out["name"] if n in FLAGS]
    footer += [f"Flag on {n}: {FLAGS[n][1]}" for n in flagged]
    if not rule_ids:
        footer.append("Add --rule ID for the headroom to each threshold of that rule (×, and % above or below).")
    meta = {"disclaimer": DISCLAIMER, "near": near,
            "rules": [{"id": r.id, "title": r.title, "effective": r.effective, "citation": r.citation, "url": r.url,
                       "thresholds": [f"{t.metric} {t.op} {t.value:g}" for t in r.thresholds]} for r in shown_rules]}
    return Result(out, cols, title="US export-control classification from public specs", notes=footer, assumptions=meta)
