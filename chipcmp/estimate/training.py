"""Workload estimates from the same data: training time and cost (`train`), serving limits (`serve`), and the
roofline ranking (`roofline`).

Every assumption (formula, precision, MFU, PUE, prices) is returned with the result: printed under the table,
exported as columns and as JSON meta. A chip lacking a needed figure stays in the output with unknown values.
"""

from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.fields import check_precision
from chipcmp.core.filters import Filters, select
from chipcmp.core.result import Col, Result
from chipcmp.errors import UsageError
from chipcmp.estimate.formulas import DEFAULT_MFU, MFU_RANGE, power_basis, training_flops
from chipcmp.estimate.inputs import human_count
from chipcmp.ranges import check_range
from chipcmp.text import span

if TYPE_CHECKING:
    import pandas as pd

    from chipcmp.data.dataset import Dataset


def unknown_note(df: "pd.DataFrame", key: str, needs: list[str]) -> list[str]:
    missing = df[df[key].isna()]
    if missing.empty:
        return []
    lacking = [n for n in needs if missing[n].isna().any()]
    return [f"{len(missing)} chips have unknown results for lack of {' or '.join(lacking)}: "
            + ", ".join(missing["name"].head(8)) + (" ..." if len(missing) > 8 else "")]


class TrainPlan(NamedTuple):
    params: float
    tokens: float
    active_params: float | None = None  # per token, for a mixture-of-experts model
    model: str = ""
    precision: str = "bf16"
    mfu: float = DEFAULT_MFU
    chips: int | None = None
    days: float | None = None
    pue: float = 1.0
    kwh_usd: float | None = None
    rent_usd_hour: float | None = None
    system_w: float | None = None  # --system: its stated power ÷ its chips
    system_name: str = ""

    def check(self) -> None:
        check_precision(self.precision)
        for option, value in (("--mfu", self.mfu), ("--pue", self.pue), ("--kwh-price", self.kwh_usd),
                              ("--rent", self.rent_usd_hour), ("--days", self.days), ("--chips", self.chips)):
            check_range(value, option)
        if self.chips is not None and self.days is not None:
            raise UsageError("give --chips (how long?) or --days (how many chips?), not both")


def _power(df: "pd.DataFrame", plan: TrainPlan) -> tuple[list[float], list[str]]:
    """Watts per chip and their basis (the --system's power, else TDP, else deployed power) for each chip."""
    basis = [power_basis(t, d, s, plan.system_w, plan.system_name)
             for t, d, s in zip(df["tdp_w"], df["deployed_w"], df["deployed_scope"], strict=True)]
    return [w if w is not None else float("nan") for w, _ in basis], [b for _, b in basis]


def _figures(df: "pd.DataFrame", plan: TrainPlan, column: str, flops: float) -> dict[str, Any]:
    """The table's figures per chip, as columns: built in numpy and joined once (a pandas column assignment
    costs ~0.2 ms, and there are nineteen)."""
    import numpy as np

    peak_tflops = df[column].to_numpy(dtype="float64")
    peak = peak_tflops * 1e12
    # the range: at the highest and lowest MFU published runs imply, unless the user fixed the MFU
    low, high = (MFU_RANGE[1], MFU_RANGE[0]) if plan.mfu == DEFAULT_MFU else (plan.mfu, plan.mfu)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero peak: infinite hours, as pandas divides
        hours = flops / (peak * plan.mfu) / 3600.0
        hours_low, hours_high = flops / (peak * low) / 3600.0, flops / (peak * high) / 3600.0
    out: dict[str, Any] = {"peak_tflops": peak_tflops, "chip_hours": hours, "chip_hours_low": hours_low,
                           "chip_hours_high": hours_high,
                           "chip_hours_range": [span(a, b) for a, b in zip(hours_low, hours_high, strict=True)]}
    n = len(df)
    if plan.chips is not None:
        out["cluster_chips"] = np.full(n, float(plan.chips))
        out["days"] = hours / plan.chips / 24.0
    elif plan.days is not None:
        out["cluster_chips"] = np.ceil(hours / (plan.days * 24.0))
        out["days"] = np.full(n, plan.days)
    watts, basis = _power(df, plan)
    out["power_w"], out["power_basis"] = np.array(watts, dtype="float64"), basis
    out["energy_mwh"] = hours * out["power_w"] * plan.pue / 1e6
    out["electricity_usd"] = out["energy_mwh"] * 1000.0 * plan.kwh_usd if plan.kwh_usd else np.full(n, np.nan)
    price = df["price_usd"].to_numpy(dtype="float64")
    out["price_usd"] = price
    out["hardware_usd"] = out["cluster_chips"] * price if "cluster_chips" in out else np.full(n, np.nan)
    out["rental_usd"] = hours * plan.rent_usd_hour if plan.rent_usd_hour else np.full(n, np.nan)
    return out


def train(ds: "Dataset", plan: TrainPlan, chips: list[str], filters: Filters) -> Result:
    """Training compute (6·N·D), chip-hours at the given MFU, wall-clock or chips needed, energy and cost."""
    import pandas as pd

    plan.check()
    p = check_precision(plan.precision)
    df = select(ds, chips, filters)
    n_compute = plan.active_params or plan.params
    flops = training_flops(n_compute, plan.tokens)
    out = pd.concat([df[["name", "vendor"]], pd.DataFrame(_figures(df, plan, p.column, flops), index=df.index)],
                    axis=1)
    sort = "days" if plan.chips is not None else ("cluster_chips" if plan.days is not None else "chip_hours")
    out = out.sort_values([sort, "name"], na_position="last", kind="mergesort")
    # assumptions travel with the data (CSV columns, JSON meta) and under the table
    assumptions = {"flops_formula": "6 * active params * tokens" if plan.active_params else
                   "6 * params * tokens (dense transformer)", "total_flops": flops, "model": plan.model or None,
                   "params": plan.params, "active_params": n_compute, "tokens": plan.tokens, "precision": p.name,
                   "mfu": plan.mfu,
                   "pue": plan.pue, "kwh_usd": plan.kwh_usd, "rent_usd_per_chip_hour": plan.rent_usd_hour}
    out = out.assign(**{k: assumptions[k] for k in ("precision", "mfu", "pue", "flops_formula")})
    cols = _columns(plan, p.label, "cluster_chips" in out)
    footer = _footer(plan, p.label, n_compute, flops)
    notes = unknown_note(out.assign(**{p.column: df[p.column]}), "chip_hours", [p.column])
    no_power = out["chip_hours"].notna() & out["power_w"].isna()
    if no_power.any():
        notes.append(f"no energy or electricity cost for {', '.join(out.loc[no_power, 'name'].head(5))}: no TDP or "
                     "system power is published")
    what = plan.model or f"a {human_count(plan.params)}-parameter model"
    title = f"Training {what} on {human_count(plan.tokens)} tokens"
    return Result(out, cols, title=title,
                  messages=notes, notes=footer, assumptions=assumptions)



def _columns(plan: TrainPlan, label: str, sized: bool) -> list[Col]:
    cols = [Col.of("name"), Col.of("vendor"), Col("peak_tflops", f"{label} peak (TFLOPS)", True),
            Col("chip_hours", "Chip-hours", True, kind="estimate", keep=True),
            Col("chip_hours_range", "range", keep=True)]
    if plan.chips is not None:
        cols.append(Col("days", f"Days on {plan.chips:,} chips", True, keep=True))
    elif plan.days is not None:
        cols.append(Col("cluster_chips", f"Chips for {plan.days:g} days", True, kind="count", keep=True))
    cols.append(Col("energy_mwh", "Energy (MWh)", True))
    cols.append(Col("power_basis", "Power basis"))
    if plan.kwh_usd:
        cols.append(Col("electricity_usd", "Electricity (USD)", True, keep=True))  # asked by --kwh-price
    if sized:
        cols.append(Col("hardware_usd", "Hardware (USD)", True, keep=True))
    if plan.rent_usd_hour:
        cols.append(Col("rental_usd", "Rental (USD)", True, keep=True))  # asked by --rent
    return cols


def _footer(plan: TrainPlan, label: str, n_compute: float, flops: float) -> list[str]:
    return [
        (f"Compute: 6 × {human_count(n_compute)} active params (of {human_count(plan.params)}, mixture of experts) × "
         if plan.active_params and plan.active_params < plan.params else
         f"Compute: 6 × {human_count(plan.params)} params × ")
        + f"{human_count(plan.tokens)} tokens = {flops:.3g} FLOPs.",
        f"Assumed: {label} dense peak, MFU {plan.mfu:g}"
        + (f" (the median of published runs; range at MFU {MFU_RANGE[0]:g}–{MFU_RANGE[1]:g}, their extremes: "
           "`chipcmp calibration`)" if plan.mfu == DEFAULT_MFU else " (yours)")
        + f", PUE {plan.pue:g}"
        + ("" if plan.pue > 1 else " (chip TDP only: no cooling, hosts or network)")
        + (f", electricity {plan.kwh_usd:g} USD/kWh" if plan.kwh_usd else "")
        + (f", rental {plan.rent_usd_hour:g} USD per chip-hour" if plan.rent_usd_hour else "") + ".",
        "Energy = chip-hours × power per chip × PUE, the power being the --system's stated power ÷ its chips, else "
        "the chip's TDP, else its deployed power (a reference system's power ÷ chips, scope in 'Power basis'); "
        "hardware = chips × the data's price (see `chipcmp show` for its kind).",
    ]
