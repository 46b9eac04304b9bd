"""The tables the tool ranks and compares, each with its registry of fields: chips (declared in `schema`) and
systems. A system (board, rack, pod) is a table with its own columns and metrics, declared like the chips', so
that `rank`, `compare`, `--columns` and `metrics` treat both alike.

A system's frame carries its row of systems.csv and, joined from its chip, the chip's figures as `chip_*`
columns; the metrics below derive the totals from them. Stdlib only, like `schema`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chipcmp.data.schema import COLUMNS, METRICS, Column, Field, Metric, safe_ratio

if TYPE_CHECKING:
    import pandas as pd


class Registry:
    """The fields of one table: what a row is called, its columns and its derived metrics. (A plain class: a
    dataclass's generated methods cost ~1 ms at every start of the tool.)"""

    __slots__ = ("by_name", "columns", "metrics", "what")

    def __init__(self, what: str, columns: tuple[Column, ...], metrics: tuple[Metric, ...]) -> None:
        self.what = what  # "chip" or "system"
        self.columns = columns
        self.metrics = metrics
        self.by_name: dict[str, Field] = {**{c.name: c for c in columns}, **{m.name: m for m in metrics}}

    def __repr__(self) -> str:
        return f"Registry({self.what!r})"

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.by_name.items() if f.numeric)


# The chip figures a system's totals are built from, joined onto each system row as chip_<name>.
CHIP_INPUTS = ("bf16_tflops", "fp8_tflops", "memory_gb", "memory_bw_tbs", "tdp_w", "price_usd")


def _times_chips(column: str, scale: float) -> Callable[[pd.DataFrame], pd.Series]:
    def compute(df: pd.DataFrame) -> pd.Series:
        return df["chips"] * df[f"chip_{column}"] * scale

    return compute


def _total(name: str, label: str, unit: str, column: str, scale: float) -> Metric:
    return Metric(name, label, unit, f"chips × chip {column}" + (f" × {scale:g}" if scale != 1 else ""),
                  ("chips", f"chip_{column}"), _times_chips(column, scale))


def _power_kw(df: pd.DataFrame) -> pd.Series:
    # The system's stated power where it has one, else its chips' TDP: `power_basis` says which.
    return df["power_kw"].fillna(df["chips"] * df["chip_tdp_w"] / 1000)


def _price(df: pd.DataFrame) -> pd.Series:
    return df["price_usd"].fillna(df["chips"] * df["chip_price_usd"])


SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column("name", "System", "", "text", "identity", "System name, unique", required=True),
    Column("vendor", "Vendor", "", "text", "identity", "Vendor of the system", required=True),
    Column("chip", "Chip", "", "text", "identity", "Its accelerator: a name of chips.csv", required=True),
    Column("chips", "Chips", "", "int", "identity", "Accelerator packages in the system", lo=1, hi=1_000_000),
    Column("scaleup_domain", "Scale-up", "chips", "int", "io",
           "Chips in one scale-up (memory-semantic) domain", True, 1, 1_000_000),
    Column("scaleup_bw_gbs", "Scale-up BW", "GB/s", "float", "io",
           "Scale-up bandwidth per chip, bidirectional, decimal GB/s", True, 1, 100_000),
    Column("scaleout_bw_gbs", "Scale-out BW", "GB/s", "float", "io",
           "Scale-out (network) bandwidth per chip, bidirectional, decimal GB/s", True, 0.1, 10_000),
    Column("power_kw", "Power", "kW", "float", "power", "Stated power of the system (what it covers: power_scope)",
           False, 0.01, 1_000_000),
    Column("power_scope", "Power covers", "", "text", "power", "chips, node, rack or pod"),
    Column("price_usd", "Price", "USD", "float", "price", "Stated price of the whole system", False, 100, 1e10),
    Column("price_kind", "Price kind", "", "text", "price", "How the system price was observed"),
    Column("stated_bf16_pflops", "Vendor BF16", "PFLOPS", "float", "stated",
           "The system vendor's own dense BF16 total, where published", True, 0.001, 1e7),
    Column("stated_fp8_pflops", "Vendor FP8", "PFLOPS", "float", "stated",
           "The system vendor's own dense FP8 total, where published", True, 0.001, 1e7),
    Column("stated_memory_tb", "Vendor HBM", "TB", "float", "stated",
           "The system vendor's own memory total, in the chips' unit: thousands of vendor (binary) GB",
           True, 0.001, 1e6),
    Column("stated_memory_bw_tbs", "Vendor HBM BW", "TB/s", "float", "stated",
           "The system vendor's own memory-bandwidth total, decimal TB/s", True, 0.01, 1e6),
    Column("release_year", "Year", "", "int", "identity", "Year of first shipment", lo=1990, hi=2035),
    Column("status", "Status", "", "text", "identity", "shipping or announced"),
    Column("notes", "Notes", "", "text", "provenance", "Sources, conversions and caveats"),
)


SYSTEM_METRICS: tuple[Metric, ...] = (
    _total("bf16_pflops", "BF16", "PFLOPS", "bf16_tflops", 1e-3),
    _total("fp8_pflops", "FP8", "PFLOPS", "fp8_tflops", 1e-3),
    _total("memory_tb", "HBM", "TB", "memory_gb", 1e-3),
    _total("memory_bw_tbs", "HBM BW", "TB/s", "memory_bw_tbs", 1.0),
    _total("chip_tdp_kw", "Chips' TDP", "kW", "tdp_w", 1e-3),
    Metric("power_basis_kw", "Power basis", "kW", "power_kw where stated, else chips × chip tdp_w / 1000",
           ("power_kw", "chips", "chip_tdp_w"), _power_kw, higher_is_better=False),
    Metric("system_price_usd", "Price basis", "USD", "price_usd where stated, else chips × chip price_usd",
           ("price_usd", "chips", "chip_price_usd"), _price, higher_is_better=False),
    Metric("bf16_pflops_per_kw", "BF16 per kW", "PFLOPS/kW", "bf16_pflops / power_basis_kw",
           ("chips", "chip_bf16_tflops", "power_kw", "chip_tdp_w"),
           lambda df: safe_ratio(df["chips"] * df["chip_bf16_tflops"] / 1000, _power_kw(df))),
    Metric("bf16_pflops_per_musd", "BF16 per $M", "PFLOPS/$M", "bf16_pflops / (system_price_usd / 1e6)",
           ("chips", "chip_bf16_tflops", "price_usd", "chip_price_usd"),
           lambda df: safe_ratio(df["chips"] * df["chip_bf16_tflops"] / 1000, _price(df), 1e6)),
    Metric("vendor_vs_chips_bf16", "Vendor / chips", "", "stated_bf16_pflops / bf16_pflops: off 1.00× means "
           "clocks, power caps or a different basis", ("stated_bf16_pflops", "chips", "chip_bf16_tflops"),
           lambda df: safe_ratio(df["stated_bf16_pflops"], df["chips"] * df["chip_bf16_tflops"] / 1000),
           higher_is_better=None),
    Metric("vendor_vs_chips_memory", "Vendor / chips HBM", "", "stated_memory_tb / memory_tb: off 1.00× means "
           "usable vs marketed capacity or another unit", ("stated_memory_tb", "chips", "chip_memory_gb"),
           lambda df: safe_ratio(df["stated_memory_tb"], df["chips"] * df["chip_memory_gb"] / 1000),
           higher_is_better=None),
)


CHIPS = Registry("chip", COLUMNS, METRICS)
SYSTEMS = Registry("system", SYSTEM_COLUMNS, SYSTEM_METRICS)
