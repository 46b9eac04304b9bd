"""The bundled data as the tool uses it, built once per release: `data/bundle.json`, made by `python -m
chipcmp.build` from the CSV files beside it and shipped with them (as certifi ships its bundle and tzdata its
compiled zones). It holds the chips frame as loaded and joined (prices of the default kind, confidence,
measurements), the cells marked n/a, the source ranges and the audit of the bundled files.

It is used only while it matches those files: each input's SHA-256 is recorded in it and checked when it is
read (~1 ms), so an edited CSV, a damaged bundle or a bundle of another release is never used, and the data is
loaded from the CSV files instead. Nothing outside the package is read or written: no cache folder, nothing a
user or another process can change an answer through. A test proves the bundle equals a fresh build.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipcmp.data.files import bundled_dir

if TYPE_CHECKING:
    import pandas as pd

NAME = "bundle.json"
FORMAT = 3
# The files the bundle is built from: every CSV of the data folder.
PATTERN = "*.csv"


def inputs(folder: Path) -> dict[str, str]:
    """The SHA-256 of every input file, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(PATTERN))}


def read() -> dict[str, Any] | None:
    """The bundle, or None when it is absent, damaged, of another format, or built from other files."""
    return _read(bundled_dir())


@functools.lru_cache(maxsize=2)
def _read(folder: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads((folder / NAME).read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT or raw.get("inputs") != inputs(folder):
            return None
        return raw if isinstance(raw, dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def computed(ds: Any, key: str) -> Any:
    """What the release's bundle computed under `key` (calibration factors, chip checks, the calibration table),
    when the dataset is the bundled data alone; else None, and the caller computes it."""
    if len(ds.sources) != 1 or ds.sources[0].label != "bundled":
        return None
    built = read()
    return built.get(key) if built is not None else None


def frame(raw: dict[str, Any]) -> pd.DataFrame:
    """The chips frame the bundle holds, with the dtypes the CSV reader gives (float64, and text as the running
    pandas reads it: str under pandas 3, object under pandas 2, missing text as NaN under both)."""
    import numpy as np
    import pandas as pd

    table = raw["chips"]
    old = pd.__version__.startswith(("1.", "2."))
    out: dict[str, Any] = {}
    for name in table["order"]:
        kind, values = table["kinds"][name], table["columns"][name]
        if kind == "number":
            out[name] = np.array([math.nan if v is None else v for v in values], dtype="float64")
        elif old:
            out[name] = pd.Series([np.nan if v is None else v for v in values], dtype=object)
        else:
            out[name] = pd.array(values, dtype="str")  # None becomes the dtype's NaN (a third of the cost of astype)
    return pd.DataFrame(out)


def encode(df: pd.DataFrame) -> dict[str, Any]:
    """A frame as the bundle keeps it: columns of plain JSON values (None for missing) and each column's kind."""
    import pandas as pd

    kinds, columns = {}, {}
    for name in df.columns:
        s = df[name]
        number = pd.api.types.is_float_dtype(s.dtype)
        kinds[name] = "number" if number else "text"
        columns[name] = [None if pd.isna(v) else (float(v) if number else str(v)) for v in s.tolist()]
    return {"rows": len(df), "order": list(df.columns), "kinds": kinds, "columns": columns}
