"""The long-format files beside chips.csv: where every figure comes from (sources.csv), what chips cost
(prices.csv, fx.csv) and what they achieve in published measurements (measured.csv).

They are read with the csv module (a few hundred rows each: faster than pandas' start-up), once per process, and
joined onto the bundled chips by the loader: confidence is derived from the kinds of sources behind each figure,
a price is the latest of the wanted kind, converted to USD at a dated rate, and an achieved figure is the best
published measurement. Nothing here is typed by hand into chips.csv.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp.data import schema
from chipcmp.data.reader import Rows, bundled, derive, number
from chipcmp.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


SOURCES = "sources.csv"


PRICES = "prices.csv"


FX = "fx.csv"


MEASURED = "measured.csv"


DENYLIST = "denylist.csv"


# The weakest kind behind a figure decides its confidence; the weakest figure of a row decides the row's.
KIND_CONFIDENCE = {"vendor": "official", "paper": "official", "analyst": "secondary", "press": "secondary",
                   "cloud": "secondary", "benchmark": "secondary", "estimate": "estimate", "row-level": "unverified",
                   "community": "unverified"}


CONFIDENCE_ORDER = ("official", "secondary", "estimate", "unverified")


MEASURED_COLUMNS = {"bf16_matmul_tflops": "bf16_achieved_tflops", "fp8_matmul_tflops": "fp8_achieved_tflops",
                    "memory_bw_tbs": "memory_bw_achieved_tbs"}


def sources() -> Rows:
    return bundled(SOURCES, required=False)


def figure_rows(name: str, table: str = "chips") -> list[dict[str, str]]:
    """Every provenance row of one chip (or system, or model), chosen figures first."""
    return [r for r in sources() if r.get("table") == table and r.get("name") == name]


def figure_confidence(rows: Iterable[dict[str, str]]) -> str:
    """The confidence of one figure: the best kind among the sources that give the chosen value."""
    kinds = [KIND_CONFIDENCE.get(r.get("source_kind", ""), "unverified") for r in rows if r.get("role") == "chosen"]
    if not kinds:
        return "unverified"
    return min(kinds, key=CONFIDENCE_ORDER.index)


def _by_figure() -> dict[tuple[str, str], list[dict[str, str]]]:
    return {(n, f): rows for n, fields in _by_chip().items() for f, rows in fields.items()}


def _by_chip() -> dict[str, dict[str, list[dict[str, str]]]]:
    """Chips' rows of sources.csv by chip and field, built once per version of the file."""
    return derive(sources(), _index)


def _index(rows: Rows) -> dict[str, dict[str, list[dict[str, str]]]]:
    out: dict[str, dict[str, list[dict[str, str]]]] = {}
    for r in rows:
        if r.get("table") == "chips":
            out.setdefault(r.get("name", ""), {}).setdefault(r.get("field", ""), []).append(r)
    return out


def row_confidence(name: str, by_chip: dict[str, dict[str, list[dict[str, str]]]] | None = None) -> str:
    """The weakest confidence among the chip's throughput figures (all its figures when it has none)."""
    figures = {f: rows for f, rows in (by_chip if by_chip is not None else _by_chip()).get(name, {}).items()
               if any(r.get("role") == "chosen" and r.get("value", "").lower() != "n/a" for r in rows)}
    if not figures:
        return "unverified"  # nothing published that a source backs
    throughput = {f: rows for f, rows in figures.items() if f in schema.THROUGHPUT_COLUMNS} or figures
    return max((figure_confidence(rows) for rows in throughput.values()), key=CONFIDENCE_ORDER.index)


def ranges() -> dict[tuple[str, str], tuple[float, float]]:
    """(chip, field) -> (low, high) where acceptable sources disagree on a number (alternatives included,
    superseded and rejected rows left out). From the release's bundle, else built from sources.csv."""
    from chipcmp.data import bundle

    built = bundle.read()
    if built is not None:
        return {(n, f): (lo, hi) for n, f, lo, hi in built["ranges"]}
    return derive(sources(), _ranges)


def _ranges(rows: Rows) -> dict[tuple[str, str], tuple[float, float]]:
    out = {}
    for key, figure in _by_figure().items():
        values = [v for r in figure if r.get("role") in ("chosen", "alternative")
                  and (v := number(r.get("value", ""))) is not None]
        if len(values) > 1 and max(values) - min(values) > 0.01 * max(values):  # rounding is no disagreement
            out[key] = (min(values), max(values))
    return out


@dataclass(frozen=True)
class Price:
    usd: float
    kind: str
    date: str
    source: str
    provider: str = ""
    region: str = ""


def _fx() -> dict[str, list[tuple[str, float]]]:
    rates: dict[str, list[tuple[str, float]]] = {}
    for r in bundled(FX, required=False):
        v = number(r.get("usd_per_unit", ""))
        if v and v > 0:
            rates.setdefault(r["currency"].upper(), []).append((r["date"], v))
    return {c: sorted(v) for c, v in rates.items()}


def to_usd(amount: float, currency: str, date: str, rates: dict[str, list[tuple[str, float]]]) -> float | None:
    """`amount` in USD at the latest recorded rate on or before `date` (the earliest one if none is before)."""
    currency = currency.upper() or "USD"
    if currency == "USD":
        return amount
    known = rates.get(currency)
    if not known:
        return None
    before = [rate for d, rate in known if d <= date]
    return amount * (before[-1] if before else known[0][1])


def latest_prices(kind: str = "any") -> tuple[dict[str, Price], dict[str, Price]]:
    """For each chip, the latest purchase price of `kind` and the latest rental. 'any' takes the latest price per
    chip (list, street, retail or analyst), a kit price only where a chip has no other; on one day, the best kind,
    and the median of its observations (a range reported by its two ends)."""
    if kind != "any" and kind not in schema.PURCHASE_KINDS:
        raise UsageError(f"--price-kind {kind!r} is not one of any, {', '.join(schema.PURCHASE_KINDS)}")
    rates = _fx()
    candidates: dict[tuple[str, str], list[Price]] = {}
    for r in bundled(PRICES, required=False):
        amount = number(r.get("amount", ""))
        if amount is None or amount <= 0:
            continue
        usd = to_usd(amount, r.get("currency", "USD"), r.get("date", ""), rates)
        if usd is None:
            continue
        p = Price(usd, r.get("kind", ""), r.get("date", ""), r.get("source_url", ""), r.get("provider", ""),
                  r.get("region", ""))
        if r.get("unit") == "chip-hour":
            candidates.setdefault(("rent", r["chip"]), []).append(p)
        elif kind in ("any", p.kind) and p.kind in schema.PURCHASE_KINDS:
            candidates.setdefault(("buy", r["chip"]), []).append(p)
    buy: dict[str, Price] = {}
    rent: dict[str, Price] = {}
    for (what, chip), observed in candidates.items():
        found = observed
        if what == "buy" and kind == "any":
            # A board or server price divided by its chips carries the rest of the box: used only for a chip
            # that has no price of its own.
            found = [p for p in observed if p.kind != "kit"] or observed
        latest = max(p.date for p in found)
        same = [p for p in found if p.date == latest]
        if what == "buy":  # several kinds on one day: the best evidence (list, street, retail, analyst, kit)
            best = min(schema.PURCHASE_KINDS.index(p.kind) for p in same)
            same = [p for p in same if schema.PURCHASE_KINDS.index(p.kind) == best]
        same.sort(key=lambda p: p.usd)
        # A range reported as its two ends, or two providers on one day: the median, labelled as the first.
        half = len(same) // 2
        mid = same[half].usd if len(same) % 2 else (same[half - 1].usd + same[half].usd) / 2
        pick = same[0] if len(same) == 1 else Price(mid, same[0].kind, latest, same[0].source, same[0].provider,
                                                   same[0].region)
        (rent if what == "rent" else buy)[chip] = pick
    return buy, rent


def enrich(df: pd.DataFrame, price_kind: str = "any") -> pd.DataFrame:
    """The bundled chips with their derived columns filled: prices, rental, achieved figures, confidence.

    chips.csv never carries these columns (its header test and the audit say so); a user's --add overlay is applied
    afterwards and wins."""
    names = df["name"]
    by_chip = _by_chip()
    buy, rent = latest_prices(price_kind)
    best: dict[tuple[str, str], float] = {}
    for r in bundled(MEASURED, required=False):
        col = MEASURED_COLUMNS.get(r.get("metric", ""))
        v = number(r.get("value", ""))
        if col and v:
            best[(r["chip"], col)] = max(v, best.get((r["chip"], col), 0.0))
    values: dict[str, list[object]] = {
        "price_usd": [buy[n].usd if n in buy else float("nan") for n in names],
        "price_kind": [buy[n].kind if n in buy else None for n in names],
        "price_date": [buy[n].date if n in buy else None for n in names],
        "price_source": [buy[n].source if n in buy else None for n in names],
        "rent_usd_hour": [rent[n].usd if n in rent else float("nan") for n in names],
        "rent_source": [f"{rent[n].provider} {rent[n].region} {rent[n].date} {rent[n].source}".strip()
                        if n in rent else None for n in names],
        "confidence": [row_confidence(n, by_chip) or None for n in names],
        **{col: [best.get((n, col), float("nan")) for n in names] for col in MEASURED_COLUMNS.values()},
    }
    import pandas as pd

    new = pd.DataFrame(values, index=df.index).astype({c: df[c].dtype for c in values})
    out = df.copy(deep=False)
    out[list(values)] = new  # one assignment for every derived column (chips.csv carries none of them)
    return out


def denylist() -> list[tuple[str, str]]:
    return [(r["match"], r["reason"]) for r in bundled(DENYLIST, required=False)]


def denied(url: str, deny: list[tuple[str, str]] | None = None) -> str | None:
    """The reason `url` is not an acceptable source (a mirror, content farm, wiki...), or None."""
    from urllib.parse import urlparse

    hosts, paths = _compiled(tuple(deny if deny is not None else denylist()))
    u = url.lower()
    for match, reason in paths:
        if match in u:
            return reason
    parts = urlparse(u).netloc.removeprefix("www.").split(".")
    for i in range(len(parts)):  # the host itself, then each domain it belongs to
        found = hosts.get(".".join(parts[i:]))
        if found is not None:
            return found
    return None


@functools.lru_cache(maxsize=4)
def _compiled(deny: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The deny-list as a host lookup (a domain and its subdomains) and the entries that name a path."""
    hosts: dict[str, str] = {}
    for match, reason in deny:
        if "/" not in match:
            hosts.setdefault(match, reason)
    return hosts, [(m, r) for m, r in deny if "/" in m]
