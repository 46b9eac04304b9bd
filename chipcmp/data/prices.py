"""Which price a chip gets, from prices.csv and fx.csv: a market price of the chip itself by default, its range
where market prices disagree, and a rental of a stated kind.

Purchase prices say what they are (schema.PURCHASE_KINDS): list, street, retail and analyst are market prices of
the chip; cost (what the designer pays to have it made), order (an order's value ÷ units, usually with servers)
and kit (a board, server or rack ÷ its chips) are not, and are used only when asked for (--price-kind), except
that a kit price stands in, with a note, for a chip that has no market price at all. A price published in
another currency is kept as published and converted at the dated rate of fx.csv.

Rentals say what they are too (RENT_KINDS); the default is an on-demand price on a general cloud. Several
offers on the chosen day give their median, and the source says how many and whose: no offer's provider or
region is borrowed for another's price.
"""

from typing import NamedTuple

from chipcmp.data import schema
from chipcmp.data.reader import Rows, bundled, number
from chipcmp.errors import UsageError

PRICES = "prices.csv"
FX = "fx.csv"
MARKET_KINDS = ("list", "street", "retail", "analyst")  # prices of the chip on a market, best evidence first
RENT_KINDS = ("on-demand", "contract", "spot", "managed")
RANGE_MONTHS = 24  # market prices this close to the chosen one make its range
_SYMBOL = {"CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "USD": "$"}


class Offer(NamedTuple):
    """One row of prices.csv, converted to USD."""

    usd: float
    amount: float
    currency: str
    rate: float | None  # USD per unit of the currency, when converted
    kind: str
    rent_kind: str
    term: str
    date: str
    source: str
    provider: str
    region: str


class Price(NamedTuple):
    """The price a chip gets: its value, range, kind and one line saying where it comes from."""

    usd: float
    low: float
    high: float
    kind: str
    date: str
    source: str  # one line: kind, date, the published amount (and conversion), the source


def _months(date: str) -> int:
    parts = date.split("-")
    try:
        return int(parts[0]) * 12 + (int(parts[1]) - 1 if len(parts) > 1 else 0)
    except ValueError:
        return 0


def _rates(rows: Rows) -> dict[str, list[tuple[str, float]]]:
    rates: dict[str, list[tuple[str, float]]] = {}
    for r in rows:
        v = number(r.get("usd_per_unit", ""))
        if v and v > 0:
            rates.setdefault(r["currency"].upper(), []).append((r["date"], v))
    return {c: sorted(v) for c, v in rates.items()}


def to_usd(amount: float, currency: str, date: str, rates: dict[str, list[tuple[str, float]]]) -> float | None:
    """`amount` in USD at the latest recorded rate on or before `date` (the earliest one if none is before)."""
    rate = rate_on(currency, date, rates)
    return None if rate is None else amount * rate


def rate_on(currency: str, date: str, rates: dict[str, list[tuple[str, float]]]) -> float | None:
    currency = currency.upper() or "USD"
    if currency == "USD":
        return 1.0
    known = rates.get(currency)
    if not known:
        return None
    before = [rate for d, rate in known if d <= date]
    return before[-1] if before else known[0][1]


def offers() -> dict[str, list[Offer]]:
    """Every priced row of prices.csv by chip, in USD (rows in a currency without a rate are left out)."""
    rates = _rates(bundled(FX, required=False))
    out: dict[str, list[Offer]] = {}
    for r in bundled(PRICES, required=False):
        amount = number(r.get("amount", ""))
        currency = (r.get("currency") or "USD").upper()
        rate = rate_on(currency, r.get("date", ""), rates)
        if amount is None or amount <= 0 or rate is None:
            continue
        out.setdefault(r["chip"], []).append(Offer(
            amount * rate, amount, currency, rate if currency != "USD" else None, r.get("kind", ""),
            r.get("rent_kind", ""), r.get("term", ""), r.get("date", ""), r.get("source_url", ""),
            r.get("provider", ""), r.get("region", "")))
    return out


def check_kinds(price_kind: str, rent_kind: str) -> None:
    if price_kind != "any" and price_kind not in schema.PURCHASE_KINDS:
        raise UsageError(f"--price-kind {price_kind!r} is not one of any, {', '.join(schema.PURCHASE_KINDS)}")
    if rent_kind != "any" and rent_kind not in RENT_KINDS:
        raise UsageError(f"--rent-kind {rent_kind!r} is not one of any, {', '.join(RENT_KINDS)}")


# What a purchase price that is not a market price of the chip itself stands for, in the words the output uses.
STAND_INS = {"kit": "a kit or board price ÷ its chips: no market price of the chip itself",
             "cost": "a manufacturing cost (--price-kind cost)", "order": "an order value ÷ units (--price-kind order)",
             "user": "your own price (--price or an overlay)"}


def purchase(observed: list[Offer], kind: str = "any") -> Price | None:
    """The purchase price of a chip: by default the latest market price of the chip itself (the best kind and
    the median of its observations on that date), ranged over the market prices of the RANGE_MONTHS before it;
    a kit price ÷ chips only where the chip has no market price. Cost and order figures only when asked for."""
    buys = [o for o in observed if o.kind in schema.PURCHASE_KINDS]
    if kind == "any":
        pool = [o for o in buys if o.kind in MARKET_KINDS]
        stand_in = not pool
        pool = pool or [o for o in buys if o.kind == "kit"]
    else:
        pool, stand_in = [o for o in buys if o.kind == kind], False
    if not pool:
        return None
    latest = max(o.date for o in pool)
    same = [o for o in pool if o.date == latest]
    order = schema.PURCHASE_KINDS
    best = min(order.index(o.kind) for o in same)
    same = [o for o in same if order.index(o.kind) == best]
    window = [o.usd for o in pool if _months(latest) - _months(o.date) <= RANGE_MONTHS]
    usd = _median(o.usd for o in same)
    note = f" ({STAND_INS['kit']})" if stand_in else ""
    return Price(usd, min(window), max(window), same[0].kind, latest, _describe(same, usd) + note)


def rental(observed: list[Offer], rent_kind: str = "on-demand") -> Price | None:
    """The latest rental of `rent_kind` (any: of any kind) per chip-hour: several offers on that date give their
    median, and the source names them all."""
    pool = [o for o in observed if o.kind == "rental" and rent_kind in ("any", o.rent_kind)]
    if not pool:
        return None
    latest = max(o.date for o in pool)
    same = [o for o in pool if o.date == latest]
    usd = _median(o.usd for o in same)
    return Price(usd, min(o.usd for o in same), max(o.usd for o in same), same[0].rent_kind or "rental", latest,
                 _describe(same, usd))


def _describe(same: list[Offer], usd: float) -> str:
    """'street 2024-02: ¥120,000 at 0.139 USD/CNY (fx 2024-02) = $16,681; https://...' or, for several offers,
    'on-demand 2025-03-03: median of 3 offers (Google Cloud us-central1 1.20; ...) = $1.20'."""
    o = same[0]
    kind = o.kind if o.kind != "rental" else (o.rent_kind or "rental") + (f" {o.term}" if o.term else "")
    if len(same) == 1:
        amount = _money(o.amount, o.currency)
        conv = f" at {o.rate:.4g} USD/{o.currency} = {_money(o.usd, 'USD')}" if o.rate else ""
        who = " ".join(x for x in (o.provider, o.region) if x)
        return f"{kind} {o.date}: {amount}{conv}" + (f", {who}" if who else "") + f"; {o.source}"
    parts = "; ".join(f"{' '.join(x for x in (p.provider, p.region) if x) or 'unnamed'} {_money(p.usd, 'USD')}"
                      for p in sorted(same, key=lambda p: p.usd))
    sources = " ".join(sorted({p.source for p in same}))
    return f"{kind} {o.date}: median of {len(same)} ({parts}) = {_money(usd, 'USD')}; {sources}"


def _money(amount: float, currency: str) -> str:
    symbol = _SYMBOL.get(currency, currency + " ")
    return f"{symbol}{amount:,.0f}" if amount >= 100 else f"{symbol}{amount:,.2f}"


def _median(values: object) -> float:
    """statistics.median, imported when needed: `--help` and completion import this module."""
    import statistics

    return statistics.median(values)  # type: ignore[arg-type]
