"""`chipcmp serve`: serving estimates per chip."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import BF16, ActiveOpt, ChipsArg, ModelOpt, ParamsOpt, Precision, SystemOpt, command
from chipcmp.estimate.scenarios import SCENARIOS
from chipcmp.ranges import checker

Scenario = enum.Enum("Scenario", [(s, s) for s in SCENARIOS], type=str)  # type: ignore[misc]


# The serving shape's options, shared with `plan serve`.
ScenarioOpt = Annotated[Scenario | None, typer.Option(
    "--scenario", case_sensitive=False, show_default=False,
    help="MLPerf's latency limits: offline (none), server (TTFT 2 s, TPOT 200 ms for Llama 2 70B) or "
         "interactive (450 ms, 40 ms). Default: server.")]
PromptOpt = Annotated[int, typer.Option("--prompt", callback=checker("--prompt"), metavar="TOKENS",
                                        help="Prompt length.")]
OutputTokensOpt = Annotated[int, typer.Option("--output-tokens", callback=checker("--output-tokens"),
                                              metavar="TOKENS", help="Tokens generated per request.")]
TpotOpt = Annotated[float | None, typer.Option("--tpot-ms", callback=checker("--tpot-ms"), metavar="MS",
                                               help="Limit on the time per output token (overrides the "
                                                    "scenario's).")]
TtftOpt = Annotated[float | None, typer.Option("--ttft-ms", callback=checker("--ttft-ms"), metavar="MS",
                                               help="Limit on the time to first token (overrides the "
                                                    "scenario's).")]
TokensPerStepOpt = Annotated[float, typer.Option(
    "--tokens-per-step", callback=checker("--tokens-per-step"), metavar="T",
    help="Mean tokens a decode step yields (multi-token prediction or speculative decoding).")]

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp serve 'Ascend 910B' H20 H800 'H100 SXM' --model 'Llama 3.1 70B' --weights fp8 "
                   "--prompt 8192",
                   "chipcmp serve H20 'Ascend 910C' --model DeepSeek-V3 --weights fp8 --batch auto --tpot-ms 50",
                   "chipcmp serve --system 'CloudMatrix 384' --model DeepSeek-V3 --weights int8"))
def serve(
    ctx: "Context",
    chips: ChipsArg = None,
    model: ModelOpt = None,
    params: ParamsOpt = "",
    active_params: ActiveOpt = "",
    weights: Annotated[Precision | None, typer.Option(
        "--weights", case_sensitive=False, show_default=False,
        help="Weight precision (default: the model's native one, models.csv; BF16 for --params).")] = None,
    kv: Annotated[Precision, typer.Option("--kv", help="KV-cache precision.", case_sensitive=False)] = BF16,
    precision: Annotated[Precision | None, typer.Option("--precision", show_default=False, case_sensitive=False,
                                                        help="Compute precision (default: the weights', BF16 for "
                                                             "4-bit weights).")] = None,
    scenario: ScenarioOpt = None,
    prompt: PromptOpt = 2048,
    output_tokens: OutputTokensOpt = 512,
    batch: Annotated[str, typer.Option("--batch", metavar="N|auto",
                                       help="Concurrent sequences per replica, or auto: the most output within "
                                            "the latency limits.")] = "auto",
    tpot_ms: TpotOpt = None,
    ttft_ms: TtftOpt = None,
    tokens_per_step: TokensPerStepOpt = 1.0,
    replica: Annotated[int | None, typer.Option("--replica", callback=checker("--replica"), metavar="CHIPS",
                                                help="Chips per replica (the tool picks the layout: tensor or "
                                                     "expert parallel; default: the best).")] = None,
    system: SystemOpt = None,
    years: Annotated[float, typer.Option("--years", callback=checker("--years"),
                                         help="Years to spread the purchase price over.")] = 4.0,
    kwh_price: Annotated[float, typer.Option("--kwh-price", callback=checker("--kwh-price"),
                                             metavar="USD", help="Electricity per kWh.")] = 0.10,
    pue: Annotated[float, typer.Option("--pue", callback=checker("--pue"), help="Power usage effectiveness.")] = 1.3,
    rent: Annotated[float | None, typer.Option("--rent", callback=checker("--rent"),
                                               metavar="USD", help="Rental per chip-hour (default: the "
                                               "latest on-demand in prices.csv).")] = None,
) -> "Result":
    """Estimate serving on each chip: the layout, output tokens/s per chip end to end and in decode (with the
    range published runs give), time per output token and to first token, $ per million output tokens, tokens
    per kWh."""
    from chipcmp.estimate import inputs, serving
    from chipcmp.estimate.formulas import bytes_per

    m = inputs.model_from_options(model, params, active_params, "serve")
    sys_, chip_list = inputs.system_and_chips(system, chips)
    n_batch = inputs.batch_size(batch, tpot_ms)
    wts = weights.value if weights is not None else (m.native or "bf16")
    compute = precision.value if precision is not None else serving.compute_precision(wts)
    plan = serving.ServePlan(
        m, bytes_per(wts), bytes_per(kv.value), compute, prompt, output_tokens, n_batch, tpot_ms, years, kwh_price,
        pue, rent, sys_.name if sys_ else "", replica,
        system_w=sys_.power_kw * 1000 / sys_.chips if sys_ and sys_.power_kw else None,
        scenario=scenario.value if scenario is not None else None, ttft_ms=ttft_ms, tokens_per_step=tokens_per_step)
    result = serving.serve(ctx.dataset, plan, chip_list, ctx.filters)
    result.messages[:0] = inputs.alias_note(model, m)
    return result
