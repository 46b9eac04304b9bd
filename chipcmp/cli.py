"""The command line: options in, one core call, one renderer out. Command bodies stay a handful of lines.

This module is imported for `--help` and shell completion, so it imports neither pandas nor the core at module
level: each command imports what it needs when it runs.
"""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from chipcmp import schema
from chipcmp.errors import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_INTERRUPTED, ChipcmpError
from chipcmp.formats import OutputFormat

# --- error edge ----------------------------------------------------------------------------------------------


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"chipcmp: error: {message}\n")
    sys.stderr.flush()
    return code


def _broken_pipe() -> NoReturn:
    # The reader went away (`chipcmp list | head`): stop quietly, and keep Python from complaining at exit.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


# Typer ships its own copy of click from 0.22 on (typer._click), older releases use click itself: take the
# exception classes from wherever typer's own BadParameter lives, so both kinds of install are handled.
_clickexc = sys.modules[typer.BadParameter.__module__]
_NoArgsIsHelp: type[BaseException] = getattr(_clickexc, "NoArgsIsHelpError", type("_Never", (Exception,), {}))
_Abort: type[BaseException] = getattr(_clickexc, "Abort", typer.Abort)


class ChipcmpGroup(TyperGroup):
    """Turns every failure into one line on stderr and a named exit code, for the entry point and tests alike."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,  # type: ignore[override]
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name or "chipcmp", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except _NoArgsIsHelp as e:
            typer.echo(e.ctx.get_help())  # type: ignore[attr-defined]
            code = 0
        except _clickexc.ClickException as e:
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "chipcmp"
            code = _fail(f"{e.format_message()} (see `{where} --help`)", e.exit_code)
        except (_Abort, typer.Abort):
            code = _fail("interrupted", EXIT_INTERRUPTED)
        except ChipcmpError as e:
            code = _fail(str(e), e.exit_code)
        except BrokenPipeError:
            _broken_pipe()
        except KeyboardInterrupt:
            code = _fail("interrupted", EXIT_INTERRUPTED)
        except Exception as e:  # a bug: say so in one line instead of a traceback
            import os

            if os.environ.get("CHIPCMP_DEBUG"):
                raise
            code = _fail(f"internal error: {type(e).__name__}: {e} (set CHIPCMP_DEBUG=1 for the traceback "
                         "and please report it)", EXIT_FAILURE)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=ChipcmpGroup,
    name="chipcmp",
    help="Compare AI accelerators (Ascend 910B, A100, H100, H20, ...) from sourced public specifications.\n\n"
         "Throughput is dense (no sparsity), per package; unknown figures show as —.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports rich.markdown and markdown-it, which alone cost more than
    # typer itself, and `chipcmp --help` has a budget of 1.5x `import typer` (benchmarks/README.md).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


# --- completion (stdlib only: no pandas, runs on every <TAB>) ------------------------------------------------


def _complete_chip(incomplete: str) -> list[str]:
    import csv
    import os

    from chipcmp.dataset import ENV_DATA, bundled_path

    path = os.environ.get(ENV_DATA) or bundled_path()
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            names = [row.get("name", "") for row in csv.DictReader(f)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    low = incomplete.lower()
    return [n for n in names if n and n.lower().startswith(low)]


def _complete_metric(incomplete: str) -> list[str]:
    return [n for n in schema.NUMERIC_FIELDS if n.startswith(incomplete)]


def _complete_field(incomplete: str) -> list[str]:
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + n for n in schema.FIELD_BY_NAME if n.startswith(last)]


# --- shared options ------------------------------------------------------------------------------------------

VendorOpt = Annotated[list[str], typer.Option("--vendor", help="Only this vendor (repeatable).",
                                              rich_help_panel="Filters")]
CountryOpt = Annotated[list[str], typer.Option("--country", help="Only vendors from this ISO country code, e.g. CN "
                                               "(repeatable).", rich_help_panel="Filters")]
KindOpt = Annotated[list[str], typer.Option("--kind", help="Only this kind: gpu, asic or wafer (repeatable).",
                                            rich_help_panel="Filters")]
SinceOpt = Annotated[int | None, typer.Option("--since", help="Only chips released in or after YEAR.",
                                                 metavar="YEAR", rich_help_panel="Filters")]
WhereOpt = Annotated[list[str], typer.Option(
    "--where", "-w", metavar="EXPR", rich_help_panel="Filters",
    help="Keep chips where FIELD OP VALUE holds, e.g. 'memory_gb>=80' or 'vendor==NVIDIA' (repeatable, ANDed; "
         "OP: >= <= > < == !=; unknown values never match).")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False,
                                                 rich_help_panel="Output")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (atomically) instead of "
                                                   "stdout.", metavar="FILE", dir_okay=False,
                                                   rich_help_panel="Output")]
DataOpt = Annotated[Path | None, typer.Option(
    "--data", metavar="FILE", rich_help_panel="Data",
    help="Use this CSV (same schema) instead of the bundled data; also $CHIPCMP_DATA.")]
AddOpt = Annotated[list[Path], typer.Option(
    "--add", metavar="FILE", rich_help_panel="Data",
    help="Overlay this CSV (repeatable): a row naming a known chip overrides the cells it fills, a new name adds "
         "a chip. Only 'name' is required.")]
PriceOpt = Annotated[list[str], typer.Option(
    "--price", metavar="CHIP=USD", rich_help_panel="Data",
    help="Override a chip's price for this run, e.g. --price 'H100 SXM=25000' (repeatable).")]
ChipArg = Annotated[str, typer.Argument(help="Chip name or alias (case and punctuation don't matter).",
                                        autocompletion=_complete_chip, show_default=False)]


def _filters(vendor: list[str], country: list[str], kind: list[str], since: int | None,
             where: list[str]) -> Any:
    from chipcmp.core import Filters

    def split(values: list[str]) -> tuple[str, ...]:
        return tuple(v.strip() for item in values for v in item.split(",") if v.strip())

    return Filters(split(vendor), split(country), split(kind), since, tuple(where))


def _load(data: Path | None, add: list[Path], price: list[str]) -> Any:
    from chipcmp.dataset import load_dataset

    ds = load_dataset(data, add, price)
    for w in ds.warnings:
        sys.stderr.write(f"chipcmp: warning: {w}\n")
    if data is not None or add or price or len(ds.sources) > 1 or ds.sources[0].label != "bundled":
        sys.stderr.write(f"chipcmp: data: {ds.describe()}\n")
    return ds


def _emit(result: Any, fmt: OutputFormat, output: Path | None, data: Path | None = None,
          add: list[Path] | None = None) -> None:
    from chipcmp.render import emit

    protect = tuple(p for p in (data, *(add or ())) if p)
    notes = emit(result, fmt, output, protect=protect)
    sys.stdout.flush()  # data first, then what we have to say about it
    for note in notes:
        sys.stderr.write(f"chipcmp: {note}\n")


def _version(value: bool) -> None:
    if value:
        from chipcmp import __version__

        typer.echo(f"chipcmp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Compare AI accelerators from sourced public specifications."""


# --- commands ------------------------------------------------------------------------------------------------


@app.command("list")
def list_cmd(
    columns: Annotated[str | None, typer.Option("--columns", "-c", metavar="A,B,...", autocompletion=_complete_field,
                                                   help="Columns/metrics to show ('all' for every one).")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """List chips with their key figures."""
    from chipcmp import core

    result = core.list_chips(_load(data, add, price), _filters(vendor, country, kind, since, where), columns)
    _emit(result, fmt, output, data, add)


@app.command()
def show(chip: ChipArg, fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None, data: DataOpt = None,
         add: AddOpt = [], price: PriceOpt = []) -> None:
    """Show every field of one chip with units, its derived metrics, sources and notes."""
    from chipcmp import core

    _emit(core.show_chip(_load(data, add, price), chip), fmt, output, data, add)


@app.command()
def compare(
    chips: Annotated[list[str], typer.Argument(help="Two or more chips; the first is the baseline.",
                                               autocompletion=_complete_chip, show_default=False)],
    baseline: Annotated[str | None, typer.Option(
        "--baseline", "-b", autocompletion=_complete_chip,
        help="Chip the ratios are relative to (default: the first).")] = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", "-m", metavar="A,B,...", autocompletion=_complete_field,
        help="Rows to show: columns and metrics ('all' for every one).")] = None,
    fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Compare chips side by side, with each chip's ratio to a baseline."""
    from chipcmp import core

    _emit(core.compare(_load(data, add, price), chips, baseline, metrics), fmt, output, data, add)


class Order(str, Enum):
    best = "best"
    asc = "asc"
    desc = "desc"


@app.command()
def rank(
    metric: Annotated[str, typer.Option("--metric", "-m", autocompletion=_complete_metric, show_default=False,
                                        help="Column or metric to rank by (see `chipcmp metrics`).")],
    top: Annotated[int | None, typer.Option("--top", "-n", metavar="N", help="Show only the best N.")] = None,
    asc: Annotated[bool | None, typer.Option("--asc/--desc", help="Override the metric's own best-first "
                                                "direction.", show_default=False)] = None,
    columns: Annotated[str | None, typer.Option("--columns", "-c", metavar="A,B,...",
                                                   autocompletion=_complete_field,
                                                   help="Extra columns/metrics to show.")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Rank chips by a column or metric, best first; chips with an unknown value are left out (said on stderr)."""
    from chipcmp import core

    filters = _filters(vendor, country, kind, since, where)
    result = core.rank(_load(data, add, price), metric, filters, top, asc, columns)
    _emit(result, fmt, output, data, add)


@app.command()
def export(
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="Output format.", case_sensitive=False, rich_help_panel="Output")] = OutputFormat.csv,
    output: OutputOpt = None, data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Export the (filtered) data with every derived metric, sources and the dataset version (CSV by default)."""
    from chipcmp import core

    _emit(core.export(_load(data, add, price), _filters(vendor, country, kind, since, where)), fmt, output, data, add)


@app.command()
def metrics(fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None) -> None:
    """List every column and derived metric with its unit, formula and better direction."""
    from chipcmp import core

    _emit(core.metrics_table(), fmt, output)


@app.command()
def audit(
    file: Annotated[Path | None, typer.Argument(help="A chips CSV to check (default: the bundled data).",
                                                show_default=False)] = None,
    fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
) -> None:
    """Check a chips CSV: schema, types, units, duplicates, sources, and figures that contradict each other.

    Exits 1 if there are errors; warnings (suspicious but possible) alone exit 0. A checked warning is
    acknowledged in the row's notes with [audit-ok: CODE].
    """
    from chipcmp.audit import audit_file

    result, errors, _ = audit_file(file)
    if result.frame.empty and fmt is OutputFormat.table and output is None:
        sys.stderr.write(f"chipcmp: {result.footer[0]}\n")  # nothing to tabulate
    else:
        _emit(result, fmt, output, file)
    if errors:
        from chipcmp.errors import DataError

        raise DataError(f"{result.meta['file']} has {errors} error{'s' * (errors != 1)}; fix the rows listed above"
                        if output is None else f"{result.meta['file']} has {errors} errors; see {output}")


@app.command()
def controls(
    chips: Annotated[list[str] | None, typer.Argument(help="Chips to classify (default: all, after filters).",
                                                      autocompletion=_complete_chip, show_default=False)] = None,
    rule: Annotated[list[str], typer.Option("--rule", "-r", metavar="ID",
                                            help="Rule version(s) to show with headroom to each threshold: "
                                                 "2022-10, 2023-10, 2026-01 (repeatable).")] = [],
    tflops: Annotated[float | None, typer.Option("--tflops", help="What-if chip: dense throughput at "
                                                 "--precision.", rich_help_panel="What-if")] = None,
    precision: Annotated[str, typer.Option("--precision", help="What-if chip: precision of --tflops.",
                                           rich_help_panel="What-if")] = "bf16",
    tpp: Annotated[float | None, typer.Option("--tpp", help="What-if chip: TPP directly.",
                                              rich_help_panel="What-if")] = None,
    die_area: Annotated[float | None, typer.Option("--die-area", metavar="MM2", help="What-if chip: logic die "
                                                   "area, mm².", rich_help_panel="What-if")] = None,
    interconnect: Annotated[float | None, typer.Option("--interconnect", metavar="GBS", help="What-if chip: "
                                                       "bidirectional I/O, GB/s.", rich_help_panel="What-if")] = None,
    memory_bw: Annotated[float | None, typer.Option("--memory-bw", metavar="TBS", help="What-if chip: DRAM "
                                                    "bandwidth, TB/s.", rich_help_panel="What-if")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """US export-control view: TPP, performance density, class under each rule version, headroom to thresholds.

    Informational calculation from public specs, not legal advice. Give --tflops or --tpp (with --die-area,
    --interconnect, --memory-bw) to classify a hypothetical chip instead.
    """
    from chipcmp import controls as ctl

    if tflops is not None or tpp is not None:
        if chips:
            raise typer.BadParameter("give either chip names or a what-if chip (--tflops/--tpp), not both")
        hypo = ctl.what_if_frame(tflops, precision, tpp, die_area, interconnect, memory_bw)
        result = ctl.controls(None, [], _filters([], [], [], None, []), rule, what_if=hypo)
    else:
        result = ctl.controls(_load(data, add, price), chips or [], _filters(vendor, country, kind, since, where), rule)
    _emit(result, fmt, output, data, add)


ChipsArg = Annotated[list[str] | None, typer.Argument(help="Chips to include (default: all, after filters).",
                                                     autocompletion=_complete_chip, show_default=False)]
ParamsOpt = Annotated[str, typer.Option("--params", "-p", metavar="N", show_default=False,
                                        help="Model parameters, with K/M/B/T suffix, e.g. 70B.")]


@app.command()
def train(
    chips: ChipsArg = None,
    params: ParamsOpt = "",
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="Training tokens, with K/M/B/T suffix, e.g. 2T.")] = "",
    precision: Annotated[str, typer.Option("--precision", help="Throughput column to use.")] = "bf16",
    mfu: Annotated[float, typer.Option("--mfu", help="Model FLOPs utilisation, in (0, 1].")] = 0.4,
    n_chips: Annotated[int | None, typer.Option("--chips", "-n", metavar="N", help="Cluster size: report "
                                                "wall-clock days.")] = None,
    days: Annotated[float | None, typer.Option("--days", "-d", help="Deadline: report chips needed.")] = None,
    pue: Annotated[float, typer.Option("--pue", help="Power usage effectiveness (1 = chips only).")] = 1.0,
    kwh_price: Annotated[float | None, typer.Option("--kwh-price", metavar="USD", help="Electricity price "
                                                    "per kWh.")] = None,
    rent: Annotated[float | None, typer.Option("--rent", metavar="USD", help="Rental price per chip-hour.")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Estimate a training run on each chip: 6·N·D FLOPs, chip-hours at an MFU, days or chips, energy, cost."""
    from chipcmp import workload as wl

    plan = wl.TrainPlan(_count(params, "--params"), _count(tokens, "--tokens"), precision, mfu, n_chips, days, pue,
                        kwh_price, rent)
    result = wl.train(_load(data, add, price), plan, chips or [], _filters(vendor, country, kind, since, where))
    _emit(result, fmt, output, data, add)


@app.command()
def serve(
    chips: ChipsArg = None,
    params: ParamsOpt = "",
    bytes_per_param: Annotated[float | None, typer.Option("--bytes-per-param", help="Weight bytes per parameter "
                                                          "(default: from --weights).")] = None,
    weights: Annotated[str, typer.Option("--weights", help="Weight precision: bf16, fp16, fp8, int8, fp4 ...")]
    = "bf16",
    precision: Annotated[str, typer.Option("--precision", help="Compute precision for prefill and roofline.")]
    = "bf16",
    kv_gb: Annotated[float | None, typer.Option("--kv-gb", help="KV cache size, GB (or give its shape).",
                                                rich_help_panel="KV cache")] = None,
    context: Annotated[int | None, typer.Option("--context", help="Tokens of context per sequence.",
                                                 rich_help_panel="KV cache")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Concurrent sequences.", rich_help_panel="KV cache")] = 1,
    layers: Annotated[int | None, typer.Option("--layers", help="Transformer layers.",
                                                rich_help_panel="KV cache")] = None,
    kv_hidden: Annotated[int | None, typer.Option("--kv-hidden", help="KV heads × head dim (the hidden size "
                                                  "without GQA).", rich_help_panel="KV cache")] = None,
    kv_bytes: Annotated[float, typer.Option("--kv-bytes", help="Bytes per KV-cache element.",
                                            rich_help_panel="KV cache")] = 2.0,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Estimate serving on each chip: chips to hold the model, decode and prefill limits, roofline bound."""
    from chipcmp import workload as wl

    if weights.lower() not in wl.BYTES:
        raise typer.BadParameter(f"--weights {weights!r} is not one of {', '.join(wl.BYTES)}")
    wbytes = bytes_per_param if bytes_per_param is not None else wl.BYTES[weights.lower()]
    plan = wl.ServePlan(_count(params, "--params"), wbytes, precision, kv_gb, context, batch, layers, kv_hidden,
                        kv_bytes)
    result = wl.serve(_load(data, add, price), plan, chips or [], _filters(vendor, country, kind, since, where))
    _emit(result, fmt, output, data, add)


@app.command()
def roofline(
    chips: ChipsArg = None,
    intensity: Annotated[float, typer.Option("--intensity", "-i", metavar="FLOP/B", show_default=False,
                                             help="Arithmetic intensity, FLOPs per byte of memory traffic.")] = 0.0,
    precision: Annotated[str, typer.Option("--precision", help="Throughput column to use.")] = "bf16",
    top: Annotated[int | None, typer.Option("--top", metavar="N", help="Show only the best N.")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
    data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Rank chips by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""
    from chipcmp import workload as wl

    filters = _filters(vendor, country, kind, since, where)
    result = wl.roofline(_load(data, add, price), intensity, precision, chips or [], filters, top)
    _emit(result, fmt, output, data, add)


def _count(text: str, option: str) -> float:
    from chipcmp.errors import UsageError
    from chipcmp.workload import parse_count

    if not text:
        raise UsageError(f"{option} is required, e.g. {option} 70B")
    return parse_count(text, option)


@app.command()
def plot(
    fields: Annotated[list[str] | None, typer.Argument(
        metavar="X Y [CHIP]...", autocompletion=_complete_metric, show_default=False,
        help="Fields for the x and y axes, then optionally chips (default: all, after filters).")] = None,
    bar: Annotated[str | None, typer.Option("--bar", metavar="METRIC", autocompletion=_complete_metric,
                                            help="A bar chart of one field instead; positionals are chips.")] = None,
    pareto: Annotated[bool, typer.Option("--pareto", help="List the Pareto-frontier chips below the chart.")] = False,
    log_x: Annotated[bool, typer.Option("--log-x", help="Logarithmic x axis.")] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    top: Annotated[int | None, typer.Option("--top", metavar="N", help="Bar chart: only the best N.")] = None,
    width: Annotated[int | None, typer.Option("--width", help="Chart width in characters (default: the "
                                              "terminal's, 80 in a pipe).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", dir_okay=False,
                                                help="Write the chart as an image (.png or .svg; needs "
                                                     "matplotlib: pip install 'chipcmp[plot]').")] = None,
    vendor: VendorOpt = [], country: CountryOpt = [], kind: KindOpt = [], since: SinceOpt = None,
    where: WhereOpt = [], data: DataOpt = None, add: AddOpt = [], price: PriceOpt = [],
) -> None:
    """Chart two fields as a labelled scatter with its Pareto frontier, or one field as bars (--bar)."""
    import shutil

    from chipcmp import plot as pl
    from chipcmp.render import check_output_path

    words = fields or []
    if output is not None:
        pl.image_kind(output)
        check_output_path(output, tuple(p for p in (data, *add) if p))
    cols = width or (shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80)
    filters = _filters(vendor, country, kind, since, where)
    if bar is not None:
        frame = pl.bars(_load(data, add, price), bar, words, filters, top)
        if output is not None:
            pl.write_bars(frame, bar, output)
            sys.stderr.write(f"chipcmp: wrote {output}\n")
        else:
            sys.stdout.write(pl.bars_text(frame, bar, cols))
        return
    if len(words) < 2:
        raise typer.BadParameter("give two fields, e.g. chipcmp plot memory_bw_tbs bf16_tflops (or --bar FIELD)")
    p = pl.points(_load(data, add, price), words[0], words[1], words[2:], filters, log_x, log_y)
    if output is not None:
        pl.write_scatter(p, output)
        sys.stderr.write(f"chipcmp: wrote {output}\n")
    else:
        sys.stdout.write(pl.scatter_text(p, cols))
        if pareto:
            sys.stdout.write(pl.frontier_text(p))
    if p.left_out:
        sys.stderr.write(f"chipcmp: left out {p.left_out} chips without both {words[0]} and {words[1]}\n")


def _invoked_command() -> str | None:
    """The subcommand this process will run, if it can be told before parsing."""
    import os

    if any(k.startswith("_CHIPCMP_COMPLETE") for k in os.environ):
        words = (os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or "").split()
        return words[1] if len(words) > 2 else None  # still typing the command's name: offer every command
    return sys.argv[1] if len(sys.argv) > 1 else None


def main() -> None:
    """Console-script entry point."""
    # Typer builds every command's click parameters before parsing. When the command is known up front (the
    # common case, completion included), build only that one; `--help` and typos still see them all.
    name = _invoked_command()
    chosen = [c for c in app.registered_commands
              if name is not None and (c.name or getattr(c.callback, "__name__", None)) == name]
    everything = app.registered_commands
    app.registered_commands = chosen or everything
    try:
        command = typer.main.get_command(app)
    finally:
        app.registered_commands = everything  # the module-level app stays whole for callers in-process
    command(prog_name="chipcmp")
