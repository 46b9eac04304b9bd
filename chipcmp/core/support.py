"""'n/a' (the chip cannot run that format) kept apart from unknown (nobody published it) in every table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from chipcmp.core.result import with_marks
from chipcmp.data import schema

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def _unsupported_source(name: str) -> str | None:
    """The column whose n/a cells make `name` "not supported": itself, or a metric's throughput input."""
    f = schema.FIELD_BY_NAME.get(name)
    if isinstance(f, schema.Metric):
        if not f.inputs or f.inputs[0] not in schema.THROUGHPUT_COLUMNS or len(f.inputs) > 2:
            return None
        return f.inputs[0]
    return name


def unsupported_mask(ds: Dataset, df: pd.DataFrame, name: str) -> pd.Series:
    """Rows where `name` is "not supported": the column is n/a, or a metric's throughput input is."""
    import pandas as pd

    column = _unsupported_source(name)
    return pd.Series(_na_rows(ds, df, column) if column else False, index=df.index)


def _na_rows(ds: Dataset, df: pd.DataFrame, column: str) -> Any:
    """The rows of `df` (numpy bool, by position) whose `column` the data marks n/a."""
    return df.index.isin(list(ds.unsupported_labels(column)))


def mark_unsupported(ds: Dataset, df: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """`df` with "n/a" where a chip does not support a format (and the value is therefore not unknown)."""
    return with_marks(df, unsupported_masks(ds, df, names))


def unsupported_masks(ds: Dataset, df: pd.DataFrame, names: Iterable[str]) -> dict[str, Any]:
    """Per column of `names` with any, the rows (numpy bool mask, by position) whose cell is "not supported"."""
    marked = ds.unsupported_columns()
    if not marked:
        return {}
    rows: dict[str, Any] = {}  # per throughput column: its n/a rows in `df`, shared by the metrics built on it
    out = {}
    for n in names:
        source = _unsupported_source(n)
        if n not in df.columns or source is None or source not in marked:
            continue  # most columns: decided without touching pandas
        if source not in rows:
            rows[source] = _na_rows(ds, df, source)
        mask = rows[source] & df[n].isna().to_numpy()
        if mask.any():
            out[n] = mask
    return out
