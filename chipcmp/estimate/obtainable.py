"""What a buyer may obtain under an export rule, decided by the rule registry (`rules.RULES`), never a hand list.

A part from the buyer's own country is always obtainable. Otherwise the part's class under the rule says: no
licence needed (kept), a licence reviewed case by case (kept, flagged), a licence the rule presumes denied or
for which it states no review policy (dropped, with the reason). A class the data cannot decide (no die area)
is kept and flagged as unknown. Product flags (the H20's 2025 licence requirement) are carried as flags.
An informational calculation from public specifications, not legal advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chipcmp.errors import UsageError
from chipcmp.estimate.rules import FLAGS, RULE_BY_ID, RULES

if TYPE_CHECKING:
    import pandas as pd


def check(buyer: str | None, rule_id: str | None) -> None:
    if (buyer is None) != (rule_id is None):
        raise UsageError("give --buyer CC and --rule ID together, e.g. --buyer CN --rule 2023-10")
    if rule_id is not None and rule_id not in RULE_BY_ID:
        raise UsageError(f"--rule {rule_id!r} is not a rule version; use one of {', '.join(RULE_BY_ID)}")
    if buyer is not None and not (len(buyer) == 2 and buyer.isalpha()):
        raise UsageError(f"--buyer {buyer!r}: give the buyer's country as an ISO code, e.g. CN")


def status(df: pd.DataFrame, buyer: str, rule_id: str) -> tuple[pd.Series, pd.Series]:
    """Per row (chips with name, vendor_country and the rule metrics): (obtainable?, why), under `rule_id`."""
    import pandas as pd

    from chipcmp.core.fields import with_metrics
    from chipcmp.estimate.controls import classify

    buyer = buyer.upper()
    rule = RULE_BY_ID[rule_id]
    frame = with_metrics(df, ["tpp", "pd"])
    classes: dict[str, pd.Series] = {}
    for r in RULES:
        classes[r.id] = classify(frame, r, classes)
        if r.id == rule_id:
            break
    cls = classes[rule_id]
    policy = dict(rule.licence)
    keep, why = [], []
    for label in df.index:
        c = str(cls[label])
        flag = FLAGS.get(str(df.at[label, "name"]), ("", ""))[0]
        if str(df.at[label, "vendor_country"] or "").upper() == buyer:
            ok, reason = True, "domestic"
        elif buyer not in rule.licence_for:
            ok, reason = True, f"{c}: no licence requirement modelled for {buyer}"
        elif c.startswith("unknown"):
            ok, reason = True, f"class {c}: check before buying"
        else:
            p = policy.get(c, "")
            ok = p in ("", "case-by-case")
            reason = {"": f"{c}: no licence", "case-by-case": f"{c}: licence, reviewed case by case",
                      "denial": f"{c}: licence presumed denied", "licence":
                      f"{c}: US licence required (no review policy in the rule: treated as not obtainable)"}[p]
        keep.append(ok)
        why.append(reason + (f"; flag: {flag}" if flag and ok else ""))
    return pd.Series(keep, index=df.index), pd.Series(why, index=df.index)
