"""The registry: every column of the data and every derived metric, declared once.

`list`, `show`, `compare`, `rank`, `export`, `metrics`, the `--where` parser, the audit and shell completion all
read these tables, so adding a column or a metric is one entry here. This module must stay importable without
pandas (``chipcmp --help`` and completion read it): metric formulas receive a DataFrame and only call its methods.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    import pandas as pd


Kind = Literal["text", "int", "float"]


class Column(NamedTuple):
    """A column of ``data/chips.csv``."""

    name: str
    label: str
    unit: str
    kind: Kind
    group: str
    description: str
    higher_is_better: bool | None = None
    # Plausible range for the audit: outside it is an error (units are almost certainly wrong).
    lo: float | None = None
    hi: float | None = None
    required: bool = False
    # Filled by the loader from a long-format file of the bundled data (prices.csv, sources.csv, measured.csv)
    # rather than stored in chips.csv; a user's own file may still set it.
    derived_from: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


class Metric(NamedTuple):
    """A figure derived from columns, computed vectorised over the whole frame."""

    name: str
    label: str
    unit: str
    formula: str
    inputs: tuple[str, ...]
    compute: "Callable[[pd.DataFrame], pd.Series]"
    higher_is_better: bool | None = True  # None: a two-sided figure (ridge point), no better or worse
    default: bool = False  # shown by `compare` without --metrics
    kind: Kind = "float"

    @property
    def numeric(self) -> bool:
        return True

    @property
    def description(self) -> str:
        return self.formula


Field = Column | Metric


class Precision(NamedTuple):
    """A throughput column: its precision name, unit word and bit length (used by TPP)."""

    name: str
    unit: str  # "tflops" or "tops"
    bits: int
    label: str

    @property
    def column(self) -> str:
        return f"{self.name}_{self.unit}"


PRECISIONS: tuple[Precision, ...] = (
    Precision("fp64", "tflops", 64, "FP64 (vector)"),
    Precision("fp64_matrix", "tflops", 64, "FP64 (matrix)"),
    Precision("fp32", "tflops", 32, "FP32 (vector)"),
    # TF32 is stored and moved as 32-bit words; on every chip in the data its rate is half the 16-bit rate, so
    # TPP comes out the same whichever of 19 or 32 bits one counts.
    Precision("tf32", "tflops", 32, "TF32"),
    Precision("bf16", "tflops", 16, "BF16"),
    Precision("fp16", "tflops", 16, "FP16"),
    Precision("fp8", "tflops", 8, "FP8"),
    Precision("int8", "tops", 8, "INT8"),
    Precision("fp4", "tflops", 4, "FP4"),
)


PRECISION_BY_NAME = {p.name: p for p in PRECISIONS}


_T = "dense, no sparsity, per package"


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "", "text", "identity", "Product variant, unique (e.g. 'H100 SXM')", required=True),
    Column("vendor", "Vendor", "", "text", "identity", "Designer of the chip", required=True),
    Column("vendor_country", "Country", "", "text", "identity", "ISO 3166 alpha-2 code of the vendor's HQ"),
    Column("kind", "Kind", "", "text", "identity", "gpu, asic or wafer (wafer-scale engine)"),
    Column("form_factor", "Form factor", "", "text", "identity", "SXM, PCIe, OAM, NVL, superchip, module, ..."),
    Column("status", "Status", "", "text", "identity",
           "shipping, or announced (its figures are the vendor's preliminary ones)"),
    Column("release_year", "Year", "", "int", "identity",
           "Year of first shipment (expected year for an announced part)", lo=1990, hi=2035),
    Column("process_node", "Process", "", "text", "silicon", "Foundry process of the compute dies"),
    Column("compute_dies", "Dies", "", "int", "silicon", "Compute dies in the package", lo=1, hi=128),
    Column(
        "die_area_mm2", "Die area", "mm²", "float", "silicon",
        "Total area of all logic dies in the package (compute + I/O dies, no memory stacks)", lo=20, hi=60_000,
    ),
    Column("memory_gb", "Memory", "GB", "float", "memory",
           "Device memory capacity as the vendor states it (see data/README.md on GB vs GiB)", True, 0.01, 2_000),
    Column("memory_type", "Memory type", "", "text", "memory", "HBM3, HBM2e, GDDR6, LPDDR5, SRAM, ..."),
    Column(
        "memory_bw_tbs", "Memory BW", "TB/s", "float", "memory",
        "Peak device memory bandwidth, decimal TB/s (SRAM bandwidth for SRAM-only designs)", True, 0.02, 30_000,
    ),
    Column(
        "interconnect_gbs", "Interconnect", "GB/s", "float", "io",
        "Chip-to-chip scale-up bandwidth, bidirectional aggregate over all links, decimal GB/s "
        "(host PCIe where the card has no scale-up fabric)", True, 1, 100_000,
    ),
    Column("tdp_w", "TDP", "W", "float", "power",
           "Maximum power of the accelerator package (board or module); superchip rows say what they cover",
           False, 5, 30_000),
    *(
        Column(p.column, p.label, p.unit.upper(), "float", "compute", f"Peak {p.label} throughput, {_T}", True,
               0.01, 1_000_000)
        for p in PRECISIONS
    ),
    Column("price_usd", "Price", "USD", "float", "price",
           "Purchase price per chip in USD: the latest of the chosen kind (--price-kind) in prices.csv", False, 50,
           5_000_000, derived_from="prices"),
    Column("price_usd_low", "Price low", "USD", "float", "price",
           "Lowest market price of the chip in the two years up to the chosen one (its range)", False, 50,
           5_000_000, derived_from="prices"),
    Column("price_usd_high", "Price high", "USD", "float", "price",
           "Highest market price of the chip in the two years up to the chosen one (its range)", False, 50,
           5_000_000, derived_from="prices"),
    Column("price_kind", "Price kind", "", "text", "price",
           "list (vendor list price), street (reported selling price), retail (a listing), analyst (a named "
           "analyst's market estimate); cost, order or kit only when asked for (--price-kind); user (--price)",
           derived_from="prices"),
    Column("price_date", "Price date", "", "text", "price", "When the price applied (YYYY-MM)",
           derived_from="prices"),
    Column("price_source", "Price source", "", "text", "price",
           "Where the price comes from, in one line: kind, date, the amount as published (and its conversion to "
           "USD at the dated rate of fx.csv) and the source", derived_from="prices"),
    Column("rent_usd_hour", "Rent", "USD/h", "float", "price",
           "Cloud rental per chip-hour in USD: the latest in prices.csv (instance price / its chips)", False, 0.01,
           1_000, derived_from="prices"),
    Column("rent_source", "Rent source", "", "text", "price",
           "Rental kind (on-demand, contract and term, spot, managed), date, provider, region and URL",
           derived_from="prices"),
    Column("deployed_w", "Deployed power", "W", "float", "power",
           "A reference system's stated power ÷ its chips (deployed_scope says what it covers: node, rack or "
           "pod): a per-chip power where the vendor publishes no TDP, on a stated basis", False, 5, 30_000,
           derived_from="systems"),
    Column("deployed_scope", "Deployed basis", "", "text", "power",
           "What deployed_w covers and from which system, e.g. 'pod: Huawei CloudMatrix 384 (559 kW / 384)'",
           derived_from="systems"),
    Column("bf16_achieved_tflops", "BF16 achieved", "TFLOPS", "float", "measured",
           "Highest published measured dense BF16 matmul throughput (measured.csv)", True, 0.01, 1_000_000,
           derived_from="measured"),
    Column("fp8_achieved_tflops", "FP8 achieved", "TFLOPS", "float", "measured",
           "Highest published measured dense FP8 matmul throughput (measured.csv)", True, 0.01, 1_000_000,
           derived_from="measured"),
    Column("memory_bw_achieved_tbs", "Memory BW achieved", "TB/s", "float", "measured",
           "Highest published measured memory bandwidth (measured.csv)", True, 0.01, 30_000, derived_from="measured"),
    Column("aliases", "Aliases", "", "text", "provenance", "Other names, separated by '|'"),
    Column("confidence", "Confidence", "", "text", "provenance",
           "official (vendor), secondary (named analyst, press or cloud), estimate (derived), or unverified "
           "(row-level sources, not yet checked cell by cell): the weakest source behind the row's throughput",
           derived_from="sources"),
    Column("sources", "Sources", "", "text", "provenance", "URLs of the sources, separated by '|'",
           required=True),
    Column("notes", "Notes", "", "text", "provenance", "Conversions, disagreements between sources, caveats"),
)


COLUMN_BY_NAME = {c.name: c for c in COLUMNS}


NUMERIC_COLUMNS = tuple(c.name for c in COLUMNS if c.numeric)




THROUGHPUT_COLUMNS = tuple(p.column for p in PRECISIONS)


NOT_SUPPORTED = "n/a"  # in a number column: the chip cannot run that format (an empty cell is unknown)


KINDS = ("gpu", "asic", "wafer")


STATUSES = ("shipping", "announced")


CONFIDENCES = ("official", "secondary", "estimate", "unverified")


# Published purchase prices by how they were observed (prices.csv), best evidence first; "user" is --price.
# list, street, retail, analyst: market prices of the chip; cost (what the designer pays), order (an order's value
# ÷ units) and kit (a board or server ÷ its chips) are not (data/prices.py says how each is used).
PURCHASE_KINDS = ("list", "street", "retail", "analyst", "cost", "order", "kit")


PRICE_KINDS = (*PURCHASE_KINDS, "user")


SOURCE_KINDS = ("vendor", "paper", "analyst", "press", "cloud", "benchmark", "estimate", "row-level", "community")


SOURCE_ROLES = ("chosen", "alternative", "superseded", "discounted", "rejected")


def safe_ratio(num: "pd.Series", den: "pd.Series", scale: float = 1.0) -> "pd.Series":
    """num × scale / den, missing (never 0 or inf) where either input is missing or den is not positive. In numpy,
    not pandas operators: a chip's show computes thirty of these on one row, where pandas' per-call overhead is
    all the cost. The chips' ratio metrics and the systems' share it."""
    import numpy as np
    import pandas as pd

    n, d = num.to_numpy(dtype="float64"), den.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = n * scale / np.where(d > 0, d, np.nan)
    out[np.isinf(out)] = np.nan
    return pd.Series(out, index=num.index)


def _ratio(num: str, den: str, scale: float = 1.0) -> "Callable[[pd.DataFrame], pd.Series]":
    """The metric num × scale / den of two columns (safe_ratio)."""

    def compute(df: "pd.DataFrame") -> "pd.Series":
        return safe_ratio(df[num], df[den], scale)

    return compute


def _tpp_values(df: "pd.DataFrame") -> "Any":
    # TPP = 2 × MacTOPS × bit length, maximised over precisions; a datasheet TFLOPS already counts 2 ops per MAC.
    # In numpy (fmax skips NaN; all unknown stays NaN): pandas' frame product and row max cost ~1 ms a call.
    import numpy as np

    return np.fmax.reduce([df[p.column].to_numpy(dtype="float64") * p.bits for p in PRECISIONS])


def _tpp(df: "pd.DataFrame") -> "pd.Series":
    import pandas as pd

    return pd.Series(_tpp_values(df), index=df.index)


def _pd(df: "pd.DataFrame") -> "pd.Series":
    import numpy as np
    import pandas as pd

    area = df["die_area_mm2"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", over="ignore"):  # as pandas' division: quietly
        return pd.Series(_tpp_values(df) / np.where(area > 0, area, np.nan), index=df.index)


def _build_metrics() -> tuple[Metric, ...]:
    metrics: list[Metric] = []
    for p in PRECISIONS:
        u = "TFLOPS" if p.unit == "tflops" else "TOPS"
        metrics.append(Metric(
            f"{p.column}_per_watt", f"{p.label} per watt", f"{u}/W", f"{p.column} / tdp_w",
            (p.column, "tdp_w"), _ratio(p.column, "tdp_w"), default=p.name == "bf16",
        ))
    for p in PRECISIONS:
        u = "TFLOPS" if p.unit == "tflops" else "TOPS"
        metrics.append(Metric(
            f"{p.column}_per_kusd", f"{p.label} per $1k", f"{u}/k$", f"{p.column} / (price_usd / 1000)",
            (p.column, "price_usd"), _ratio(p.column, "price_usd", 1000.0), default=p.name == "bf16",
        ))
    metrics += [
        Metric("bf16_tflops_per_deployed_kw", "BF16 per deployed kW", "TFLOPS/kW",
               "bf16_tflops / (deployed_w / 1000): per kW of a reference system's stated power (deployed_scope)",
               ("bf16_tflops", "deployed_w"), _ratio("bf16_tflops", "deployed_w", 1000.0), default=True),
        Metric("fp8_tflops_per_deployed_kw", "FP8 per deployed kW", "TFLOPS/kW",
               "fp8_tflops / (deployed_w / 1000): per kW of a reference system's stated power (deployed_scope)",
               ("fp8_tflops", "deployed_w"), _ratio("fp8_tflops", "deployed_w", 1000.0)),
        Metric("memory_gb_per_kusd", "Memory per $1k", "GB/k$", "memory_gb / (price_usd / 1000)",
               ("memory_gb", "price_usd"), _ratio("memory_gb", "price_usd", 1000.0)),
        Metric("memory_bw_per_watt", "Memory BW per watt", "GB/s/W", "memory_bw_tbs × 1000 / tdp_w",
               ("memory_bw_tbs", "tdp_w"), _ratio("memory_bw_tbs", "tdp_w", 1000.0), default=True),
        Metric("memory_bw_per_kusd", "Memory BW per $1k", "GB/s/k$", "memory_bw_tbs × 1000 / (price_usd / 1000)",
               ("memory_bw_tbs", "price_usd"), _ratio("memory_bw_tbs", "price_usd", 1e6)),
        Metric("memory_gb_per_watt", "Memory per watt", "GB/W", "memory_gb / tdp_w",
               ("memory_gb", "tdp_w"), _ratio("memory_gb", "tdp_w")),
        Metric("interconnect_per_kusd", "Interconnect per $1k", "GB/s/k$", "interconnect_gbs / (price_usd / 1000)",
               ("interconnect_gbs", "price_usd"), _ratio("interconnect_gbs", "price_usd", 1000.0)),
        Metric("ridge_point", "Ridge point (BF16)", "FLOP/B",
               "bf16_tflops / memory_bw_tbs: arithmetic intensity above which BF16 work is compute-bound",
               ("bf16_tflops", "memory_bw_tbs"), _ratio("bf16_tflops", "memory_bw_tbs"), higher_is_better=None,
               default=True),  # two-sided: a high ridge suits training, a low one decoding; no better or worse
        Metric("bf16_tflops_per_mm2", "BF16 per mm²", "TFLOPS/mm²", "bf16_tflops / die_area_mm2",
               ("bf16_tflops", "die_area_mm2"), _ratio("bf16_tflops", "die_area_mm2")),
        Metric("bf16_achieved_fraction", "BF16 achieved / peak", "", "bf16_achieved_tflops / bf16_tflops: "
               "the share of the datasheet peak a published measurement reached", ("bf16_achieved_tflops",
               "bf16_tflops"), _ratio("bf16_achieved_tflops", "bf16_tflops")),
        Metric("bf16_achieved_per_watt", "BF16 achieved per watt", "TFLOPS/W", "bf16_achieved_tflops / tdp_w",
               ("bf16_achieved_tflops", "tdp_w"), _ratio("bf16_achieved_tflops", "tdp_w")),
        Metric("bf16_achieved_per_kusd", "BF16 achieved per $1k", "TFLOPS/k$",
               "bf16_achieved_tflops / (price_usd / 1000)", ("bf16_achieved_tflops", "price_usd"),
               _ratio("bf16_achieved_tflops", "price_usd", 1000.0)),
        Metric("tpp", "TPP", "", "max over precisions of dense TFLOPS/TOPS × bit length (US export rule)",
               THROUGHPUT_COLUMNS, _tpp, default=True),
        Metric("pd", "Perf. density", "TPP/mm²", "tpp / die_area_mm2 (US export rule)",
               (*THROUGHPUT_COLUMNS, "die_area_mm2"), _pd, default=True),
    ]
    return tuple(metrics)


METRICS: tuple[Metric, ...] = _build_metrics()


METRIC_BY_NAME = {m.name: m for m in METRICS}


FIELD_BY_NAME: dict[str, Field] = {**COLUMN_BY_NAME, **METRIC_BY_NAME}


NUMERIC_FIELDS = tuple(n for n, f in FIELD_BY_NAME.items() if f.numeric)


def field_header(f: Field) -> str:
    """Table header: label with its unit, e.g. 'Memory BW (TB/s)'."""
    return f"{f.label} ({f.unit})" if f.unit else f.label
