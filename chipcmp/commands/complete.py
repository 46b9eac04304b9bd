"""Shell completion: chip, metric, field and model names, stdlib only (it runs on every <TAB>)."""

from pathlib import Path

from chipcmp.data import schema

_COMPLETION_MAX_BYTES = 32 << 20  # completion never reads an unbounded file ($CHIPCMP_DATA=/dev/zero)


def _names_for_completion() -> list[str]:
    import csv
    import io
    import os

    from chipcmp.data.files import ENV_DATA, bundled_path, is_regular

    path = Path(os.environ.get(ENV_DATA) or bundled_path())
    if not is_regular(path):
        return []
    try:
        if path.stat().st_size > _COMPLETION_MAX_BYTES:
            return []
        text = path.read_text(encoding="utf-8-sig")
        out = []
        for row in csv.DictReader(io.StringIO(text, newline="")):
            out.append(row.get("name") or "")
            out += (row.get("aliases") or "").split("|")
        return [n for n in out if n.strip()]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _complete_chip(incomplete: str) -> list[str]:
    """Names and aliases whose folded form starts with what was typed, quoted for the shell when needed."""
    import shlex

    from chipcmp.data.names import fold

    quoted = incomplete[:1] in ("'", '"')
    key = fold(incomplete.strip("'\""))
    seen: set[str] = set()
    out = []
    for n in _names_for_completion():
        if fold(n).startswith(key) and n not in seen:
            seen.add(n)
            out.append(n if quoted else shlex.quote(n))
    return out


def _complete_metric(incomplete: str) -> list[str]:
    return [n for n in schema.NUMERIC_FIELDS if n.startswith(incomplete)]


def _complete_field(incomplete: str) -> list[str]:
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + n for n in schema.FIELD_BY_NAME if n.startswith(last)]


def _complete_model_names(incomplete: str) -> list[str]:
    return _complete_model(incomplete)


def _complete_model(incomplete: str) -> list[str]:
    import shlex

    from chipcmp.data.models import aliases
    from chipcmp.data.names import fold

    names = sorted(set(aliases().values()))
    return [shlex.quote(n) for n in names if fold(n).startswith(fold(incomplete))]

