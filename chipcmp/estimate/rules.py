"""The US export-control rules as data: thresholds with their Federal Register citations, and product flags.

Alone in a module without pandas so that `--help` and completion can offer the rule ids. `chipcmp.controls`
evaluates them.
"""

from typing import NamedTuple

DISCLAIMER = ("Informational calculation from public specifications, not legal advice: the rules have conditions "
              "not modelled here (end use and end user, the 3A090.b data-centre exclusion, licence exceptions).")


class Threshold(NamedTuple):
    metric: str  # a registry field
    op: str  # ">=" or "<"
    value: float
    shown: str  # as the rule states it

    @property
    def key(self) -> str:
        return f"{self.metric}/{self.value:g}"


class Outcome(NamedTuple):
    label: str
    any_of: tuple[tuple[Threshold, ...], ...]  # OR of ANDs


class Rule(NamedTuple):
    id: str
    title: str
    effective: str
    citation: str
    url: str
    outcomes: tuple[Outcome, ...]  # tried in order; the first that holds is the class
    otherwise: str
    scope: tuple[str, tuple[str, ...]] | None = None  # (rule id, classes of it this rule applies to)
    out_of_scope: str = ""
    # What a class means for a buyer in `licence_for`: "licence" (a US licence is required; the rule states no
    # review policy here, so a plan treats it as not obtainable), "case-by-case" (kept, flagged), "denial"
    # (presumption of denial: not obtainable). A class not listed needs no licence under this rule.
    licence: tuple[tuple[str, str], ...] = ()
    licence_for: tuple[str, ...] = ("CN", "MO")  # buyer countries (ISO) the licence requirement is modelled for

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
        licence=(("3A090", "licence"),),
    ),
    Rule(
        "2023-10", "Advanced computing items (TPP and performance density)", "2023-11-17",
        "88 FR 73458 (2023-10-25), ECCN 3A090.a / 3A090.b",
        "",
        (
            Outcome("3A090.a", ((TPP_4800,), (_ge("tpp", 1600, "TPP ≥ 1,600"), _ge("pd", 5.92, "PD ≥ 5.92")))),
            Outcome("3A090.b", (
                (_ge("tpp", 2400, "TPP ≥ 2,400"), _ge("pd", 1.6, "PD ≥ 1.6"), _lt("pd", 5.92, "PD < 5.92")),
                (_ge("tpp", 1600, "TPP ≥ 1,600"), _ge("pd", 3.2, "PD ≥ 3.2"), _lt("pd", 5.92, "PD < 5.92")),
            )),
        ),
        otherwise="not 3A090",
        licence=(("3A090.a", "licence"), ("3A090.b", "licence")),
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
        licence=(("case-by-case", "case-by-case"), ("presumption of denial", "denial")),
    ),
)


RULE_BY_ID = {r.id: r for r in RULES}


# Licence requirements aimed at named products rather than thresholds: shown as flags, never computed.
_H20 = ("https://www.nbcsandiego.com/news/business/money-report/nvidia-says-it-will-record-5-5-billion-quarterly-"
        "charge-tied-to-h20-processors-exported-to-china/3804789/")


_GP10 = "https://blog.freshfields.us/post/102ksla/bis-guidance-targets-prc-advanced-computing-integrated-circuits-in-high-probabil"


FLAGS: dict[str, tuple[str, str]] = {
    "H20": ("Apr 2025: US licence required for China, whatever the thresholds (NVIDIA filing, 2025-04-15)", _H20),
    "MI308X": ("Apr 2025: US licence required for China (AMD's MI308 named with the H20 requirement, tech360.tv)",
               "https://www.biz360.tv/nvidia-hit-sgd-7-5-billion-charge-us-blocks-ai-chip-sales-china"),
    "Ascend 910B": ("May 2025 BIS guidance: presumed subject to General Prohibition 10 (use without BIS "
                    "authorisation risks enforcement)", _GP10),
    "Ascend 910C": ("May 2025 BIS guidance: presumed subject to General Prohibition 10 (use without BIS "
                    "authorisation risks enforcement)", _GP10),
}
