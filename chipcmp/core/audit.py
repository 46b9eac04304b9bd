"""`chipcmp audit`: every problem of a chips CSV, with its line and column.

Errors are facts no real chip can have (wrong types, impossible or wildly implausible magnitudes, duplicate
names, rows without a source); warnings are figures that are possible but usually mean a mistake (a sparse figure
entered as dense, BF16 and FP16 far apart). A curator who has checked a warning acknowledges it in the row's
notes with ``[audit-ok: CODE]``, and says why next to it.

The file is read as text so that every bad cell is reported, not just the first; the checks are vectorised.
"""

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.result import Col, Result
from chipcmp.data import reader, schema
from chipcmp.data.files import bundled_path
from chipcmp.data.names import lookalike_pairs, name_problem
from chipcmp.data.parallel import scan
from chipcmp.data.prices import MARKET_KINDS, RENT_KINDS
from chipcmp.data.reader import Rows
from chipcmp.data.rules import PACKAGE_LIMITS, RATIO_RULES, WHOLE_COLUMNS
from chipcmp.data.schema import NOT_SUPPORTED
from chipcmp.data.table import open_source, read_header, read_text_rows
from chipcmp.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


_ACK = re.compile(r"\[audit-ok:\s*([a-z0-9,\s-]+)\]")


class Finding(NamedTuple):
    line: int  # 1-based line of the file (the header is line 1); 0 for the file as a whole
    chip: str
    column: str
    severity: str  # "error" or "warning"
    code: str
    message: str


# Checks between columns of one row: (code, numerator, denominator, op, threshold, message). The row is flagged
# when numerator / denominator is `op` the threshold; each names a classic data-entry mistake.
def audit_file(path: Path | None = None, overlay: bool = False) -> tuple[Result, int, int]:
    """Audit `path` (the bundled CSV when None; as an `--add` file if `overlay`): (findings, errors, warnings)."""
    import pandas as pd

    if path is None:
        # The bundled data's findings were made when its bundle was built; without a matching bundle, afresh.
        from chipcmp.data import bundle

        shown, built = "bundled", bundle.read()
        if built is not None:
            found, rows = built["audit"]["findings"], built["audit"]["rows"]
        else:
            found, rows = file_findings(bundled_path(), shown)
    else:
        shown = str(path)
        found, rows = file_findings(path, shown)
        if overlay:
            from chipcmp.core.overlay_rules import as_overlay
            found = as_overlay(found, path)
    findings = [Finding(**f) for f in found]
    frame = pd.DataFrame([f._asdict() for f in findings],
                         columns=["line", "chip", "column", "severity", "code", "message"])
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    cols = [Col("line", "Line", numeric=True, kind="int"), Col("chip", "Chip"), Col("column", "Column"),
            Col("severity", "Severity"), Col("code", "Code"), Col("message", "Problem")]
    summary = f"{shown}: {rows:,} rows, {errors} errors, {warnings} warnings"
    return Result(frame, cols, title=f"Audit of {shown}", notes=[summary], assumptions={"file": shown, "rows": rows,
                  "errors": errors, "warnings": warnings}), errors, warnings


def file_findings(path: Path, shown: str) -> tuple[list[dict[str, Any]], int]:
    """Every finding of one chips file (and the sources.csv beside it), in line order, and its row count."""
    source = open_source(path, shown)
    header, _ = read_header(source, shown)
    raw, lines, findings = _read_text(source, shown)
    findings += _scan_findings(source, len(header))
    findings += list(_check(raw, lines))
    folder = path.parent if isinstance(source, Path) else None
    if folder is not None and (folder / "sources.csv").is_file():
        findings += list(_check_figures(raw, lines, folder))
    if folder is not None and (folder / "prices.csv").is_file():
        findings += list(_check_prices(set(raw["name"]), folder))
    findings.sort(key=lambda f: (f.line, f.severity != "error", f.column))
    return [f._asdict() for f in findings], len(raw)


def _read_text(source: Path | bytes, shown: str) -> "tuple[pd.DataFrame, list[int], list[Finding]]":
    """Every cell as text, with the file line each row starts on; ragged rows become findings, not failures."""
    import pandas as pd

    header, rows, lines, ragged = read_text_rows(source, shown)
    findings = [Finding(line, name, "", "error", "ragged-row", f"{n} fields where the header has {len(header)}")
                for line, name, n in ragged]
    if not rows:
        raise DataError(f"{shown}: has a header but no rows; add one row per chip")
    raw = pd.DataFrame(rows, columns=header, dtype="str")
    for u in [h for h in header if h not in schema.COLUMN_BY_NAME]:
        findings.append(Finding(1, "", u, "warning", "unknown-column", "not a chipcmp column; it is ignored"))
    for c in schema.COLUMNS:
        if c.name not in raw.columns:
            if c.required:
                findings.append(Finding(1, "", c.name, "error", "missing-column", "required column is missing"))
            raw[c.name] = ""
    return raw.apply(lambda s: s.str.strip()), lines, findings


def _scan_findings(source: Path | bytes, nfields: int) -> list[Finding]:
    """What the loader's byte scan refuses (stray quotes, bare CRs, oversized fields, an unclosed quote): the same
    scan, so the audit agrees with it (a ragged row it reports row by row itself)."""
    found = scan(source, nfields).problem
    return [Finding(found[0], "", "", "error", "malformed", found[1])] if found else []


def _n(x: float | None) -> str:
    return "" if x is None else (f"{x:,.0f}" if float(x).is_integer() else f"{x:g}")


def _check(raw: "pd.DataFrame", lines: list[int]) -> Iterator[Finding]:
    import numpy as np
    import pandas as pd

    line = np.asarray(lines)
    names = raw["name"]
    acks = raw["notes"].str.findall(_ACK).map(lambda hits: {c.strip() for h in hits for c in h.split(",")})

    def emit(mask: "pd.Series", column: str, severity: str, code: str,
             message: "pd.Series | str | Callable[[int], str]") -> Iterator[Finding]:
        """A finding for each row `mask` flags; a callable message is asked only for those rows."""
        idx = np.flatnonzero(mask.to_numpy(dtype=bool))
        for i in map(int, idx):
            if severity == "warning" and code in acks.iloc[i]:
                continue
            text = message if isinstance(message, str) else message(i) if callable(message) else message.iloc[i]
            yield Finding(int(line[i]), names.iloc[i], column, severity, code, text)

    yield from emit(names.eq(""), "name", "error", "empty-name", "every row needs a chip name")
    problem = names.map(lambda n: (name_problem(n) or "") if n else "")
    yield from emit(problem.ne(""), "name", "error", "bad-name", "the name " + problem + "; rename the chip")
    lookalikes = {b: a for a, b in lookalike_pairs(names)}
    yield from emit(names.isin(list(lookalikes)), "name", "warning", "look-alike",
                    names.map(lambda n: f"reads like {lookalikes.get(n, '')!r} but is spelt with look-alike "
                                        "letters of another script"))
    num = pd.DataFrame(index=raw.index)
    yield from _check_numbers(raw, num, emit)
    yield from _check_provenance(raw, num, emit)
    yield from _check_duplicates(raw, line, emit)
    # redundant facts that disagree
    for code, numerator, denominator, op, threshold, message in RATIO_RULES:
        r = num[numerator] / num[denominator]
        bad = r.gt(threshold) if op == ">" else r.lt(threshold)

        def ratio(i: int, r: "pd.Series" = r, message: str = message) -> str:
            return message.format(r=r.iloc[i])

        yield from emit(bad, numerator, "warning", code, ratio)


Emit = Callable[..., Iterator[Finding]]


def _check_numbers(raw: "pd.DataFrame", num: "pd.DataFrame", emit: Emit) -> Iterator[Finding]:
    """Parse numeric columns into `num`; flag non-numbers, non-positive values, implausible magnitudes."""
    import numpy as np
    import pandas as pd

    for name in schema.NUMERIC_COLUMNS:
        text = raw[name]
        unit = schema.COLUMN_BY_NAME[name].unit
        ok = text.eq("") | text.str.fullmatch(_NUMBER) | text.str.lower().eq(NOT_SUPPORTED)
        in_unit = f" in {unit}" if unit else ""

        def not_a_number(i: int, text: "pd.Series" = text, in_unit: str = in_unit) -> str:
            return f"'{text.iloc[i]}' is not a plain number{in_unit}"

        yield from emit(~ok, name, "error", "not-a-number", not_a_number)
        num[name] = pd.to_numeric(text.where(ok & text.ne("") & text.str.lower().ne(NOT_SUPPORTED)), errors="coerce")
    for c in schema.COLUMNS:
        if not c.numeric or c.lo is None or c.hi is None:
            continue
        v = num[c.name]
        yield from emit(v.le(0), c.name, "error", "not-positive", "must be positive; leave empty if unknown")
        out = v.gt(0) & ~v.between(c.lo, c.hi)
        yield from emit(out, c.name, "error", "out-of-range",
                        lambda i, v=v, c=c: f"{_n(v.iloc[i])} is outside the plausible range {_n(c.lo)}–{_n(c.hi)} "
                                            f"{c.unit}".rstrip())
    package = raw["kind"].str.lower().ne("wafer") & ~raw["memory_type"].str.contains("SRAM", case=False)
    for column, (limit, unit) in PACKAGE_LIMITS.items():
        v = num[column]
        yield from emit(package & v.gt(limit) & v.le(schema.COLUMN_BY_NAME[column].hi or np.inf), column, "error",
                        "units", lambda i, v=v, limit=limit, unit=unit: f"{_n(v.iloc[i])} is more than any package "
                                       f"has (at most {_n(limit)} {unit})")
    for whole in WHOLE_COLUMNS:
        v = num[whole]
        yield from emit(v.notna() & v.ne(v.round()), whole, "error", "not-whole", "must be a whole number")


def _check_provenance(raw: "pd.DataFrame", num: "pd.DataFrame", emit: Emit) -> Iterator[Finding]:
    """Enumerations, sources, confidence, and what a price must carry."""
    for column, allowed in (("kind", schema.KINDS), ("confidence", schema.CONFIDENCES),
                            ("price_kind", schema.PRICE_KINDS), ("status", schema.STATUSES)):
        v = raw[column]
        yield from emit(v.ne("") & ~v.str.lower().isin(allowed), column, "error", "bad-value",
                        "'" + v + f"' is not one of {', '.join(allowed)}")
    country = raw["vendor_country"]
    yield from emit(country.ne("") & ~country.str.fullmatch(r"[A-Z]{2}"), "vendor_country", "error", "bad-value",
                    "'" + country + "' is not an ISO 3166 alpha-2 code such as US or CN")
    # provenance
    yield from emit(raw["sources"].eq(""), "sources", "error", "no-source", "every row needs at least one source")
    yield from emit(raw["vendor"].eq(""), "vendor", "error", "no-vendor", "every row needs a vendor")
    yield from emit(raw["confidence"].str.lower().eq("estimate") & raw["notes"].eq(""), "notes", "error",
                    "estimate-unexplained", "an estimate must give its derivation in notes")
    priced = num["price_usd"].notna()
    for column in ("price_kind", "price_date", "price_source"):
        yield from emit(priced & raw[column].eq(""), column, "error", "price-unsourced",
                        f"a price needs its {column.removeprefix('price_')}")


def _check_duplicates(raw: "pd.DataFrame", line: Any, emit: Emit) -> Iterator[Finding]:
    """Names and aliases, case- and punctuation-insensitive, each naming one row."""
    import pandas as pd

    from chipcmp.data.names import name_keys

    names = raw["name"]
    keys = name_keys(raw)  # the keys `resolve` matches on: name, aliases, and either with the vendor
    rows_of = keys.groupby(keys).apply(lambda k: sorted(set(k.index)))
    dup_msg = pd.Series("", index=raw.index)
    for key, rows in rows_of[rows_of.map(len) > 1].items():
        where = ", ".join(f"line {line[i]} ({names.iloc[i]})" for i in rows)
        for i in rows:
            dup_msg.iloc[i] = f"name or alias '{key}' names more than one row: {where}; keep one row per chip"
    dup_rows = dup_msg.ne("")
    yield from emit(dup_rows, "aliases", "error", "duplicate-name", dup_msg)


_DIRECTION = re.compile(r"bidirection|both directions|two directions|per direction|each direction|one direction|"
                        r"one way|x ?2\b|×\s?2|doubled|pcie|direction not stated|aggregate|total", re.I)


_SUPPORTED = r"(?<!not )(?<!no )(?<!n't )\b(?:supports?|adds?|with|native)\s+(?:native\s+)?{label}\b"


def _same(a: str, b: str, whole: bool = False) -> bool:
    """Equal as figures: within 0.5% (a source's rounding), exactly for whole-number columns (years, dies)."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a.strip().lower() == b.strip().lower()
    if whole:
        return x == y
    return abs(x - y) <= 0.005 * max(abs(x), abs(y), 1e-9)


def _check_figures(raw: "pd.DataFrame", lines: list[int], folder: Path) -> Iterator[Finding]:
    """Every figure has a provenance row giving its value; no figure rests on deny-listed sources alone; every
    interconnect figure says how its direction was settled; no 'n/a' where the chip's notes say it is supported.
    And sources.csv itself is well formed."""
    rows = reader.rows(folder / "sources.csv", required=False)
    deny = _denylist(folder)
    by: dict[tuple[str, str], list[dict[str, str]]] = {}
    names = set(raw["name"])
    for i, r in enumerate(rows, start=2):
        if r.get("table") == "chips":
            by.setdefault((r.get("name", ""), r.get("field", "")), []).append(r)
        yield from _check_source_row(i, r, names, deny)
    for pos, (_, row) in enumerate(raw.iterrows()):
        for col in schema.NUMERIC_COLUMNS:
            value = row[col]
            if value and not schema.COLUMN_BY_NAME[col].derived_from:
                yield from _check_figure(row, lines[pos], col, value, by.get((row["name"], col), []), deny)


def _check_source_row(i: int, r: dict[str, str], names: set[str], deny: list[tuple[str, str]]
                      ) -> Iterator[Finding]:
    """One row of sources.csv: a known chip, a known role and kind, no deny-listed source chosen."""
    from chipcmp.data import provenance

    name = r.get("name", "")
    if r.get("table") == "chips" and name not in names:
        yield Finding(0, name, "sources.csv", "error", "unknown-chip",
                      f"sources.csv line {i} names a chip that is not in the file")
    if r.get("role") not in schema.SOURCE_ROLES:
        yield Finding(0, name, "sources.csv", "error", "bad-role",
                      f"sources.csv line {i}: role {r.get('role')!r} is not one of {', '.join(schema.SOURCE_ROLES)}")
    if r.get("source_kind") not in schema.SOURCE_KINDS:
        yield Finding(0, name, "sources.csv", "error", "bad-kind",
                      f"sources.csv line {i}: source_kind {r.get('source_kind')!r} is not one of "
                      f"{', '.join(schema.SOURCE_KINDS)}")
    if r.get("role") == "chosen" and provenance.denied(r.get("source_url", ""), deny):
        yield Finding(0, name, "sources.csv", "error", "denied-chosen",
                      f"sources.csv line {i}: a deny-listed source ({provenance.denied(r['source_url'], deny)}) "
                      "is marked chosen; mark it rejected")


def _check_figure(row: "pd.Series", line: int, col: str, value: str, figure: list[dict[str, str]],
                  deny: list[tuple[str, str]]) -> Iterator[Finding]:
    """One figure of the chips file against its rows of sources.csv."""
    from chipcmp.data import provenance

    name = row["name"]
    chosen = [r for r in figure if r.get("role") == "chosen"
              and _same(r.get("value", ""), value, schema.COLUMN_BY_NAME[col].kind == "int")]
    if not figure:
        yield Finding(line, name, col, "error", "no-provenance",
                      f"{value} has no row in sources.csv; add the source that gives it")
        return
    if not chosen:
        given = ", ".join(sorted({r.get("value", "") for r in figure}))
        yield Finding(line, name, col, "error", "not-in-sources",
                      f"{value} differs from every source in sources.csv ({given}); use one of them and "
                      "say why in the notes")
        return
    if all(provenance.denied(r.get("source_url", ""), deny) for r in chosen):
        yield Finding(line, name, col, "error", "denied-source", "rests only on deny-listed sources")
    if col == "interconnect_gbs" and value.lower() != "n/a":
        said = " ".join(r.get("note", "") + " " + r.get("locator", "") for r in chosen) + " " + row["notes"]
        if not _DIRECTION.search(said):
            yield Finding(line, name, col, "error", "interconnect-direction",
                          "neither its source rows nor the notes say whether it is bidirectional; convert "
                          "to both directions summed and say so")
    yield from _check_note_claims(row, line, col, value, figure)
    if value.lower() == "n/a":
        p = next((p for p in schema.PRECISIONS if p.column == col), None)
        label = p.label.split()[0] if p else ""
        if label and re.search(_SUPPORTED.format(label=re.escape(label)), row["notes"], re.I):
            yield Finding(line, name, col, "error", "na-but-supported",
                          f"n/a (not supported) but the notes say the chip supports {label}")


# How notes name a figure when they give its value ("bf16 780 = SemiAnalysis", "TDP 400 W").
_CLAIM_WORDS = {"bf16": "bf16_tflops", "fp16": "fp16_tflops", "fp8": "fp8_tflops", "int8": "int8_tops",
                "tf32": "tf32_tflops", "fp4": "fp4_tflops", "tdp": "tdp_w", "interconnect": "interconnect_gbs"}
_CLAIM = re.compile(r"\b(" + "|".join(_CLAIM_WORDS) + r")\s*(?:=\s*)?([0-9][0-9,]*(?:\.[0-9]+)?)"
                    r"(?=\s*(?:=|TFLOPS|TOPS|W\b|GB/s|is used|used))", re.I)


_ORDER_WORDS = re.compile(r"\border(?:ed|s)?\b[^.]{0,80}\bworth\b|\bworth\b[^.]{0,80}\border", re.I)
_ASIDE = re.compile(r"spars|\bcard\b|\bDuo\b", re.I)


def _check_note_claims(row: "pd.Series", line: int, col: str, value: str, figure: list[dict[str, str]]
                       ) -> Iterator[Finding]:
    """A number the row's notes give for this figure ('bf16 780 = ...') must be its value or a value one of its
    sources gives: a note that contradicts the cell misleads whoever reads `show`."""
    given = {_number(value)} | {_number(r.get("value", "")) for r in figure if r.get("role") != "rejected"}
    for sentence in re.split(r"(?<=[.;])\s+", row["notes"] or ""):
        if _ASIDE.search(sentence):
            continue  # a sparse figure halved, a two-chip card's total: not the cell's own value
        yield from _claims(sentence, row, line, col, value, given)


def _claims(sentence: str, row: "pd.Series", line: int, col: str, value: str, given: set[float | None]
            ) -> Iterator[Finding]:
    for m in _CLAIM.finditer(sentence):
        if _CLAIM_WORDS[m.group(1).lower()] != col:
            continue
        claimed = _number(m.group(2).replace(",", ""))
        if claimed is not None and not any(g is not None and abs(g - claimed) <= 0.005 * max(abs(g), 1) for g in given):
            yield Finding(line, row["name"], col, "error", "note-contradicts",
                          f"the notes give {m.group(0).strip()!r}, which is neither the cell ({value}) nor a value "
                          "of its sources; correct the note")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _rows(path: Path) -> Rows:
    """A CSV file beside the chips file as rows, or none when it is absent."""
    return reader.rows(path, required=False)


def _denylist(folder: Path) -> list[tuple[str, str]]:
    """The deny-list beside the chips file, else the bundled one."""
    from chipcmp.data import provenance

    return [(r["match"], r["reason"]) for r in _rows(folder / "denylist.csv")] or provenance.denylist()


_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def _check_prices(names: set[str], folder: Path) -> Iterator[Finding]:  # noqa: PLR0912 -- a branch per rule
    """prices.csv beside the chips file: every row names a known chip, a positive amount in a currency with a
    recorded rate, a kind that fits its unit (a purchase per chip, a rental per chip-hour with its provider), a
    date, and a source that is not deny-listed."""
    from chipcmp.data import provenance

    deny = _denylist(folder)
    currencies = {"USD", *(r.get("currency", "").upper() for r in _rows(folder / "fx.csv"))}
    for i, r in enumerate(_rows(folder / "prices.csv"), start=2):
        chip = r.get("chip", "")

        def bad(code: str, problem: str, chip: str = chip, i: int = i) -> Finding:
            return Finding(0, chip, "prices.csv", "error", code, f"prices.csv line {i}: {problem}")

        if chip not in names:
            yield bad("unknown-chip", "names a chip that is not in the file")
        try:
            amount = float(r.get("amount", ""))
        except ValueError:
            amount = math.nan
        if not amount > 0 or math.isinf(amount):
            yield bad("bad-price", f"amount {r.get('amount', '')!r} is not a positive number")
        unit, kind = r.get("unit", ""), r.get("kind", "")
        if unit == "chip-hour":
            if kind != "rental" or not r.get("provider"):
                yield bad("bad-value", "a price per chip-hour is kind 'rental' and names its provider")
            elif r.get("rent_kind") not in RENT_KINDS:
                yield bad("bad-value", f"rent_kind {r.get('rent_kind')!r} is not one of {', '.join(RENT_KINDS)}")
            elif r.get("rent_kind") == "contract" and not r.get("term"):
                yield bad("bad-value", "a contract rental states its term (1y, 3y, or 'not stated')")
        elif unit == "chip":
            if kind not in schema.PURCHASE_KINDS:
                yield bad("bad-value", f"kind {kind!r} is not one of {', '.join(schema.PURCHASE_KINDS)}")
            elif r.get("rent_kind") or r.get("term"):
                yield bad("bad-value", "a purchase has no rent_kind or term")
            elif kind in MARKET_KINDS and _ORDER_WORDS.search(r.get("locator", "") + " " + r.get("note", "")):
                yield bad("mis-kinded", f"a {kind} price that its source words as an order's value (ordered … "
                                        "worth …): kind order, used only with --price-kind order")
        else:
            yield bad("bad-value", f"unit {unit!r} is not 'chip' (a purchase) or 'chip-hour' (a rental)")
        if r.get("currency", "").upper() not in currencies:
            yield bad("no-rate", f"no rate for {r.get('currency')!r} in fx.csv; add one with its source and date")
        if not _DATE.fullmatch(r.get("date", "")):
            yield bad("bad-date", f"date {r.get('date', '')!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if r.get("source_kind") not in schema.SOURCE_KINDS:
            yield bad("bad-kind", f"source_kind {r.get('source_kind')!r} is not one of "
                                  f"{', '.join(schema.SOURCE_KINDS)}")
        url = r.get("source_url", "")
        if not url.startswith(("https://", "http://")):
            yield bad("price-unsourced", "a price needs the URL of its source")
        elif (reason := provenance.denied(url, deny)) is not None:
            yield bad("denied-source", f"the source is deny-listed ({reason}); find the original")
