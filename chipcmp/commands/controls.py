"""`chipcmp controls`: export-control classification, headroom and what-if chips."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from chipcmp.commands.base import BF16, GROUPS, Precision, command
from chipcmp.commands.complete import _complete_chip
from chipcmp.estimate.rules import RULES
from chipcmp.ranges import checker

RuleId = enum.Enum("RuleId", [(r.id, r.id) for r in RULES], type=str)  # type: ignore[misc]

if TYPE_CHECKING:
    from chipcmp.commands.context import Context
    from chipcmp.core.result import Result


@command(examples=("chipcmp controls 'Ascend 910B' H20 H100 --rule 2023-10", "chipcmp controls --near 10%",
                   "chipcmp controls --tflops 600 --die-area 600"))
def controls(
    ctx: "Context",
    chips: Annotated[list[str] | None, typer.Argument(help="Chips to classify (default: all, after filters).",
                                                      autocompletion=_complete_chip, show_default=False)] = None,
    rule: Annotated[list[RuleId], typer.Option("--rule", "-r", help="Rule version(s) to show with headroom to "
                                               "each threshold (repeatable).")] = [],
    near: Annotated[str | None, typer.Option("--near", metavar="PCT", help="Only chips within PCT (e.g. 10%) of "
                                             "any threshold of the rules shown.")] = None,
    tflops: Annotated[float | None, typer.Option("--tflops", callback=checker("--tflops"),
                                                 help="What-if chip: dense throughput at "
                                                 "--precision.", rich_help_panel="What-if")] = None,
    precision: Annotated[Precision, typer.Option("--precision", help="What-if chip: precision of --tflops.",
                                                 rich_help_panel="What-if", case_sensitive=False)] = BF16,
    tpp: Annotated[float | None, typer.Option("--tpp", callback=checker("--tpp"), help="What-if chip: TPP directly.",
                                              rich_help_panel="What-if")] = None,
    die_area: Annotated[float | None, typer.Option("--die-area", callback=checker("--die-area"),
                                                   metavar="MM2", help="What-if chip: logic die "
                                                   "area, mm².", rich_help_panel="What-if")] = None,
    interconnect: Annotated[float | None, typer.Option("--interconnect", callback=checker("--interconnect"),
                                                       metavar="GBS", help="What-if chip: "
                                                       "bidirectional I/O, GB/s.", rich_help_panel="What-if")] = None,
    memory_bw: Annotated[float | None, typer.Option("--memory-bw", callback=checker("--memory-bw"),
                                                    metavar="TBS", help="What-if chip: DRAM "
                                                    "bandwidth, TB/s.", rich_help_panel="What-if")] = None,
) -> "Result":
    """US export-control view: TPP, performance density, class under each rule version, headroom to thresholds.

    Informational calculation from public specs, not legal advice. Give --tflops or --tpp (with --die-area,
    --interconnect, --memory-bw) to classify a hypothetical chip instead.
    """
    from chipcmp.estimate import controls as ctl

    rules = [r.value for r in rule]
    pct = ctl.parse_near(near)
    if tflops is not None or tpp is not None:
        if chips:
            raise typer.BadParameter("give either chip names or a what-if chip (--tflops/--tpp), not both")
        ctx.refuse((*GROUPS["filters"], *GROUPS["data"]), "a what-if chip is classified on its own, without data")
        hypo = ctl.what_if_frame(tflops, precision.value, tpp, die_area, interconnect,
                                 memory_bw)
        return ctl.controls(None, [], ctx.filters, rules, what_if=hypo, near=pct)
    given = [o for o, v in (("--die-area", die_area), ("--interconnect", interconnect), ("--memory-bw", memory_bw))
             if v is not None]
    if given:
        from chipcmp.errors import UsageError

        who = f"{chips[0]!r} is" if chips else "the chips are"
        raise UsageError(f"{', '.join(given)} describe a what-if chip, which needs --tflops or --tpp; {who} "
                         "classified from the data")
    return ctl.controls(ctx.dataset, chips or [], ctx.filters, rules, near=pct)

