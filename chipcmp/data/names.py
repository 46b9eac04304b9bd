"""Names at the bottom of the house: folding, the keys a row answers to, resolution and suggestions.

Everything that matches a user's words against names (chips, systems, models, metrics, vendors) goes through
here, so `resolve`, the filters, overlays, completion and the audit agree on what "the same name" means. This
module imports nothing of chipcmp but the errors, and pandas only inside functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from chipcmp.errors import UnknownChip, UsageError

if TYPE_CHECKING:
    import pandas as pd


_FOLD = r"[\W_]+"  # what name matching ignores: case, spaces, punctuation


_FOLD_RE = re.compile(_FOLD)


MAX_SUGGESTIONS = 5


# Letters that look like Latin ones in other scripts: a name made with them is a different name that reads the
# same, so the loader warns and suggestions say so (Unicode TR39 calls this a "skeleton").
_LOOKALIKE = str.maketrans({
    "а": "a", "в": "b", "с": "c", "е": "e", "н": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "о": "o", "р": "p",
    "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ɡ": "g", "ո": "n", "α": "a", "β": "b", "ε": "e", "η": "n",
    "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѵ": "v", "ԛ": "q", "ԝ": "w",
})


# Characters typed for one another: O for 0, l or I for 1 ("H1OO").
_TYPED_FOR = str.maketrans({"o": "0", "l": "1", "i": "1"})


# Invisible or direction-changing characters: never part of a real name.
INVISIBLE = "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]"



def fold(text: str) -> str:
    """The key names are matched on: 'Ascend-910B', 'ascend 910b' and 'ASCEND910B' are one."""
    return _FOLD_RE.sub("", unicodedata.normalize("NFKC", text).casefold())


def fold_series(s: pd.Series) -> pd.Series:
    """`fold` over a column, vectorised; missing text folds to ''."""
    return s.fillna("").str.normalize("NFKC").str.casefold().str.replace(_FOLD, "", regex=True)


def skeleton(text: str) -> str:
    """`fold` with look-alike letters of other scripts mapped to Latin: 'Н100' (Cyrillic Н) -> 'h100'."""
    return fold(text).translate(_LOOKALIKE)


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a row (it folds to nothing, or hides invisible characters), or None."""
    if re.search(INVISIBLE, name):  # compiled on first use (re caches it): most runs never need it
        return "contains an invisible or control character (direction override, zero-width space, ...)"
    if not fold(name):
        return "has no letter or digit, so no one could type it"
    return None


def lookalike_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs (plain name, look-alike) of different names that read the same, the second spelt with letters of
    another script."""
    by_skeleton: dict[str, str] = {}
    pairs = []
    for n in names:
        if not isinstance(n, str):
            continue
        sk = skeleton(n)
        seen = by_skeleton.setdefault(sk, n)
        if seen != n and fold(seen) != fold(n):
            pairs.append((seen, n) if skeleton(n) != fold(n) else (n, seen))
    return pairs


def typed_for_pairs(new: Iterable[str], known: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs (known name, new name) that differ only by characters typed for one another (H1OO for H100): a
    name added by mistake instead of overriding the chip meant."""
    by_key = {fold(k).translate(_TYPED_FOR): k for k in known if isinstance(k, str)}
    pairs = []
    for n in new:
        if isinstance(n, str):
            k = by_key.get(fold(n).translate(_TYPED_FOR))
            if k is not None and fold(k) != fold(n):
                pairs.append((k, n))
    return pairs


def name_keys(df: pd.DataFrame) -> pd.Series:
    """Every folded key a row answers to (name, aliases, vendor+name, vendor+alias), indexed by row label.

    A plain loop for small frames (the bundled data: a fraction of a millisecond, where pandas' string methods
    cost several), pandas' vectorised string methods for big user files. Both give the same keys (tested).
    """
    return _name_keys_loop(df) if len(df) <= 20_000 else _name_keys_vectorised(df)


def _columns(df: pd.DataFrame) -> tuple[Sequence[object], Sequence[object]]:
    aliases = df["aliases"] if "aliases" in df.columns else [None] * len(df)
    vendor = df["vendor"] if "vendor" in df.columns else [None] * len(df)
    return aliases, vendor


def _name_keys_loop(df: pd.DataFrame) -> pd.Series:
    import pandas as pd

    labels: list = []
    keys: list[str] = []
    aliases_col, vendor_col = _columns(df)
    for label, name, aliases, vendor in zip(df.index, df["name"], aliases_col, vendor_col, strict=True):
        words = [name if isinstance(name, str) else ""]
        words += aliases.split("|") if isinstance(aliases, str) else []
        prefix = vendor if isinstance(vendor, str) else ""
        for word in words:
            if word.strip():
                for text in (word, f"{prefix} {word}"):
                    labels.append(label)
                    keys.append(fold(text))
    return pd.Series(keys, index=pd.Index(labels, dtype=df.index.dtype), dtype="object")


def _name_keys_vectorised(df: pd.DataFrame) -> pd.Series:
    import pandas as pd

    names = df["name"].fillna("")
    aliases = df["aliases"].fillna("").str.split("|").explode()
    vendor = df["vendor"].fillna("")
    keys = pd.concat([names, aliases, vendor + " " + names, vendor.reindex(aliases.index) + " " + aliases])
    keys = keys[keys.str.strip().ne("") & keys.ne(vendor.reindex(keys.index) + " ")]
    return fold_series(keys)


def spellings(df: pd.DataFrame) -> list[str]:
    """Every name and alias as written: what suggestions and completion offer."""
    out = [n for n in df["name"] if isinstance(n, str)]
    if "aliases" in df.columns:
        out += [a for cell in df["aliases"] if isinstance(cell, str) for a in cell.split("|") if a.strip()]
    return out


def resolve(df: pd.DataFrame, queries: Sequence[str], what: str = "chip", keys: pd.Series | None = None) -> list:
    """Row labels of the rows named by `queries`, in order. Unknown or ambiguous names raise UnknownChip.

    Every query is checked before anything else is said, so a typo is reported before "needs two chips". A caller
    resolving names one at a time passes `name_keys(df)` once as `keys`.
    """
    keys = name_keys(df) if keys is None else keys
    labels: list = []
    for q in queries:
        k = fold(q)
        hits = keys.index[keys.eq(k)].unique() if k else []
        if len(hits) == 1:
            if hits[0] in labels:
                raise UsageError(f"{q!r} names {df.at[hits[0], 'name']!r}, which is already in the list; "
                                 f"name each {what} once")
            labels.append(hits[0])
            continue
        if len(hits) > 1:
            names = ", ".join(repr(n) for n in df.loc[hits, "name"])
            raise UnknownChip(f"{what} {q!r} is ambiguous: it matches {names}; use the full name")
        hint = suggest(q, spellings(df), canonical=dict(zip(keys, df.loc[keys.index, "name"], strict=True)))
        raise UnknownChip(f"unknown {what} {q!r}" + (hint or f"; `chipcmp list` shows every {what}"),
                          query=q if what == "chip" else "")
    return labels


def closeness(query: str, candidate: str) -> float:  # noqa: PLR0911 -- one return per kind of closeness
    """How close two names are, 0 to 1: prefix and containment first, then edit distance on folded keys."""
    q, c = fold(query), fold(candidate)
    if not q or not c:
        return 0.0
    if q == c:
        return 1.0
    if q.translate(_TYPED_FOR) == c.translate(_TYPED_FOR):
        return 0.97  # H1OO for H100
    if c.startswith(q):
        return 0.9 - 0.2 * (1 - len(q) / len(c))
    if q in c:
        return 0.75 - 0.2 * (1 - len(q) / len(c))
    if len(q) >= 4 and _subsequence(q, c):
        return 0.3 + 0.7 * len(q) / len(c)  # bf16_per_watt in bf16_tflops_per_watt
    d = _edit_distance(q, c)
    return max(0.0, 1.0 - d / max(len(q), len(c)) - 0.01 * abs(len(q) - len(c)))


def _subsequence(q: str, c: str) -> bool:
    it = iter(c)
    return all(ch in it for ch in q)


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance: a swapped pair counts as one typo."""
    if len(a) > 64 or len(b) > 64:
        return max(len(a), len(b))  # a long string is no name anyone mistyped; keep this O(1)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def suggestions(query: str, choices: Iterable[str], canonical: dict[str, str] | None = None,
                n: int = MAX_SUGGESTIONS, cutoff: float = 0.65) -> list[str]:
    """The closest `choices` to `query`, best first, at most `n`, none much worse than the best; aliases are
    mapped to their canonical name."""
    best: dict[str, float] = {}
    for c in choices:
        if not isinstance(c, str):
            continue
        score = closeness(query, c)
        if score < cutoff:
            continue
        shown = (canonical or {}).get(fold(c), c)
        best[shown] = max(best.get(shown, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return [c for c, score in ranked[:n] if score >= ranked[0][1] - 0.15]


def suggest(query: str, choices: Iterable[str], canonical: dict[str, str] | None = None) -> str:
    """'; did you mean:' and one suggestion per line, or '' when nothing is close."""
    close = suggestions(query, choices, canonical)
    if not close:
        return ""
    lines = []
    for c in close:
        odd = " (spelt with non-Latin letters that look Latin)" if skeleton(c) != fold(c) else ""
        lines.append(f"\n  {c!r}{odd}")
    return "; did you mean:" + "".join(lines)
