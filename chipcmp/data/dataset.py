"""Load and validate chip data: the bundled CSV, a replacement (--data) and overlays (--add).

Everything here is vectorised: a user file of a million rows is parsed by pandas' C reader in one pass, and the
slow, exact diagnosis (which row, which column) only runs once a file is known to be bad.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipcmp.data import bundle, schema
from chipcmp.data.files import (
    ENV_DATA,
    bundled_path,
)
from chipcmp.data.names import lookalike_pairs, typed_for_pairs
from chipcmp.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd




class Source:
    """Where the rows came from: shown in outputs and carried in exports. (Plain classes here and below: a
    dataclass's generated methods cost ~1 ms at every start of the tool.)"""

    __slots__ = ("digest", "label", "path", "rows")

    def __init__(self, label: str, path: Path, rows: int, digest: str | None = None) -> None:
        self.label = label  # "bundled" or the path as the user gave it
        self.path = path
        self.rows = rows
        self.digest = digest  # known when the bytes were read whole; a big file is hashed only when asked

    def __repr__(self) -> str:
        return f"Source({self.label!r}, {self.rows} rows)"

    @property
    def sha256(self) -> str:
        if self.digest is None:
            from chipcmp.data.table import sha256

            self.digest = sha256(self.path)
        return self.digest


class Dataset:
    """The loaded chips (one row per chip, columns as in `schema.COLUMNS`) and their provenance."""

    def __init__(self, frame: pd.DataFrame, sources: list[Source], warnings: list[str] | None = None, *,
                 overridden: dict[tuple[str, str], str] | None = None,
                 unsupported: dict[str, set[object]] | None = None) -> None:
        self.frame = frame
        self.sources = sources
        self.warnings = [] if warnings is None else warnings
        # (row label, column) pairs whose value came from an overlay file, and from which file
        self.overridden = {} if overridden is None else overridden
        # column -> row labels the data marks "n/a": the chip does not support that format (not: unknown)
        self.unsupported = {} if unsupported is None else unsupported

    def origin(self, label: object, column: str) -> str | None:
        """The user file (or '--price') a cell came from, or None for the bundled/--data figure."""
        key = str(label)
        return self.overridden.get((key, column)) or self.overridden.get((key, "*"))

    def is_unsupported(self, label: object, column: str) -> bool:
        return label in self.unsupported.get(column, ())

    def unsupported_labels(self, column: str) -> set[object]:
        """Row labels whose `column` is n/a."""
        return self.unsupported.get(column, set())

    def unsupported_columns(self) -> set[str]:
        """Columns with at least one n/a cell."""
        return {c for c, labels in self.unsupported.items() if labels}

    def describe(self) -> str:
        """'bundled + my.csv (2 cells overridden, 1 chip added)', for the note every output carries."""
        cells = sum(1 for (_, c) in self.overridden if c != "*")
        added = sum(1 for (_, c) in self.overridden if c == "*")
        parts = [s.label for s in self.sources]
        extra = [f"{cells} cell{'s' * (cells != 1)} overridden" if cells else "",
                 f"{added} chip{'s' * (added != 1)} added" if added else ""]
        detail = ", ".join(e for e in extra if e)
        return " + ".join(parts) + (f" ({detail})" if detail else "")

    @property
    def version(self) -> str:
        """Dataset version: the chipcmp version plus the short hash of every file read."""
        from chipcmp.version import __version__

        return f"chipcmp {__version__}; " + "; ".join(f"{s.label} sha256:{s.sha256[:12]}" for s in self.sources)


def _by_column(pairs: list[list[object]]) -> dict[str, set[object]]:
    out: dict[str, set[object]] = {}
    for label, column in pairs:
        out.setdefault(str(column), set()).add(label)
    return out


DEFAULT_KINDS = ("any", "on-demand")  # the price kinds the release's bundle is built with


@functools.lru_cache(maxsize=8)
def _load_file(path: str, shown: str, stamp: tuple[int, int], kinds: tuple[str, str]) -> tuple[
        pd.DataFrame, Source, tuple[str, ...], dict[str, set[object]]]:
    """One regular file, parsed once per process while its size and mtime stay the same. The bundled chips come
    from the bundle built at release (`data.bundle`) when it matches the files, else from the CSV files, with
    their derived columns (prices, confidence, measurements) joined from the files beside them."""
    p = Path(path)
    if shown == "bundled" and kinds == DEFAULT_KINDS:
        built = bundle.read()
        if built is not None:
            meta = built["chips_meta"]
            return (bundle.frame(built), Source(shown, p, built["chips"]["rows"], meta["sha256"]),
                    tuple(meta["notes"]), _by_column(meta["unsupported"]))
    return load_fresh(p, shown, stamp[1], kinds)


def load_fresh(p: Path, shown: str, size: int, kinds: tuple[str, str] = DEFAULT_KINDS) -> tuple[
        pd.DataFrame, Source, tuple[str, ...], dict[str, set[object]]]:
    """A chips file parsed from its CSV, and for the bundled one its derived columns joined (what the bundle is
    built from)."""
    from chipcmp.data.table import IN_MEMORY_BYTES, read_table, sha256

    # A file of ordinary size is read into memory once: the scan, the parse, the n/a cells and the hash all use
    # those bytes. A big one is streamed by each pass instead, so memory stays near pandas' own.
    source: Path | bytes = p.read_bytes() if size <= IN_MEMORY_BYTES else p
    df, notes, unsupported = read_table(p, shown, source)
    digest = sha256(source) if isinstance(source, bytes) else None
    if shown == "bundled":
        from chipcmp.data.provenance import enrich

        df = enrich(df, *kinds)
    return df, Source(shown, p, len(df), digest), tuple(notes), unsupported


def _load(path: Path, shown: str, kinds: tuple[str, str] = DEFAULT_KINDS) -> tuple[
        pd.DataFrame, Source, tuple[str, ...], dict[str, set[object]]]:
    if shown != "bundled":
        from chipcmp.data.table import open_source, read_table, sha256

        source = open_source(path, shown)
        if isinstance(source, bytes):  # a pipe or a device: read once, never kept
            df, notes, unsupported = read_table(path, shown, source)
            return df, Source(shown, path, len(df), sha256(source)), tuple(notes), unsupported
    try:
        st = path.stat()
    except OSError as e:
        raise DataError(f"the bundled {path.name} cannot be read ({e.strerror or e}); reinstall chipcmp") from None
    return _load_file(str(path), shown, (st.st_mtime_ns, st.st_size), kinds)


def _private(df: pd.DataFrame) -> pd.DataFrame:
    """A frame the caller may change without changing the cache: free under pandas' copy-on-write (pandas 3),
    a real copy before it."""
    import pandas as pd

    return df.copy(deep=int(pd.__version__.split(".")[0]) < 3)


def load_dataset(data: str | os.PathLike[str] | None = None, add: Sequence[str | os.PathLike[str]] = (),
                 prices: Sequence[str] = (), price_kind: str = "any", rent_kind: str = "on-demand") -> Dataset:
    """Load the chips. `data` (or $CHIPCMP_DATA) replaces the bundled CSV; each `add` file overlays it (a row
    naming a known chip overrides the cells it fills, a new name adds a chip); `prices` ('NAME=USD') override
    prices. Each file is parsed once per process."""
    if data is None:
        data = os.environ.get(ENV_DATA) or None
    if data is None:
        path, shown = bundled_path(), "bundled"
    else:
        path, shown = Path(data), str(data)
    df, source, notes, unsupported = _load(path, shown, (price_kind, rent_kind))
    ds = Dataset(_private(df), [source], list(notes), unsupported={c: set(v) for c, v in unsupported.items()})
    ds.warnings += _lookalike_warnings(ds.frame["name"], shown)
    seen = {_identity(path)}
    for extra in map(Path, add):
        ident = _identity(extra)
        if ident in seen:
            raise UsageError(f"--add {extra}: that file is already loaded; give each file once")
        seen.add(ident)
        _overlay(ds, extra)
    for spec in prices:
        _override_price(ds, spec)
    return ds


def _identity(path: Path) -> object:
    try:
        st = path.stat()
        return (st.st_dev, st.st_ino)
    except OSError:
        return str(path)


def _lookalike_warnings(names: pd.Series, shown: str, only: set[str] | None = None) -> list[str]:
    """Names that read like another but are spelt with letters of another script (Cyrillic Н100 beside H100);
    with `only`, the pairs that involve one of those names (an overlay's)."""
    if len(names) > 20_000:
        return []  # a Python loop per name; `chipcmp audit` checks big files
    return [f"{shown}: the name {b!r} reads like {a!r} but is spelt with look-alike letters of another script; "
            "rename it" for a, b in lookalike_pairs(names) if only is None or a in only or b in only]


def _overlay(ds: Dataset, path: Path) -> None:
    import pandas as pd

    from chipcmp.data.names import name_keys

    shown = str(path)
    over, source, notes, unsupported = _load(path, shown)
    ds.warnings.extend(notes)
    ds.warnings += _lookalike_warnings(pd.concat([ds.frame["name"], over["name"]]), shown,
                                       only=set(over["name"]))
    if len(over) <= 20_000:
        ds.warnings += [f"{shown}: {b!r} reads like {a!r} (a letter typed for a digit?); it is added as a new chip, "
                        "not an override of it" for a, b in typed_for_pairs(over["name"], ds.frame["name"])]
    ds.sources.append(source)
    base_keys = name_keys(ds.frame)
    owners = base_keys.groupby(base_keys.values).agg(lambda s: tuple(sorted(set(s.index))))
    over_keys = name_keys(over.assign(vendor=""))  # an overlay row may leave vendor empty
    hits = over_keys.map(owners).dropna().explode()
    matched = hits.groupby(level=0).agg(lambda s: sorted(set(s)))
    twice = matched[matched.map(len) > 1]
    if not twice.empty:
        i = twice.index[0]
        names = ", ".join(repr(ds.frame.at[lbl, "name"]) for lbl in twice.iloc[0])
        raise DataError(f"{shown}: line {int(i) + 2}: {over.at[i, 'name']!r} matches {names}; use the full name "
                        "of one chip")
    target = matched.map(lambda labels: labels[0])
    clash = target[target.duplicated(keep=False)]
    if not clash.empty:
        lines = ", ".join(str(int(i) + 2) for i in clash.index[:2])
        raise DataError(f"{shown}: lines {lines} both name {ds.frame.at[clash.iloc[0], 'name']!r}; keep one row "
                        "per chip")
    updates = over.loc[target.index].drop(columns=["name"]).set_axis(target.to_numpy())
    filled = updates.notna()
    ds.frame.update(updates)
    for label, col in filled.stack()[lambda m: m].index:
        ds.overridden[(str(label), col)] = shown
        ds.unsupported.get(col, set()).discard(label)
    relabel = dict(target.items())
    new = over.drop(index=target.index)
    if not new.empty:
        start = (max(ds.frame.index) + 1) if len(ds.frame) else 0
        relabel |= dict(zip(new.index, range(start, start + len(new)), strict=True))
        new = new.set_axis(range(start, start + len(new)))
        ds.frame = pd.concat([ds.frame, new])
        for label in new.index:
            ds.overridden[(str(label), "*")] = shown
    for col, labels in unsupported.items():
        for label in labels:
            ds.unsupported.setdefault(col, set()).add(relabel[label])
            ds.overridden[(str(relabel[label]), col)] = shown
    _user_prices(ds, over, relabel, shown)


def _user_prices(ds: Dataset, over: pd.DataFrame, relabel: dict[Any, Any], shown: str) -> None:
    """A price from an overlay is that file's: its own range, kind and date where it gives them, else the price
    alone as the user's (kind 'user'), never the bundled price's range or kind beside the user's figure."""
    if "price_usd" not in over.columns:
        return
    for i in over.index[over["price_usd"].notna()]:
        label, value = relabel[i], over.at[i, "price_usd"]
        given = {c: over.at[i, c] if c in over.columns else None for c in
                 ("price_usd_low", "price_usd_high", "price_kind", "price_source", "price_date")}
        fill = {"price_usd_low": value, "price_usd_high": value, "price_kind": "user", "price_source": shown,
                "price_date": None}
        for col, default in fill.items():
            v = given[col]
            ds.frame.at[label, col] = v if isinstance(v, (str, float, int)) and v == v and v != "" else default  # noqa: PLR0124
            ds.overridden[(str(label), col)] = shown


def _override_price(ds: Dataset, spec: str) -> None:
    from chipcmp.data.names import resolve

    name, sep, usd = spec.rpartition("=")
    try:
        value = float(usd)
    except ValueError:
        value = float("nan")
    if not sep or not name.strip() or not value > 0 or value == float("inf"):
        raise UsageError(f"--price {spec!r}: write CHIP=USD with a positive price, e.g. --price 'H100 SXM=25000'")
    (label,) = resolve(ds.frame, [name.strip()])
    spec_col = schema.COLUMN_BY_NAME["price_usd"]
    lo, hi = spec_col.lo or 0.0, spec_col.hi or float("inf")
    if not lo <= value <= hi:
        raise UsageError(f"--price {spec!r}: {value:g} USD is outside the plausible range {lo:,.0f} to "
                         f"{hi:,.0f} USD for one chip")
    columns = ["price_usd", "price_usd_low", "price_usd_high", "price_kind", "price_source", "price_date"]
    ds.frame.loc[label, columns] = [value, value, value, "user", "--price", None]
    for col in ("price_usd", "price_usd_low", "price_usd_high", "price_kind", "price_source"):
        ds.overridden[(str(label), col)] = "--price"
