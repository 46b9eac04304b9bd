"""`chipcmp match`: how many of one chip equal N of another."""

from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import ChipArg, ModelOpt, command
from chipcmp.commands.complete import _complete_chip, _complete_metric
from chipcmp.estimate.formulas import DEFAULT_MFU
from chipcmp.ranges import checker

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(groups=("output", "data"), examples=(
    "chipcmp match 'Ascend 910B' --to 'H100 SXM' --count 10000 --by all",
    "chipcmp match H20 --to H100 --count 1024 --by bf16_achieved_tflops",
    "chipcmp match 'Ascend 910C' --to H100 --count 10000 --by all --model 'Llama 3.1 405B' --tokens 15.6T"))
def match(
    ctx: "Context",
    chip: ChipArg,
    to: Annotated[str, typer.Option("--to", autocompletion=_complete_chip, show_default=False,
                                    help="The chip to match.")],
    count: Annotated[int, typer.Option("--count", "-n", callback=checker("--count"), help="How many of --to.")],
    by: Annotated[str, typer.Option("--by", autocompletion=_complete_metric,
                                    help="Metric to match (a throughput, memory, bandwidth or achieved figure), or "
                                         "all.")] = "bf16_tflops",
    model: ModelOpt = None,
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="With --model: training tokens, for days on each side.")] = "",
    mfu: Annotated[float, typer.Option("--mfu", callback=checker("--mfu"),
                                       help="MFU for the training days.")] = DEFAULT_MFU,
) -> "Result":
    """How many of CHIP equal N of another by a metric (or all of them), and what that takes in power, money and
    systems; with --model and --tokens, the training days on each side."""
    from chipcmp.estimate import inputs
    from chipcmp.estimate.match import match as match_chips

    flops = inputs.training_flops_of(model, tokens, mfu)
    return match_chips(ctx.dataset, chip, to, count, by, flops, mfu)

