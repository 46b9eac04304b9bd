"""Build the release's bundle (`data/bundle.json`): the bundled data as the tool uses it, made once from the CSV
files instead of at every run. Run it after changing any file of data/:

    python -m chipcmp.build            # writes data/bundle.json
    python -m chipcmp.build --check    # exits 1 when data/bundle.json is not what the files give

The test suite runs the check, so a change to the data that forgets the bundle fails CI, as a stale README does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def build(folder: Path) -> dict[str, Any]:
    """The bundle of the data files in `folder`, as a JSON-ready dict."""
    from chipcmp.core.audit import file_findings
    from chipcmp.data import bundle
    from chipcmp.data.dataset import load_fresh
    from chipcmp.data.provenance import _ranges, sources

    chips = folder / "chips.csv"
    df, source, notes, unsupported = load_fresh(chips, "bundled", chips.stat().st_size)
    found, rows = file_findings(chips, "bundled")
    ranges = sorted([n, f, lo, hi] for (n, f), (lo, hi) in _ranges(sources()).items())
    from chipcmp.data.dataset import Dataset, _private
    from chipcmp.estimate.calibration import _estimates, _rows, chip_ratios, factors

    ds = Dataset(_private(df), [source], unsupported={c: set(v) for c, v in unsupported.items()})
    fitted = {c: [f.factor, f.low, f.high, f.n] for c, f in sorted(factors(ds).items())}
    return {
        "format": bundle.FORMAT,
        "note": "Built by `python -m chipcmp.build` from the CSV files beside it; do not edit.",
        "inputs": bundle.inputs(folder),
        "chips_meta": {"sha256": source.sha256, "notes": list(notes),
                       "unsupported": sorted([int(label), column] for column, labels in unsupported.items()  # type: ignore[call-overload]
                                             for label in labels)},
        "chips": bundle.encode(df),
        "ranges": ranges,
        "audit": {"rows": rows, "findings": found},
        "factors": fitted,
        "chip_checks": chip_ratios(ds),
        "calibration": _estimates(_rows(ds)),
        "source_spans": _source_spans(folder),
    }


def _source_spans(folder: Path) -> dict[str, Any]:
    """Where each chip's (system's, model's) rows lie in sources.csv: `show` reads only those."""
    from chipcmp.data.provenance import SOURCES, source_key
    from chipcmp.data.reader import spans

    header, where = spans(folder / SOURCES, lambda r: source_key(r.get("table", ""), r.get("name", "")))
    return {"header": header, "spans": where}


def text(folder: Path) -> str:
    return json.dumps(build(folder), ensure_ascii=False, allow_nan=False, indent=0, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    from chipcmp.data import bundle
    from chipcmp.data.files import bundled_dir

    args = sys.argv[1:] if argv is None else argv
    folder = bundled_dir()
    target = folder / bundle.NAME
    fresh = text(folder)
    if "--check" in args:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != fresh:
            print(f"{target} is stale: run python -m chipcmp.build", file=sys.stderr)
            return 1
        return 0
    target.write_text(fresh, encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
