"""`chipcmp train`: training-run estimates per chip."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import BF16, ActiveOpt, ChipsArg, ModelOpt, ParamsOpt, PrecisionOpt, SystemOpt, command
from chipcmp.estimate.formulas import DEFAULT_MFU
from chipcmp.ranges import checker

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp train 'Ascend 910B' H100 H20 --model 'Llama 3.1 70B' --tokens 15T --chips 4096",
                   "chipcmp train H800 --model DeepSeek-V3 --tokens 14.8T --chips 2048 --mfu 0.35",
                   "chipcmp train --system 'CloudMatrix 384' --systems 4 --model 'Llama 3.1 405B' --tokens 15.6T"))
def train(
    ctx: "Context",
    chips: ChipsArg = None,
    model: ModelOpt = None,
    params: ParamsOpt = "",
    active_params: ActiveOpt = "",
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="Training tokens, with K/M/B/T suffix, e.g. 2T.")] = "",
    precision: PrecisionOpt = BF16,
    mfu: Annotated[float, typer.Option("--mfu", callback=checker("--mfu"),
                                       help="Model FLOPs utilisation, in (0, 1].")] = DEFAULT_MFU,
    n_chips: Annotated[int | None, typer.Option("--chips", callback=checker("--chips"),
                                                metavar="N", help="Cluster size: report "
                                                "wall-clock days.")] = None,
    days: Annotated[float | None, typer.Option("--days", "-d", callback=checker("--days"),
                                               help="Deadline: report chips needed.")] = None,
    system: SystemOpt = None,
    n_systems: Annotated[int | None, typer.Option("--systems", callback=checker("--systems"), metavar="N",
                                                  help="With --system: how many of them.")] = None,
    pue: Annotated[float, typer.Option("--pue", callback=checker("--pue"),
                                       help="Power usage effectiveness (1 = chips only).")] = 1.0,
    kwh_price: Annotated[float | None, typer.Option("--kwh-price", callback=checker("--kwh-price"),
                                                    metavar="USD", help="Electricity price "
                                                    "per kWh.")] = None,
    rent: Annotated[float | None, typer.Option("--rent", callback=checker("--rent"),
                                               metavar="USD", help="Rental price per chip-hour.")] = None,
) -> "Result":
    """Estimate a training run on each chip: 6·N·D FLOPs (N active for MoE), chip-hours at an MFU, days or chips,
    energy, cost."""
    from chipcmp.estimate import inputs, training

    m = inputs.model_from_options(model, params, active_params, "train")
    sys_, chip_list = inputs.system_and_chips(system, chips)
    n_chips = inputs.cluster_size(sys_, n_systems, n_chips)
    plan = training.TrainPlan(m.params, inputs.required_count(tokens, "--tokens"), m.active_params if m.moe else None,
                              m.name if model else "", precision.value, mfu, n_chips, days, pue, kwh_price, rent,
                              sys_.power_kw * 1000 / sys_.chips if sys_ and sys_.power_kw else None,
                              sys_.name if sys_ else "")
    result = training.train(ctx.dataset, plan, chip_list, ctx.filters)
    result.messages[:0] = inputs.alias_note(model, m)
    return result

