"""`chipcmp audit --overlay`: a file meant for `--add` checked by overlay rules, not a full data file's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# What a full data file needs and an overlay (`--add`) does not: a name is enough there, the rest is the user's.
OVERLAY_EXEMPT = {"no-source", "no-vendor"}
OVERLAY_SOFT = {"price-unsourced": "a price without its kind, date or source is shown as the user's own (kind 'user')"}


def as_overlay(found: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """The findings by overlay rules: required provenance dropped, an unsourced price a warning, and whatever
    loading the file as `--add` refuses (a folded-name clash, a systems file) an error."""
    from chipcmp.data.dataset import load_dataset
    from chipcmp.errors import ChipcmpError

    out = []
    for f in found:
        if f["code"] in OVERLAY_EXEMPT or (f["code"] == "missing-column" and f["column"] != "name"):
            continue
        soft = OVERLAY_SOFT.get(f["code"])
        out.append({**f, "severity": "warning", "message": soft} if soft else f)
    try:
        load_dataset(add=[path])
    except ChipcmpError as e:
        out.append({"line": 0, "chip": "", "column": "", "severity": "error", "code": "overlay-refused",
                    "message": str(e)})
    return out
