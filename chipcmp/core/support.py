"""'n/a' (the chip cannot run that format) kept apart from unknown (nobody published it) in every table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from chipcmp.data import schema
from chipcmp.data.schema import NOT_SUPPORTED

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
    labels = ds.unsupported_labels(column) if column else set()
    if not labels:
        return pd.Series(False, index=df.index)
    return pd.Series(df.index.isin(list(labels)), index=df.index)


def mark_unsupported(ds: Dataset, df: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """`df` with "n/a" where a chip does not support a format (and the value is therefore not unknown)."""
    masks = unsupported_masks(ds, df, names)
    fixed = {n: df[n].astype(object).mask(m, NOT_SUPPORTED) for n, m in masks.items()}
    return df.assign(**fixed) if fixed else df


def unsupported_masks(ds: Dataset, df: pd.DataFrame, names: Iterable[str]) -> dict[str, Any]:
    """Per column of `names` with any, the rows (numpy bool mask, by position) whose cell is "not supported"."""
    if not ds.unsupported_columns():
        return {}
    marked = ds.unsupported_columns()
    out = {}
    for n in names:
        if n not in df.columns or _unsupported_source(n) not in marked:
            continue  # most columns: decided without touching pandas
        mask = (unsupported_mask(ds, df, n) & df[n].isna()).to_numpy()
        if mask.any():
            out[n] = mask
    return out
