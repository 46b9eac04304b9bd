"""Core pieces without the CLI: the registry, metrics on hand-made frames, the filter parser, formatting."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipcmp.core.expr import parse_condition
from chipcmp.core.fields import with_metrics
from chipcmp.core.filters import Filters, apply_filters
from chipcmp.data import schema
from chipcmp.data.names import resolve
from chipcmp.errors import EmptyResult, FilterError, UnknownChip, UsageError
from chipcmp.output.table import fmt_number


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in schema.COLUMNS:
        if c.name not in df:
            df[c.name] = float("nan") if c.numeric else None
    for c in schema.NUMERIC_COLUMNS:
        df[c] = df[c].astype("float64")
    return df


def test_registry_has_a_per_watt_and_per_kusd_metric_for_every_precision():
    for p in schema.PRECISIONS:
        assert f"{p.column}_per_watt" in schema.METRIC_BY_NAME
        assert f"{p.column}_per_kusd" in schema.METRIC_BY_NAME
    for name in ("memory_gb_per_kusd", "memory_bw_per_watt", "ridge_point", "bf16_tflops_per_mm2", "tpp", "pd"):
        assert name in schema.METRIC_BY_NAME
    assert len(set(schema.FIELD_BY_NAME)) == len(schema.COLUMNS) + len(schema.METRICS)


def test_metrics_are_missing_not_zero_or_inf():
    df = frame([
        {"name": "a", "bf16_tflops": 100, "tdp_w": 0, "price_usd": None},
        {"name": "b", "bf16_tflops": None, "tdp_w": 200, "price_usd": 1000},
        {"name": "c", "bf16_tflops": 100, "tdp_w": 200, "price_usd": 2000, "memory_bw_tbs": 2},
    ])
    out = with_metrics(df)
    assert math.isnan(out.at[0, "bf16_tflops_per_watt"])  # zero watts is not infinite efficiency
    assert math.isnan(out.at[1, "bf16_tflops_per_watt"])
    assert out.at[2, "bf16_tflops_per_watt"] == 0.5
    assert out.at[2, "bf16_tflops_per_kusd"] == 50
    assert out.at[2, "ridge_point"] == 50
    assert math.isnan(out.at[1, "tpp"])


def test_tpp_takes_the_best_precision():
    # The rule's worked example: 300 dense 16-bit TFLOPS is TPP 4,800; an 8-bit rate of 700 gives 5,600.
    df = frame([{"name": "x", "bf16_tflops": 300}, {"name": "y", "bf16_tflops": 300, "int8_tops": 700}])
    out = with_metrics(df, ["tpp"])
    assert list(out["tpp"]) == [4800, 5600]


@pytest.mark.parametrize(("expr", "kept"), [
    ("memory_gb>=80", ["big"]),
    (" tdp_w < 1e3 ", ["big", "small"]),
    ("vendor=='NVIDIA'", ["big"]),
    ("bf16_tflops_per_watt!=.5", ["big"]),  # 'small' has exactly 0.5; 'odd' has no TDP: unknown never matches
    ("form_factor=SXM", ["big"]),
    ("bf16_tflops / tdp_w > 1", ["big"]),  # the --metric grammar, inside --where
    ("memory_gb * 2 >= memory_gb + 10", ["big", "small"]),  # like units on both sides
])
def test_where_parses(expr, kept):
    df = frame([{"name": "big", "vendor": "NVIDIA", "form_factor": "SXM", "memory_gb": 80, "tdp_w": 700,
                 "bf16_tflops": 989.5},
                {"name": "small", "vendor": "Huawei", "form_factor": "PCIe", "memory_gb": 32, "tdp_w": 300,
                 "bf16_tflops": 150},
                {"name": "odd", "vendor": "Other", "form_factor": "", "memory_gb": 1, "bf16_tflops": 1}])
    c = parse_condition(expr)
    assert list(df.loc[c.mask(with_metrics(df, c.fields)), "name"]) == kept


@pytest.mark.parametrize(("expr", "message"), [
    ("memory_gb + bf16_tflops > 1", "cannot add GB and TFLOPS"),
    ("memory_gb > tdp_w", "compares GB with W"),
    ("bf16_tflops * 1e308 * 10 > 1", "overflows"),
])
def test_where_checks_units_and_overflow(expr, message):
    df = frame([{"name": "x", "memory_gb": 80, "tdp_w": 700, "bf16_tflops": 989.5}])
    def run() -> None:
        c = parse_condition(expr)
        c.mask(with_metrics(df, c.fields))

    with pytest.raises(UsageError, match=message):
        run()


@pytest.mark.parametrize("expr", [
    "", "memory_gb", ">=80", "memory_gb >= 80 and tdp_w < 700", "memory_gb>=80;import os",
    "memory_gb>=float('inf')", "memory_gb>=1_000", "memory_gb>=0x10", "vendor==a;b", "name==$(id)",
    "__class__>=1", "memory_gb>=nan", "memory_gb>=inf",
])
def test_where_rejects(expr):
    with pytest.raises(FilterError):
        parse_condition(expr)


def test_where_never_reaches_eval(monkeypatch):
    import builtins

    def boom(*_a, **_k):
        raise AssertionError("eval must not be called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(pd.DataFrame, "query", boom)
    monkeypatch.setattr(pd.DataFrame, "eval", boom)
    df = frame([{"name": "a", "vendor": "X", "memory_gb": 80}, {"name": "b", "vendor": "Y", "memory_gb": 40}])
    out = apply_filters(df, Filters(where=("memory_gb>=80", "vendor==x")))
    assert list(out["name"]) == ["a"]


def test_filters_combine_and_empty_result_raises():
    df = frame([{"name": "a", "vendor": "X", "release_year": 2020}, {"name": "b", "vendor": "Y",
                                                                      "release_year": 2024}])
    assert list(apply_filters(df, Filters(since=2021))["name"]) == ["b"]
    assert list(apply_filters(df, Filters(vendor=("x", "y")))["name"]) == ["a", "b"]
    with pytest.raises(EmptyResult):
        apply_filters(df, Filters(vendor=("x",), since=2021))


def test_resolve_aliases_and_ambiguity():
    df = frame([{"name": "H100 SXM", "vendor": "NVIDIA", "aliases": "H100|H100 SXM5"},
                {"name": "H100 PCIe", "vendor": "NVIDIA", "aliases": ""},
                {"name": "Twin A", "vendor": "V", "aliases": "twin"},
                {"name": "Twin B", "vendor": "V", "aliases": "twin"}])
    assert resolve(df, ["h100", "NVIDIA H100-PCIe"]) == [0, 1]
    with pytest.raises(UnknownChip, match="ambiguous"):
        resolve(df, ["twin"])
    with pytest.raises(UnknownChip, match="did you mean"):
        resolve(df, ["H100 SMX"])


@pytest.mark.parametrize(("value", "kind", "text"), [
    (989.5, "float", "989.5"), (15832.0, "float", "15,832"), (1.41357, "float", "1.414"), (0.37, "float", "0.37"),
    (2022.0, "int", "2022"), (0.3159, "ratio", "0.32×"), (3.35, "float", "3.35"), (0.0531, "float", "0.0531"),
    (0.0, "float", "0"), (1e-5, "float", "1.00e-05"),
])
def test_number_format(value, kind, text):
    assert fmt_number(value, kind) == text


def test_name_key_paths_agree():
    from chipcmp.data.dataset import load_dataset
    from chipcmp.data.names import _name_keys_loop, _name_keys_vectorised

    df = load_dataset().frame
    loop = set(zip(_name_keys_loop(df).index, _name_keys_loop(df), strict=True))
    vec = set(zip(_name_keys_vectorised(df).index, _name_keys_vectorised(df), strict=True))
    assert loop == vec


@pytest.mark.parametrize(("metric", "unit"), [
    ("1 / (price_usd / 1000) * bf16_tflops", "TFLOPS/k$"),
    ("bf16_tflops / (price_usd / 1000)", "TFLOPS/k$"),
    ("memory_bw_tbs / price_usd * 1000", "TB/s/k$"),
    ("bf16_tflops / tdp_w", "TFLOPS/W"),
    ("bf16_tflops * 1000", "TFLOPS × 1000"),
    ("memory_gb * memory_gb", "GB^2"),
    ("bf16_tflops_per_watt * tdp_w", "TFLOPS"),  # TFLOPS/W × W
])
def test_expression_units_simplify(metric, unit):
    from chipcmp.core.expr import parse

    assert parse(metric).unit == unit


@pytest.mark.parametrize(("metric", "message"), [
    ("memory_gb + bf16_tflops", "cannot add GB and TFLOPS"),
    ("tdp_w - price_usd", "cannot subtract W and USD"),
    ("bf16_tflops * 1e400", "too large a number"),
])
def test_expressions_refuse_unlike_units_and_overflow(metric, message):
    from chipcmp.core.expr import parse

    with pytest.raises(UsageError, match=message):
        parse(metric)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from([float("nan"), 0.5, 1.0, 1.0, 2.0, 3.0, -1.0]), min_size=1, max_size=80),
       top=st.integers(1, 6), ascending=st.booleans())
def test_top_rows_are_those_of_a_full_stable_sort(values: list[float], top: int, ascending: bool) -> None:
    """rank --top selects by partition before sorting (a million rows): the same rows, ties in data order."""
    from chipcmp.core.rank import Ranking, order

    s = pd.Series(values, index=[f"r{i}" for i in range(len(values))])
    if s.isna().all():
        return
    r = order(Ranking("m", s, "m", True, "", "m", ("m",), []), top, ascending)
    expected = s.dropna().sort_values(ascending=ascending, kind="stable").head(top)
    assert r.order is not None and r.order.index.tolist() == expected.index.tolist()
