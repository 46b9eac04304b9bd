"""`chipcmp plan serve|train`: the buyer's decision in one command."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import ActiveOpt, ChipsArg, ModelOpt, ParamsOpt, Precision, command
from chipcmp.commands.serve import (
    OutputTokensOpt,
    PromptOpt,
    Scenario,
    ScenarioOpt,
    TokensPerStepOpt,
    TpotOpt,
    TtftOpt,
)
from chipcmp.estimate.formulas import DEFAULT_MFU
from chipcmp.estimate.rules import RULE_BY_ID
from chipcmp.ranges import checker

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result
    from chipcmp.data.models import Model
    from chipcmp.estimate.plan import Goal


class Workload(str, enum.Enum):
    serve = "serve"
    train = "train"


RuleChoice = enum.Enum("RuleChoice", [(r, r) for r in RULE_BY_ID], type=str)  # type: ignore[misc]
SERVE_ONLY = ("--output-rate", "--scenario", "--tpot-ms", "--ttft-ms", "--weights", "--prompt", "--output-tokens",
              "--tokens-per-step", "--years")
TRAIN_ONLY = ("--tokens", "--days", "--chips", "--mfu")

BudgetOpt = Annotated[float | None, typer.Option("--budget", callback=checker("--budget"), metavar="USD",
                                                 help="Capex limit: options over it are marked (or --fit).")]
PowerOpt = Annotated[float | None, typer.Option("--power", callback=checker("--power"), metavar="MW",
                                                help="Power limit in MW (chips' power basis).")]
FitOpt = Annotated[bool, typer.Option("--fit", help="Scale an option over --budget or --power down to what fits, "
                                                    "and say what share of the goal it meets.")]
BuyerOpt = Annotated[str | None, typer.Option("--buyer", metavar="CC", help="The buyer's country (ISO code): keep "
                                              "only what it may obtain under --rule.")]
RuleOpt = Annotated[RuleChoice | None, typer.Option("--rule", "-r", show_default=False,
                                                    help="Export rule version for --buyer.")]
ByOpt = Annotated[str, typer.Option("--by", help="Order: usd ($ per million output tokens; serve), capex, mw, "
                                    "chips, or days (train).")]
NoPodsOpt = Annotated[bool, typer.Option("--no-pods", help="Chips in their boxes only, no racks or pods.")]



@command(examples=(
    "chipcmp plan serve --model DeepSeek-V3 --output-rate 2000000 --tpot-ms 50 --buyer CN --rule 2023-10",
    "chipcmp plan serve 'Ascend 910C' H20 H100 --model 'Llama 3.1 70B' --output-rate 100000 --budget 50000000 --fit",
    "chipcmp plan train --model 'Llama 3.1 405B' --tokens 15.6T --days 90 --buyer CN --rule 2023-10",
))
def plan(
    ctx: "Context",
    workload: Annotated[Workload, typer.Argument(help="serve (a rate of output tokens) or train (a run).",
                                                 case_sensitive=False, show_default=False)],
    chips: ChipsArg = None,
    model: ModelOpt = None,
    params: ParamsOpt = "",
    active_params: ActiveOpt = "",
    output_rate: Annotated[float | None, typer.Option("--output-rate", callback=checker("--output-rate"),
                                                      metavar="TOK/S", help="serve: output tokens per second "
                                                      "the fleet sustains.")] = None,
    scenario: ScenarioOpt = None,
    tpot_ms: TpotOpt = None,
    ttft_ms: TtftOpt = None,
    weights: Annotated[Precision | None, typer.Option("--weights", case_sensitive=False, show_default=False,
                                                      help="serve: weight precision (default: the model's).")
                       ] = None,
    prompt: PromptOpt = 2048,
    output_tokens: OutputTokensOpt = 512,
    tokens_per_step: TokensPerStepOpt = 1.0,
    years: Annotated[float, typer.Option("--years", callback=checker("--years"),
                                         help="serve: years to spread the price over.")] = 4.0,
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="train: training tokens, e.g. 15T.")] = "",
    days: Annotated[float | None, typer.Option("--days", "-d", callback=checker("--days"),
                                               help="train: deadline; the plan gives the chips.")] = None,
    n_chips: Annotated[int | None, typer.Option("--chips", callback=checker("--chips"), metavar="N",
                                                help="train: cluster size; the plan gives the days.")] = None,
    mfu: Annotated[float, typer.Option("--mfu", callback=checker("--mfu"), help="train: MFU.")] = DEFAULT_MFU,
    budget: BudgetOpt = None,
    power: PowerOpt = None,
    fit: FitOpt = False,
    buyer: BuyerOpt = None,
    rule: RuleOpt = None,
    by: ByOpt = "usd",
    no_pods: NoPodsOpt = False,
    kwh_price: Annotated[float, typer.Option("--kwh-price", callback=checker("--kwh-price"), metavar="USD",
                                             help="Electricity per kWh.")] = 0.10,
    pue: Annotated[float, typer.Option("--pue", callback=checker("--pue"), help="Power usage effectiveness "
                                       "(energy cost).")] = 1.3,
) -> "Result":
    """The fleet a workload needs on each chip (in its box) or rack and pod: chips, capex, MW, $ per million
    tokens (serve) or days (train), each with its range; under an export rule for a buyer, a budget and a power
    cap; best first, with a verdict."""
    from chipcmp.estimate import inputs
    from chipcmp.estimate import plan as plan_

    given = {o for o, v in (("--output-rate", output_rate), ("--scenario", scenario), ("--tpot-ms", tpot_ms),
                            ("--ttft-ms", ttft_ms), ("--weights", weights), ("--tokens", tokens or None),
                            ("--days", days), ("--chips", n_chips)) if v is not None}
    _refuse_other(workload, given)
    goal = plan_.Goal(budget, power, fit, buyer, rule.value if rule is not None else None, by, not no_pods)
    m = inputs.model_from_options(model, params, active_params, f"plan {workload.value}")
    if workload is Workload.serve:
        return _serve(ctx, m, goal, output_rate, chips or [], scenario, tpot_ms, ttft_ms, weights,
                      (prompt, output_tokens, tokens_per_step, years, kwh_price, pue))
    from chipcmp.estimate import training

    tp = training.TrainPlan(m.params, inputs.required_count(tokens, "--tokens"), m.active_params if m.moe else None,
                            m.name if model else "", "bf16", mfu, n_chips, days, pue, kwh_price)
    return plan_.plan_train(ctx.dataset, tp, goal, chips or [], ctx.filters)


def _refuse_other(workload: Workload, given: set[str]) -> None:
    from chipcmp.errors import UsageError

    other = TRAIN_ONLY if workload is Workload.serve else SERVE_ONLY
    wrong = sorted(given & set(other))
    if wrong:
        raise UsageError(f"{', '.join(wrong)}: for plan {'train' if workload is Workload.serve else 'serve'}, not "
                         f"plan {workload.value}")
    if workload is Workload.serve and "--output-rate" not in given:
        raise UsageError("plan serve needs --output-rate TOK/S, the output tokens per second to sustain")


def _serve(ctx: "Context", m: "Model", goal: "Goal", rate: float | None, chips: list[str],
           scenario: Scenario | None, tpot_ms: float | None, ttft_ms: float | None, weights: Precision | None,
           shape: tuple[int, int, float, float, float, float]) -> "Result":
    from chipcmp.estimate import plan as plan_
    from chipcmp.estimate import serving
    from chipcmp.estimate.formulas import bytes_per

    prompt, output_tokens, tokens_per_step, years, kwh_price, pue = shape
    wts = weights.value if weights is not None else (m.native or "bf16")
    sp = serving.ServePlan(m, bytes_per(wts), bytes_per("bf16"), serving.compute_precision(wts), prompt,
                           output_tokens, None, tpot_ms, years, kwh_price, pue,
                           scenario=scenario.value if scenario is not None else None,
                           ttft_ms=ttft_ms, tokens_per_step=tokens_per_step)
    assert rate is not None  # _refuse_other demands --output-rate for plan serve
    return plan_.plan_serve(ctx.dataset, sp, rate, goal, chips, ctx.filters)
