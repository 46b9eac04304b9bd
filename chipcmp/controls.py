"""US export-control view: TPP, performance density and each rule version's classification, with headroom.

The rules are data (`RULES`): thresholds with the Federal Register citation, evaluated with three-valued logic so
that a chip whose die area is unknown gets an *unknown* class, never a guess. TPP and PD themselves are ordinary
registry metrics (`chipcmp rank --metric tpp`).

This is an informational calculation from public specifications, not legal advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp import schema
from chipcmp.core import Filters, check_positive, check_precision, select, with_metrics
from chipcmp.errors import UsageError
from chipcmp.result import Col, Result

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.dataset import Dataset

DISCLAIMER = ("Informational calculation from public specifications, not legal advice: the rules have conditions "
              "not modelled here (end use and end user, the 3A090.b data-centre exclusion, licence exceptions).")


@dataclass(frozen=True)
class Threshold:
    metric: str  # a registry field
    op: str  # ">=" or "<"
    value: float
    shown: str  # as the rule states it

    @property
    def key(self) -> str:
        return f"{self.metric}/{self.value:g}"


@dataclass(frozen=True)
class Outcome:
    label: str
    any_of: tuple[tuple[Threshold, ...], ...]  # OR of ANDs


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    effective: str
    citation: str
    url: str
    outcomes: tuple[Outcome, ...]  # tried in order; the first that holds is the class
    otherwise: str
    scope: tuple[str, tuple[str, ...]] | None = None  # (rule id, classes of it this rule applies to)
    out_of_scope: str = ""

    @property
    def thresholds(self) -> list[Threshold]:
        seen: dict[str, Threshold] = {}
        for o in self.outcomes:
            for clause in o.any_of:
                for t in clause:
                    seen.setdefault(t.key, t)
        return list(seen.values())


def _ge(metric: str, value: float, shown: str) -> Threshold:
    return Threshold(metric, ">=", value, shown)


def _lt(metric: str, value: float, shown: str) -> Threshold:
    return Threshold(metric, "<", value, shown)


TPP_4800 = _ge("tpp", 4800, "TPP ≥ 4,800")
RULES: tuple[Rule, ...] = (
    Rule(
        "2022-10", "Advanced computing items (first 3A090)", "2022-10-07",
        "87 FR 62186 (2022-10-13), ECCN 3A090",
        "",
        (Outcome("3A090", ((TPP_4800, _ge("interconnect_gbs", 600, "bidirectional I/O ≥ 600 GB/s")),)),),
        otherwise="not controlled",
    ),
    Rule(
        "2023-10", "Advanced computing items (TPP and performance density)", "2023-11-17",
        "88 FR 73458 (2023-10-25), ECCN 3A090.a / 3A090.b",
        "https://chipclaims.com/articles/eccn-3a090-tpp-performance-density-thresholds-2026-06-16",
        (
            Outcome("3A090.a", ((TPP_4800,), (_ge("tpp", 1600, "TPP ≥ 1,600"), _ge("pd", 5.92, "PD ≥ 5.92")))),
            Outcome("3A090.b", (
                (_ge("tpp", 2400, "TPP ≥ 2,400"), _ge("pd", 1.6, "PD ≥ 1.6"), _lt("pd", 5.92, "PD < 5.92")),
                (_ge("tpp", 1600, "TPP ≥ 1,600"), _ge("pd", 3.2, "PD ≥ 3.2"), _lt("pd", 5.92, "PD < 5.92")),
            )),
        ),
        otherwise="not 3A090",
    ),
    Rule(
        "2026-01", "Licence review policy for China and Macau (H200-class)", "2026-01-15",
        "91 FR 1684 (2026-01-15), FR Doc 2026-00789",
        "https://www.govinfo.gov/content/pkg/FR-2026-01-15/html/2026-00789.htm",
        (Outcome("case-by-case", ((_lt("tpp", 21000, "TPP < 21,000"),
                                   _lt("memory_bw_tbs", 6.5, "DRAM bandwidth < 6,500 GB/s")),)),),
        otherwise="presumption of denial",
        scope=("2023-10", ("3A090.a", "3A090.b")),
        out_of_scope="no 3A090 licence",
    ),
)
RULE_BY_ID = {r.id: r for r in RULES}

# Licence requirements aimed at named products rather than thresholds: shown as flags, never computed.
_H20 = ("https://www.nbcsandiego.com/news/business/money-report/nvidia-says-it-will-record-5-5-billion-quarterly-"
        "charge-tied-to-h20-processors-exported-to-china/3804789/")
_GP10 = "https://blog.freshfields.us/post/102ksla/bis-guidance-targets-prc-advanced-computing-integrated-circuits-in-high-probabil"
FLAGS: dict[str, tuple[str, str]] = {
    "H20": ("Apr 2025: US licence required for China, whatever the thresholds (NVIDIA filing, 2025-04-15)", _H20),
    "MI308X": ("Apr 2025: US licence required for China (Reuters, as reported with the H20 requirement)",
               "https://vuink.com/post/gbzfuneqjner-d-dpbz/tech-industry/artificial-intelligence/nvidia-writes-off-"
               "usd5-5-billion-in-gpus-as-us-govt-chokes-off-supply-of-h20s-to-china"),
    "Ascend 910B": ("May 2025 BIS guidance: presumed subject to General Prohibition 10 (use without BIS "
                    "authorisation risks enforcement)", _GP10),
    "Ascend 910C": ("May 2025 BIS guidance: presumed subject to General Prohibition 10 (use without BIS "
                    "authorisation risks enforcement)", _GP10),
}


def _condition(df: pd.DataFrame, t: Threshold) -> pd.Series:
    s = df[t.metric]
    hit = s.ge(t.value) if t.op == ">=" else s.lt(t.value)
    return hit.astype("boolean").mask(s.isna())  # unknown input: unknown answer (Kleene logic below)


def classify(df: pd.DataFrame, rule: Rule, prior: dict[str, pd.Series]) -> pd.Series:
    """The class of every row under `rule`; 'unknown (...)' where a missing figure decides it."""
    import pandas as pd

    label = pd.Series(pd.NA, index=df.index, dtype="object")
    decided = pd.Series(False, index=df.index)
    if rule.scope is not None:
        base = prior[rule.scope[0]]
        unknown_base = base.str.startswith("unknown")
        label[unknown_base] = base[unknown_base]
        outside = ~unknown_base & ~base.isin(rule.scope[1])
        label[outside] = rule.out_of_scope
        decided = unknown_base | outside
    for outcome in rule.outcomes:
        holds = pd.Series(False, index=df.index, dtype="boolean")
        for clause in outcome.any_of:
            both = pd.Series(True, index=df.index, dtype="boolean")
            for t in clause:
                both = both & _condition(df, t)
            holds = holds | both
        yes = holds.fillna(False).astype(bool) & ~decided
        label[yes] = outcome.label
        unknown = holds.isna() & ~decided
        label[unknown] = _unknown_reason(df[unknown], rule)
        decided = decided | yes | unknown
    label[~decided] = rule.otherwise
    return label


_NEEDS = {"tpp": "throughput", "pd": "die area", "interconnect_gbs": "interconnect", "memory_bw_tbs": "DRAM BW"}


def _unknown_reason(df: pd.DataFrame, rule: Rule) -> list[str]:
    metrics = sorted({t.metric for t in rule.thresholds}, key=list(_NEEDS).index)
    missing = df[metrics].isna()
    return ["unknown (no " + ", ".join(_NEEDS[m] for m in metrics if row[m]) + ")" for _, row in missing.iterrows()]


def what_if_frame(tflops: float | None, precision: str, tpp: float | None, die_area: float | None,
                  interconnect: float | None, memory_bw: float | None) -> pd.DataFrame:
    """A one-row frame for a hypothetical chip given on the command line."""
    import pandas as pd

    p = check_precision(precision)
    for name, v in (("--tflops", tflops), ("--tpp", tpp), ("--die-area", die_area),
                    ("--interconnect", interconnect), ("--memory-bw", memory_bw)):
        check_positive(v, name)
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


def controls(ds: Dataset | None, chips: list[str], filters: Filters, rule_ids: list[str],
             what_if: pd.DataFrame | None = None) -> Result:
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
    cols = [Col.of("name"), Col.of("vendor"), Col.of("tpp"), Col.of("pd"), Col.of("interconnect_gbs"),
            Col.of("memory_bw_tbs")]
    for rule in shown_rules:
        key = f"class_{rule.id}"
        out[key] = classes[rule.id]
        cols.append(Col(key, f"{rule.id} class"))
    if rule_ids:
        for rule in shown_rules:
            for t in rule.thresholds:
                out[t.key] = df[t.metric] / t.value
                cols.append(Col(t.key, f"vs {t.shown}", numeric=True, kind="headroom"))
    out["flags"] = out["name"].map({k: v[0] for k, v in FLAGS.items()}).fillna("")
    if out["flags"].ne("").any():
        cols.append(Col("flags", "Flags"))
    footer = [DISCLAIMER, *(f"{r.id}: {r.title}; in force {r.effective}; {r.citation}" + (f"; {r.url}" if r.url else "")
                            for r in shown_rules)]
    flagged = [n for n in out["name"] if n in FLAGS]
    footer += [f"Flag on {n}: {FLAGS[n][1]}" for n in flagged]
    if not rule_ids:
        footer.append("Add --rule ID for the headroom to each threshold of that rule (×, and % above or below).")
    meta = {"disclaimer": DISCLAIMER,
            "rules": [{"id": r.id, "title": r.title, "effective": r.effective, "citation": r.citation, "url": r.url,
                       "thresholds": [f"{t.metric} {t.op} {t.value:g}" for t in r.thresholds]} for r in shown_rules]}
    if ds is not None:
        meta |= {"dataset_version": ds.version}
    return Result(out, cols, title="US export-control classification from public specs", footer=footer, meta=meta)
