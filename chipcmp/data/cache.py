"""The bundled data as loaded, kept between runs.

Loading the bundled chips means parsing five files, checking every value and joining provenance, prices and
measurements: ~25 ms on every command, a third of what chipcmp adds to its imports. The result depends only on
those files and on chipcmp's own code, so it is kept as JSON in the user's cache folder, keyed by the version,
the contents of each data file, the size and mtime of each chipcmp module, and the price kind. A key that changes simply
misses; old entries are removed when a new one is written.

Only the bundled data is cached (a user's --data or --add file is always read afresh). The cache is plain JSON
read back into typed columns: nothing in it is executed. Any problem reading or writing it (no home folder, a
read-only disk, a damaged file) means the data is loaded as if there were no cache. $CHIPCMP_CACHE_DIR names
another folder; set it to an empty string to turn the cache off.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


ENV_CACHE = "CHIPCMP_CACHE_DIR"


FORMAT = 1


def folder() -> Path | None:
    """Where entries live, or None when the cache is off."""
    env = os.environ.get(ENV_CACHE)
    if env is not None:
        return Path(env) if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            home = Path.home()
        except (RuntimeError, KeyError):  # no HOME and no passwd entry: run without a cache
            return None
        if home == Path("/"):
            return None
        base = str(home / ".cache")
    return Path(base) / "chipcmp"


def key(files: list[Path], price_kind: str) -> str:
    """A name that changes whenever anything the loaded frame depends on changes: the data files' contents
    (hashed: ~1 ms), chipcmp's modules (size and mtime), the version and the price kind."""
    from chipcmp.version import __version__

    h = hashlib.sha256(repr((FORMAT, __version__, price_kind)).encode())
    for p in files:
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"missing")
        h.update(str(p).encode() + b"\0")
    code = Path(__file__).resolve().parent.parent  # the whole package
    for p in sorted(code.rglob("*.py")):
        try:
            st = p.stat()
            h.update(repr((p.name, st.st_mtime_ns, st.st_size)).encode())
        except OSError:
            h.update(p.name.encode())
    return h.hexdigest()[:32]


def read(name: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The cached frame and its metadata, or None (no entry, or one that does not read back cleanly)."""
    where = folder()
    if where is None:
        return None
    try:
        raw = json.loads((where / f"bundled-{name}.json").read_text(encoding="utf-8"))
        import pandas as pd

        columns, dtypes, n = raw["columns"], raw["dtypes"], raw["rows"]
        if not all(isinstance(v, list) and len(v) == n for v in columns.values()) or set(columns) != set(dtypes):
            return None
        frame = pd.DataFrame({c: _column(v, dtypes[c]) for c, v in columns.items()})
        return frame, raw["meta"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _column(values: list[Any], dtype: str) -> Any:
    import numpy as np
    import pandas as pd

    # Missing text is NaN in a loaded frame, as pandas' reader leaves it.
    filled = [math.nan if v is None else v for v in values]
    if dtype == "float64":
        return np.array(filled, dtype="float64")
    return pd.array([v if isinstance(v, float) else str(v) for v in filled], dtype=dtype)


def write(name: str, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Keep `frame` under `name`, atomically; never fails the command."""
    where = folder()
    if where is None:
        return
    try:
        dtypes = {c: str(frame[c].dtype) for c in frame.columns}
        if any(d not in ("float64", "str", "object") for d in dtypes.values()):
            return  # only the two kinds of column the loader makes are cached
        columns = {c: [None if _missing(v) else v for v in frame[c].tolist()] for c in frame.columns}
        text = json.dumps({"format": FORMAT, "rows": len(frame), "columns": columns, "dtypes": dtypes,
                           "meta": meta}, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError):
        return
    _store(where, f"bundled-{name}.json", text, "bundled")


def value(kind: str, files: list[Path], compute: Callable[[], Any]) -> Any:
    """A JSON value derived from bundled `files` (say, the ranges sources give): read back, or computed and kept."""
    where = folder()
    name = f"{kind}-{key(files, '')}.json"
    if where is not None:
        try:
            return json.loads((where / name).read_text(encoding="utf-8"))["value"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    result = compute()
    if where is not None:
        try:
            text = json.dumps({"format": FORMAT, "value": result}, ensure_ascii=False, allow_nan=False)
        except (ValueError, TypeError):
            return result
        _store(where, name, text, kind)
    return result


def _store(where: Path, name: str, text: str, kind: str) -> None:
    """Write `text` as `name` atomically and remove older entries of the same kind; never fails the command."""
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=where)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, where / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in where.glob(f"{kind}-*.json"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError:
        return


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
