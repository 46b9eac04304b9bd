"""The shared filters (--vendor, --country, --kind, --since, --where) and chip selection by name."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from chipcmp.core.fields import with_metrics
from chipcmp.data import schema
from chipcmp.data.names import fold, fold_series, resolve, suggest
from chipcmp.errors import EmptyResult, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


class Filters(NamedTuple):
    """The filters every data command takes. Each given filter narrows; values within one filter are ORed."""

    vendor: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    since: int | None = None
    where: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [f"vendor={'|'.join(self.vendor)}" if self.vendor else "",
                 f"country={'|'.join(self.country)}" if self.country else "",
                 f"kind={'|'.join(self.kind)}" if self.kind else "",
                 f"since={self.since}" if self.since is not None else "",
                 *self.where]
        return ", ".join(p for p in parts if p)


def _match_values(df: "pd.DataFrame", column: str, wanted: Sequence[str], option: str) -> "pd.Series":
    """Rows whose `column` equals one of `wanted` (case/punctuation-insensitive); unknown values are an error."""
    key = fold_series(df[column])
    present = sorted(set(df[column].dropna()))
    mask = key.eq("__none__")
    for w in wanted:
        k = fold(w)
        hit = key.eq(k)
        if not hit.any():
            raise UsageError(f"{option} {w!r} matches no chip{suggest(w, present)}"
                             f"\n(known: {', '.join(present)})")
        mask |= hit
    return mask


def apply_filters(df: "pd.DataFrame", f: Filters) -> "pd.DataFrame":
    """The rows that pass every filter. Metrics named in --where are computed (and kept) as needed."""
    conditions = []
    if f.where:
        from chipcmp.core.expr import parse_condition  # only --where needs the grammar

        conditions = [parse_condition(w) for w in f.where]
    if f.kind:
        bad = [k for k in f.kind if k.lower() not in schema.KINDS]
        if bad:
            raise UsageError(f"--kind {bad[0]!r} is not a kind; use one of {', '.join(schema.KINDS)}")
    if not (f.vendor or f.country or f.kind or f.since is not None or conditions):
        return df  # nothing to filter: no copy of a possibly huge frame
    df = with_metrics(df, [n for c in conditions for n in c.fields])
    mask = df["name"].notna()
    if f.vendor:
        mask &= _match_values(df, "vendor", f.vendor, "--vendor")
    if f.country:
        mask &= _match_values(df, "vendor_country", f.country, "--country")
    if f.kind:
        mask &= df["kind"].str.lower().isin([k.lower() for k in f.kind])
    if f.since is not None:
        mask &= df["release_year"].ge(f.since)
    for c in conditions:
        mask &= c.mask(df)
    out = df[mask]
    if out.empty:
        raise EmptyResult(f"no chip matches the filters ({f.describe()}); loosen them or check `chipcmp list`")
    return out


def select(ds: "Dataset", chips: Sequence[str], filters: Filters) -> "pd.DataFrame":
    """The chips named (all when none are), narrowed by the filters."""
    df = ds.frame.loc[resolve(ds.frame, chips)] if chips else ds.frame
    return apply_filters(df, filters)
