"""Shell completion: chip, metric, field and model names, stdlib only (it runs on every <TAB>)."""

from pathlib import Path

from chipcmp.data import schema

_COMPLETION_MAX_BYTES = 32 << 20  # completion never reads an unbounded file ($CHIPCMP_DATA=/dev/zero)


def _names_for_completion(aliases: bool = True) -> list[str]:
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
            if aliases:
                out += (row.get("aliases") or "").split("|")
        return [n for n in out if n.strip()]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


MAX_EMPTY = 50  # candidates offered for an empty word: families, not every name and alias


def _matching(names: list[str], incomplete: str) -> list[str]:
    """The names whose folded form (case, spaces and punctuation ignored) starts with what was typed, each once,
    quoted for bash: it replaces the word typed, opening quote and all, with the candidate."""
    import shlex

    from chipcmp.data.names import fold

    key = fold(incomplete.strip("'\""))
    quote = shlex.quote if _bash() else str
    seen: set[str] = set()
    out = []
    for n in names:
        if n not in seen and fold(n).startswith(key):
            seen.add(n)
            out.append(quote(n))
    return out


def _bash() -> bool:
    """Bash inserts a candidate as typed, so a name with spaces is quoted for it; zsh and fish quote themselves."""
    import os

    return not any(k.endswith("_COMPLETE") and not v.endswith("bash") for k, v in os.environ.items())


def _families(names: list[str]) -> list[str]:
    """For an empty word: each name's first word (Ascend, H100, MI300X), or their letters (H, MI) when those are
    still more than MAX_EMPTY."""
    import re

    first = sorted({n.split()[0] for n in names if n.split()})
    if len(first) > MAX_EMPTY:
        first = sorted({m.group(0) if (m := re.match(r"[A-Za-z]+(?=\d)", f)) else f for f in first})
    return first[:MAX_EMPTY]


def _complete_chip(incomplete: str) -> list[str]:
    """Chip names and aliases matching what was typed, in any case, inside or outside quotes."""
    if not incomplete.strip("'\" "):
        return _families(_names_for_completion(aliases=False))
    return _matching(_names_for_completion(), incomplete)


def _system_names() -> list[str]:
    from chipcmp.data.systems import catalogue

    return [n for s in catalogue() for n in (s.name, *s.aliases)]


def _complete_system(incomplete: str) -> list[str]:
    """System names and aliases matching what was typed (`--system`)."""
    return _matching(_system_names(), incomplete)


def _complete_metric(incomplete: str) -> list[str]:
    return [n for n in schema.NUMERIC_FIELDS if n.startswith(incomplete.lower())]


def _complete_field(incomplete: str) -> list[str]:
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + n for n in schema.FIELD_BY_NAME if n.startswith(last.lower())]


def _complete_model_names(incomplete: str) -> list[str]:
    return _complete_model(incomplete)


def _complete_model(incomplete: str) -> list[str]:
    from chipcmp.data.models import aliases

    return _matching(sorted(set(aliases().values())), incomplete)

