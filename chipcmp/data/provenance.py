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
from typing import TYPE_CHECKING

from chipcmp.data import schema
from chipcmp.data.files import bundled_path
from chipcmp.data.prices import Price
from chipcmp.data.reader import Rows, bundled, derive, number, rows_at

if TYPE_CHECKING:
    import pandas as pd


SOURCES = "sources.csv"






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
    """Every provenance row of one chip (or system, or model), chosen figures first. With the release's bundle,
    only that chip's rows are read (where they lie in sources.csv is in the bundle): parsing all of it cost
    ~20 ms."""
    from chipcmp.data import bundle

    built = bundle.read()
    if built is not None:
        where = built["source_spans"]["spans"].get(source_key(table, name), [])
        return rows_at(bundled_path(SOURCES), built["source_spans"]["header"], where)
    return [r for r in sources() if r.get("table") == table and r.get("name") == name]


def source_key(table: str, name: str) -> str:
    """A row's key in the bundle's index of sources.csv."""
    return f"{table}:{name}"


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


def enrich(df: pd.DataFrame, price_kind: str = "any", rent_kind: str = "on-demand") -> pd.DataFrame:
    """The bundled chips with their derived columns filled: prices and their ranges, rental, deployed power,
    achieved figures, confidence.

    chips.csv never carries these columns (its header test and the audit say so); a user's --add overlay is applied
    afterwards and wins."""
    from chipcmp.data import prices

    prices.check_kinds(price_kind, rent_kind)
    names = df["name"]
    by_chip = _by_chip()
    offers = prices.offers()
    buy = {n: p for n in names if (p := prices.purchase(offers.get(n, []), price_kind)) is not None}
    rent = {n: p for n in names if (p := prices.rental(offers.get(n, []), rent_kind)) is not None}
    deployed = deployed_power()
    best: dict[tuple[str, str], float] = {}
    for r in bundled(MEASURED, required=False):
        col = MEASURED_COLUMNS.get(r.get("metric", ""))
        v = number(r.get("value", ""))
        if col and v:
            best[(r["chip"], col)] = max(v, best.get((r["chip"], col), 0.0))
    values: dict[str, list[object]] = {
        **_price_columns(names, buy, "price"), **_price_columns(names, rent, "rent"),
        "deployed_w": [deployed[n][0] if n in deployed else float("nan") for n in names],
        "deployed_scope": [deployed[n][1] if n in deployed else None for n in names],
        "confidence": [row_confidence(n, by_chip) or None for n in names],
        **{col: [best.get((n, col), float("nan")) for n in names] for col in MEASURED_COLUMNS.values()},
    }
    import pandas as pd

    new = pd.DataFrame(values, index=df.index).astype({c: df[c].dtype for c in values})
    out = df.copy(deep=False)
    out[list(values)] = new  # one assignment for every derived column (chips.csv carries none of them)
    return out


def _price_columns(names: pd.Series, chosen: dict[str, Price], what: str) -> dict[str, list[object]]:
    """The derived columns of the purchase (`price_*`) or rental (`rent_*`) price each chip gets."""
    got = [chosen.get(n) for n in names]
    nan = float("nan")
    if what == "rent":
        return {"rent_usd_hour": [p.usd if p else nan for p in got],
                "rent_source": [p.source if p else None for p in got]}
    return {"price_usd": [p.usd if p else nan for p in got], "price_usd_low": [p.low if p else nan for p in got],
            "price_usd_high": [p.high if p else nan for p in got], "price_kind": [p.kind if p else None for p in got],
            "price_date": [p.date if p else None for p in got], "price_source": [p.source if p else None for p in got]}


# Which stated system power stands for a chip's deployed power: a node's is nearest the chip, a pod's furthest.
SCOPES = ("node", "rack", "pod")


def deployed_power() -> dict[str, tuple[float, str]]:
    """chip -> (W per chip, basis) from the systems whose vendor or a named analyst states their power: the
    system's power ÷ its chips, at the narrowest scope on record (node, then rack, then pod). A power that
    covers the chips alone is their TDP, not a deployed figure, and is not used here."""
    from chipcmp.data.systems import rows

    found: dict[str, tuple[int, float, str]] = {}
    for r in rows():
        kw, chips, scope = number(r.get("power_kw", "")), number(r.get("chips", "")), r.get("power_scope", "")
        if not kw or not chips or scope not in SCOPES:
            continue
        rank = SCOPES.index(scope)
        if r["chip"] not in found or rank < found[r["chip"]][0]:
            found[r["chip"]] = (rank, kw * 1000 / chips, f"{scope}: {r['name']} ({kw:,g} kW / {chips:,g})")
    return {chip: (w, basis) for chip, (_, w, basis) in found.items()}


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
