"""Fields of a table (chips or systems) by their registry: checking a name, computing metrics, parsing a list of
fields, and the small value tests the core shares.

Nothing in the core prints or exits: functions return frames or a `Result` and raise the domain errors of
`chipcmp.errors`; the CLI decides how to show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chipcmp.core.result import Col
from chipcmp.data import schema
from chipcmp.data.names import suggest
from chipcmp.data.registry import CHIPS, Registry
from chipcmp.errors import UnknownMetric, UsageError

if TYPE_CHECKING:
    import pandas as pd



def field_names(kind: str = "all") -> list[str]:
    """Names of columns and/or metrics, for completion and error messages."""
    if kind == "metric":
        return list(schema.METRIC_BY_NAME)
    if kind == "numeric":
        return list(schema.NUMERIC_FIELDS)
    return list(schema.FIELD_BY_NAME)


def check_field(name: str, *, numeric: bool = True, registry: Registry = CHIPS) -> schema.Field:
    """The registry entry for `name`, or UnknownMetric listing what is valid."""
    if registry is not CHIPS:
        return _check_other(name, numeric, registry)
    f = schema.FIELD_BY_NAME.get(name)
    if f is not None and numeric and not f.numeric:
        raise UnknownMetric(f"{name!r} is a text column, not a number: it cannot be ranked, charted or matched"
                            "\n(`chipcmp metrics` lists the numeric fields and metrics)")
    if f is None or (numeric and not f.numeric):
        choices = field_names("numeric" if numeric else "all")
        raise UnknownMetric(f"unknown metric {name!r}{suggest(name, choices)}"
                            "\n(`chipcmp metrics` lists and explains every one)")
    return f


def _check_other(name: str, numeric: bool, registry: Registry) -> schema.Field:
    f = registry.by_name.get(name)
    if f is None or (numeric and not f.numeric):
        choices = list(registry.numeric if numeric else registry.by_name)
        raise UnknownMetric(f"{name!r} is not a {registry.what} metric{suggest(name, choices)}"
                            f"\n({registry.what} metrics: {', '.join(choices)})")
    return f


def check_precision(name: str) -> schema.Precision:
    """The registry's precision called `name`, or a usage error listing them."""
    p = schema.PRECISION_BY_NAME.get(name.lower())
    if p is None:
        raise UsageError(f"--precision {name!r} is not one of {', '.join(schema.PRECISION_BY_NAME)}")
    return p


def check_top(top: int | None) -> None:
    if top is not None and top < 1:
        raise UsageError(f"--top {top}: give a positive number of chips")


def with_metrics(df: pd.DataFrame, names: Iterable[str] | None = None, registry: Registry = CHIPS) -> pd.DataFrame:
    """Add derived metrics (all, or those named) as columns, computed vectorised; columns are left alone."""
    metrics = {m.name: m for m in registry.metrics}
    wanted = registry.metrics if names is None else [metrics[n] for n in names if n in metrics]
    new = {m.name: m.compute(df) for m in wanted if m.name not in df.columns}
    if not new:
        return df
    import numpy as np
    import pandas as pd

    for name, s in new.items():  # belt and braces: a ratio is never infinite (checked per column, in numpy)
        if s.dtype.kind == "f" and np.isinf(s.to_numpy()).any():
            new[name] = s.replace([np.inf, -np.inf], np.nan)
    return pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)


def columns_for(names: Iterable[str], bar: str | None = None, keep: str | None = None,
                registry: Registry = CHIPS) -> list[Col]:
    return [Col.of(n, bar=n == bar, keep=n == keep, registry=registry) for n in names]


MAX_SPEC = 5_000  # characters of a --columns or --metrics list: every field named twice fits in it


def split_names(spec: str, option: str) -> list[str]:
    """The names of a comma-separated list, each once, in the order first given (a repeat is no new column)."""
    if len(spec) > MAX_SPEC:
        raise UsageError(f"{option} is {len(spec):,} characters; name each field once (at most {MAX_SPEC:,})")
    return list(dict.fromkeys(s.strip() for s in spec.split(",") if s.strip()))


def parse_fields(spec: str | None, default: Sequence[str]) -> list[str]:
    if spec is None:
        return list(default)
    if spec.strip().lower() == "all":
        return [n for n in schema.FIELD_BY_NAME if n != "name"]
    names = split_names(spec, "--columns")
    if not names:
        raise UsageError(f"{spec!r} names no field; give names separated by commas, or 'all'")
    for n in names:
        if n not in schema.FIELD_BY_NAME:
            raise UnknownMetric(f"unknown field {n!r}{suggest(n, field_names())}"
                                "\n(`chipcmp metrics` lists every column and metric, or use 'all')")
    return names


def plural(n: int, word: str) -> str:
    """'1 chip', '2 chips'."""
    return f"{n:,} {word}{'s' * (n != 1)}"


def is_unknown(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)  # noqa: PLR0124


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v  # noqa: PLR0124


def field_values(df: pd.DataFrame, name: str, registry: Registry = CHIPS) -> pd.Series:
    """A column, or a metric computed on the spot without copying the frame."""
    if name in df.columns:
        return df[name]
    import numpy as np

    metric = registry.by_name[name]
    assert isinstance(metric, schema.Metric)  # a column is in the frame
    return metric.compute(df).replace([np.inf, -np.inf], np.nan)


def split_list(cell: object) -> list[str]:
    text = text_of(cell)
    return [s.strip() for s in text.split("|") if s.strip()] if text else []


def text_of(cell: object) -> str:
    return cell if isinstance(cell, str) else ""


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts (numbers as Python floats, missing as NaN): what pandas' to_dict("records") gives,
    at a fifth of its cost on a table of 100 columns, and a dict lookup is ~50× a Series one."""
    keys = list(df.columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*(df[k].tolist() for k in keys), strict=True)]
