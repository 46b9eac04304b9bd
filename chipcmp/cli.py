"""The command line: a command is its own options plus one core call; everything shared is declared once here.

`@command(...)` adds the shared options (data, filters, output) to a command's signature, resolves them into one
`pipeline.Context`, calls the command with it and hands the returned `Result` to `Context.run`. Adding a shared
option is one entry in `SHARED`; adding a command is one short function.

This module is imported for `--help` and shell completion, so it imports neither pandas nor the core at module
level: each command imports what it needs when it runs.
"""

import enum
import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from chipcmp import schema
from chipcmp.errors import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_INTERRUPTED, ChipcmpError
from chipcmp.formats import OutputFormat
from chipcmp.rules import RULES

# --- error edge ----------------------------------------------------------------------------------------------


def _fail(message: str, code: int) -> int:
    from chipcmp.text import clean

    lines = message.split("\n")
    try:
        sys.stderr.write("\n".join([f"chipcmp: error: {clean(lines[0])}", *(clean(x) for x in lines[1:])]) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code is all that is left to say it
    return code


def _broken_pipe() -> NoReturn:
    # The reader went away (`chipcmp list | head`): stop quietly with 141 (128 + SIGPIPE, as a shell reports a
    # killed writer), and keep Python from complaining at exit.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os._exit(EXIT_BROKEN_PIPE)


# Typer ships its own copy of click from 0.22 on (typer._click), older releases use click itself: take the
# exception classes from wherever typer's own BadParameter lives, so both kinds of install are handled.
_clickexc = sys.modules[typer.BadParameter.__module__]
_NoArgsIsHelp: type[BaseException] = getattr(_clickexc, "NoArgsIsHelpError", type("_Never", (Exception,), {}))
_Abort: type[BaseException] = getattr(_clickexc, "Abort", typer.Abort)


def _safe_streams() -> None:
    """A terminal or pipe whose encoding cannot show '—' or '×' gets '?' rather than an internal error."""
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if enc and enc not in ("utf8", "utf16", "utf32") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


class ChipcmpGroup(TyperGroup):
    """Turns every failure into one message on stderr and a named exit code, for the entry point and tests alike."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,  # type: ignore[override]
             standalone_mode: bool = True, **extra: Any) -> Any:
        from chipcmp.fileio import Interrupted

        _safe_streams()
        try:
            rv = super().main(args=args, prog_name=prog_name or "chipcmp", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            sys.stdout.flush()
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
        except (KeyboardInterrupt, Interrupted) as e:
            code = _fail("interrupted", 128 + getattr(e, "signum", 2))
        except OSError as e:  # stdout to a full disk, a closed descriptor: the system's words, not a traceback
            code = _fail(f"cannot write the output: {e.strerror or e}", EXIT_FAILURE)
        except Exception as e:  # a bug: say so in one line instead of a traceback
            import os

            if os.environ.get("CHIPCMP_DEBUG"):
                raise
            code = _fail(f"internal error: {type(e).__name__}: {e} (set CHIPCMP_DEBUG=1 for the traceback "
                         "and please report it)", EXIT_FAILURE)
        if standalone_mode:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _broken_pipe()
            except OSError as e:
                code = _fail(f"cannot write the output: {e.strerror or e}", EXIT_FAILURE)
            sys.exit(code)
        return code


app = typer.Typer(
    cls=ChipcmpGroup,
    name="chipcmp",
    help="Compare AI accelerators (Ascend 910B, A100, H100, H20, ...) from sourced public specifications.\n\n"
         "Throughput is dense (no sparsity), per package; unknown figures show as —, unsupported ones as n/a.\n\n"
         "\b\nExamples:\n"
         "  chipcmp compare 'Ascend 910B' H100 H20\n"
         "  chipcmp rank --metric bf16_tflops_per_watt --top 10\n"
         "  chipcmp controls --near 10%",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports rich.markdown and markdown-it, which alone cost more than
    # typer itself, and `chipcmp --help` has a budget of 1.5x `import typer` (benchmarks/README.md).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


# --- completion (stdlib only: no pandas, runs on every <TAB>) ------------------------------------------------

_COMPLETION_MAX_BYTES = 32 << 20  # completion never reads an unbounded file ($CHIPCMP_DATA=/dev/zero)


def _names_for_completion() -> list[str]:
    import csv
    import io
    import os

    from chipcmp.fileio import ENV_DATA, bundled_path, is_regular

    path = Path(os.environ.get(ENV_DATA) or bundled_path())
    if not is_regular(path):
        return []
    try:
        if path.stat().st_size > _COMPLETION_MAX_BYTES:
            return []
        text = path.read_text(encoding="utf-8-sig")
        out = []
        for row in csv.DictReader(io.StringIO(text, newline="")):
            out.append(row.get("name") or "")
            out += (row.get("aliases") or "").split("|")
        return [n for n in out if n.strip()]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _complete_chip(incomplete: str) -> list[str]:
    """Names and aliases whose folded form starts with what was typed, quoted for the shell when needed."""
    import shlex

    from chipcmp.names import fold

    quoted = incomplete[:1] in ("'", '"')
    key = fold(incomplete.strip("'\""))
    seen: set[str] = set()
    out = []
    for n in _names_for_completion():
        if fold(n).startswith(key) and n not in seen:
            seen.add(n)
            out.append(n if quoted else shlex.quote(n))
    return out


def _complete_metric(incomplete: str) -> list[str]:
    return [n for n in schema.NUMERIC_FIELDS if n.startswith(incomplete)]


def _complete_field(incomplete: str) -> list[str]:
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + n for n in schema.FIELD_BY_NAME if n.startswith(last)]


# --- choices generated from the registries -------------------------------------------------------------------

Precision = enum.Enum("Precision", [(p.name, p.name) for p in schema.PRECISIONS], type=str)  # type: ignore[misc]
RuleId = enum.Enum("RuleId", [(r.id, r.id) for r in RULES], type=str)  # type: ignore[misc]
BF16: Any = Precision("bf16")

# --- shared options: declared once, added to every command by @command -------------------------------------

VendorOpt = Annotated[list[str], typer.Option("--vendor", help="Only this vendor (repeatable, or A,B).",
                                              rich_help_panel="Filters")]
CountryOpt = Annotated[list[str], typer.Option("--country", help="Only vendors from this ISO country code, e.g. CN "
                                               "(repeatable).", rich_help_panel="Filters")]
KindOpt = Annotated[list[str], typer.Option("--kind", help="Only this kind: gpu, asic or wafer (repeatable).",
                                            rich_help_panel="Filters")]
SinceOpt = Annotated[int | None, typer.Option("--since", help="Only chips first shipped in or after YEAR.",
                                                 metavar="YEAR", rich_help_panel="Filters")]
WhereOpt = Annotated[list[str], typer.Option(
    "--where", "-w", metavar="EXPR", rich_help_panel="Filters",
    help="Keep chips where FIELD OP VALUE holds, e.g. 'memory_gb>=80' or 'vendor==NVIDIA' (repeatable, ANDed; "
         "OP: >= <= > < == !=; unknown values never match).")]
FormatOpt = Annotated[OutputFormat | None, typer.Option(
    "--format", "-f", case_sensitive=False, rich_help_panel="Output", show_default=False,
    help="Output format (default: from the -o file's extension, else a table).")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", dir_okay=False, rich_help_panel="Output",
    help="Write to FILE instead of stdout, in the format its extension names (.csv .tsv .json .md .txt).")]
ColumnsOpt = Annotated[str | None, typer.Option(
    "--columns", "-c", metavar="A,B,...", autocompletion=_complete_field, rich_help_panel="Output",
    help="Columns to show, by name ('all' for every one where the command lists fields).")]
WideOpt = Annotated[bool, typer.Option("--wide", rich_help_panel="Output",
                                       help="Never hide columns or split the table to fit the terminal.")]
NoBarsOpt = Annotated[bool, typer.Option("--no-bars", rich_help_panel="Output", help="No inline bars in tables.")]
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

PriceKind = enum.Enum("PriceKind", [(k, k) for k in ("any", *schema.PURCHASE_KINDS)],  # type: ignore[misc]
                      type=str)
PriceKindOpt = Annotated[PriceKind, typer.Option(
    "--price-kind", rich_help_panel="Data", case_sensitive=False,
    help="Which published purchase price to use: the latest of any kind, or of one kind.")]
# name -> (annotation, default): the one place a shared option is declared
SHARED: dict[str, tuple[Any, Any]] = {
    "vendor": (VendorOpt, []), "country": (CountryOpt, []), "kind": (KindOpt, []), "since": (SinceOpt, None),
    "where": (WhereOpt, []),
    "fmt": (FormatOpt, None), "output": (OutputOpt, None), "columns": (ColumnsOpt, None),
    "wide": (WideOpt, False), "no_bars": (NoBarsOpt, False),
    "data": (DataOpt, None), "add": (AddOpt, []), "price": (PriceOpt, []),
    "price_kind": (PriceKindOpt, PriceKind("any")),
}
GROUPS = {
    "filters": ("vendor", "country", "kind", "since", "where"),
    "output": ("fmt", "output", "columns", "wide", "no_bars"),
    "data": ("data", "add", "price", "price_kind"),
}


def command(name: str | None = None, *, groups: tuple[str, ...] = ("filters", "output", "data"),
            examples: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, **own_options) -> Result` as a command with the shared options of `groups`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        shared = [k for g in groups for k in GROUPS[g]]
        own = [p for p in inspect.signature(fn).parameters.values() if p.name != "ctx"]
        params = own + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=SHARED[k][1],
                                          annotation=SHARED[k][0]) for k in shared]
        defaults = {k: SHARED[k][1] for k in shared}

        @functools.wraps(fn)
        def run(**kwargs: Any) -> None:
            from chipcmp.pipeline import Context

            options = {k: kwargs.pop(k) for k in shared}
            ctx = Context.from_options(name or fn.__name__, options, defaults)
            result = fn(ctx, **kwargs)
            try:
                if result is not None:
                    ctx.run(result)
            except BrokenPipeError:  # here, before click turns it into a bare exit 1
                _broken_pipe()

        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        if examples:
            run.__doc__ = (fn.__doc__ or "").rstrip() + "\n\n\b\nExamples:\n" + "\n".join(f"  {e}" for e in examples)
        return app.command(name)(run)

    return decorate


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

ChipArg = Annotated[str, typer.Argument(help="Chip name or alias (case and punctuation don't matter).",
                                        autocompletion=_complete_chip, show_default=False)]
ChipsArg = Annotated[list[str] | None, typer.Argument(help="Chips to include (default: all, after filters).",
                                                     autocompletion=_complete_chip, show_default=False)]
TopOpt = Annotated[int | None, typer.Option("--top", "-n", metavar="N", min=1, help="Show only the best N.")]
PrecisionOpt = Annotated[Precision, typer.Option("--precision", help="Throughput column to use.",
                                                 case_sensitive=False)]


@command("list", examples=("chipcmp list --country CN", "chipcmp list --where 'memory_gb>=128' -o big.csv",
                           "chipcmp list --columns name,bf16_tflops,tdp_w,bf16_tflops_per_watt"))
def list_cmd(ctx: Any) -> Any:
    """List chips with their key figures."""
    from chipcmp import core

    return core.list_chips(ctx.dataset, ctx.filters, ctx.columns)


@command(groups=("output", "data"), examples=("chipcmp show 'Ascend 910B'", "chipcmp show H20 --sources",
                                              "chipcmp show H20 --format json"))
def show(
    ctx: Any, chip: ChipArg,
    sources: Annotated[bool, typer.Option("--sources", help="List every figure with each source that gives it, "
                                          "where in the source it stands, and the values other sources give.")]
    = False,
) -> Any:
    """Show every field of one chip with units, where each figure comes from, its derived metrics and notes."""
    from chipcmp import core

    return core.figure_sources(ctx.dataset, chip) if sources else core.show_chip(ctx.dataset, chip)


@command(groups=("output", "data"), examples=(
    "chipcmp compare 'Ascend 910B' H100 H20", "chipcmp compare A100 H100 --baseline H100 --metrics bf16_tflops,tdp_w",
    "chipcmp compare H20 H800 -o h20_vs_h800.md"))
def compare(
    ctx: Any,
    chips: Annotated[list[str], typer.Argument(help="Two or more chips; the first is the baseline.",
                                               autocompletion=_complete_chip, show_default=False)],
    baseline: Annotated[str | None, typer.Option(
        "--baseline", "-b", autocompletion=_complete_chip,
        help="Chip the ratios are relative to (default: the first).")] = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", "-m", metavar="A,B,...", autocompletion=_complete_field,
        help="Rows to show: columns and metrics ('all' for every one).")] = None,
    systems_: Annotated[bool, typer.Option("--systems", help="The names are systems (`chipcmp systems`); also "
                                           "assumed when every name is a system and none a chip.")] = False,
) -> Any:
    """Compare chips (or systems) side by side, with each one's ratio to a baseline (▲ better, ▼ worse)."""
    from chipcmp import core
    from chipcmp import systems as sy

    ctx.columns_used = ctx.columns_spec is None  # compare's rows are --metrics; --columns picks its columns
    if systems_ or (all(sy.is_system(n) for n in chips) and not _all_chips(ctx, chips)):
        if metrics is not None:
            from chipcmp.errors import UsageError

            raise UsageError("--metrics picks chip fields; a comparison of systems shows their totals")
        return sy.compare_systems(ctx.dataset, chips, baseline)
    return core.compare(ctx.dataset, chips, baseline, metrics)


def _all_chips(ctx: Any, names: list[str]) -> bool:
    from chipcmp.names import fold, name_keys

    keys = set(name_keys(ctx.dataset.frame))
    return all(fold(n) in keys for n in names)


@command(examples=("chipcmp rank --metric bf16_tflops_per_watt --top 10",
                   "chipcmp rank --metric 'memory_bw_tbs / price_usd * 1000' --country CN",
                   "chipcmp rank -m tpp --asc --where 'tpp>=1000'"))
def rank(
    ctx: Any,
    metric: Annotated[str, typer.Option("--metric", "-m", autocompletion=_complete_metric, show_default=False,
                                        help="Column or metric to rank by (see `chipcmp metrics`), or an "
                                             "expression of them, e.g. 'memory_bw_tbs / price_usd * 1000'.")],
    top: TopOpt = None,
    asc: Annotated[bool | None, typer.Option("--asc/--desc", help="Override the metric's own best-first "
                                                "direction.", show_default=False)] = None,
    systems_: Annotated[bool, typer.Option("--systems", help="Rank systems by a system metric (see `chipcmp "
                                           "systems --help`) instead of chips.")] = False,
) -> Any:
    """Rank chips (or --systems) by a column or metric, best first; those with an unknown value are left out."""
    from chipcmp import core

    if systems_:
        from chipcmp import systems as sy

        ctx.refuse(("country", "kind", "since", "where"), "systems are filtered by --vendor only")
        if asc is not None:
            from chipcmp.errors import UsageError

            raise UsageError("--asc/--desc apply to chips; a system metric ranks in its own direction")
        return sy.systems(ctx.dataset, [], ctx.filters.vendor, metric, top)
    return core.rank(ctx.dataset, metric, ctx.filters, top, asc, ctx.columns)


@command(examples=("chipcmp export -o chips.csv", "chipcmp export --country CN -o cn.json"))
def export(ctx: Any) -> Any:
    """Export the (filtered) data with every derived metric, sources and the dataset version (CSV by default)."""
    from chipcmp import core

    if ctx.fmt is None and ctx.output is None:
        from chipcmp.formats import OutputFormat as Fmt

        ctx.fmt = Fmt.csv
    return core.export(ctx.dataset, ctx.filters)


@command(groups=("output",), examples=("chipcmp metrics", "chipcmp metrics --format markdown"))
def metrics(ctx: Any) -> Any:
    """List every column and derived metric with its unit, formula and better direction."""
    from chipcmp import core

    return core.metrics_table()


@command(groups=("output",), examples=("chipcmp audit", "chipcmp audit my_chips.csv -o problems.csv"))
def audit(
    ctx: Any,
    file: Annotated[Path | None, typer.Argument(help="A chips CSV to check (default: the bundled data).",
                                                show_default=False)] = None,
) -> Any:
    """Check a chips CSV: schema, types, units, duplicates, sources, and figures that contradict each other.

    Exits 1 if there are errors; warnings (suspicious but possible) alone exit 0. A checked warning is
    acknowledged in the row's notes with [audit-ok: CODE].
    """
    from chipcmp.audit import audit_file
    from chipcmp.errors import DataError

    result, errors, _ = audit_file(file)
    ctx.data = file
    if result.frame.empty and ctx.format is OutputFormat.table and ctx.output is None:
        from chipcmp.pipeline import say

        say(result.notes[0])  # nothing to tabulate
    else:
        ctx.run(result)
    if errors:
        where = "fix the rows listed above" if ctx.output is None else f"see {ctx.output}"
        raise DataError(f"{result.assumptions['file']} has {errors} error{'s' * (errors != 1)}; {where}")


@command(examples=("chipcmp controls 'Ascend 910B' H20 H100 --rule 2023-10", "chipcmp controls --near 10%",
                   "chipcmp controls --tflops 600 --die-area 600"))
def controls(
    ctx: Any,
    chips: Annotated[list[str] | None, typer.Argument(help="Chips to classify (default: all, after filters).",
                                                      autocompletion=_complete_chip, show_default=False)] = None,
    rule: Annotated[list[RuleId], typer.Option("--rule", "-r", help="Rule version(s) to show with headroom to "
                                               "each threshold (repeatable).")] = [],
    near: Annotated[str | None, typer.Option("--near", metavar="PCT", help="Only chips within PCT (e.g. 10%) of "
                                             "any threshold of the rules shown.")] = None,
    tflops: Annotated[float | None, typer.Option("--tflops", help="What-if chip: dense throughput at "
                                                 "--precision.", rich_help_panel="What-if")] = None,
    precision: Annotated[Precision, typer.Option("--precision", help="What-if chip: precision of --tflops.",
                                                 rich_help_panel="What-if", case_sensitive=False)] = BF16,
    tpp: Annotated[float | None, typer.Option("--tpp", help="What-if chip: TPP directly.",
                                              rich_help_panel="What-if")] = None,
    die_area: Annotated[float | None, typer.Option("--die-area", metavar="MM2", help="What-if chip: logic die "
                                                   "area, mm².", rich_help_panel="What-if")] = None,
    interconnect: Annotated[float | None, typer.Option("--interconnect", metavar="GBS", help="What-if chip: "
                                                       "bidirectional I/O, GB/s.", rich_help_panel="What-if")] = None,
    memory_bw: Annotated[float | None, typer.Option("--memory-bw", metavar="TBS", help="What-if chip: DRAM "
                                                    "bandwidth, TB/s.", rich_help_panel="What-if")] = None,
) -> Any:
    """US export-control view: TPP, performance density, class under each rule version, headroom to thresholds.

    Informational calculation from public specs, not legal advice. Give --tflops or --tpp (with --die-area,
    --interconnect, --memory-bw) to classify a hypothetical chip instead.
    """
    from chipcmp import controls as ctl

    rules = [r.value for r in rule]
    pct = ctl.parse_near(near)
    if tflops is not None or tpp is not None:
        if chips:
            raise typer.BadParameter("give either chip names or a what-if chip (--tflops/--tpp), not both")
        ctx.refuse((*GROUPS["filters"], *GROUPS["data"]), "a what-if chip is classified on its own, without data")
        hypo = ctl.what_if_frame(tflops, precision.value, tpp, die_area, interconnect,
                                 memory_bw)
        return ctl.controls(None, [], ctx.filters, rules, what_if=hypo, near=pct)
    return ctl.controls(ctx.dataset, chips or [], ctx.filters, rules, near=pct)


def _complete_model_names(incomplete: str) -> list[str]:
    return _complete_model(incomplete)


ParamsOpt = Annotated[str, typer.Option("--params", "-p", metavar="N", show_default=False,
                                        help="Model parameters, with K/M/B/T suffix, e.g. 70B (or --model).")]
ActiveOpt = Annotated[str, typer.Option("--active-params", metavar="N", show_default=False,
                                        help="Parameters used per token (mixture of experts), e.g. 37B.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-M", metavar="NAME", show_default=False,
                                              autocompletion=_complete_model_names,
                                              help="A model of the catalogue (`chipcmp models`), e.g. 'Llama 3.1 "
                                                   "70B' or DeepSeek-V3.")]
SystemOpt = Annotated[str | None, typer.Option("--system", metavar="NAME", show_default=False,
                                               help="A system of `chipcmp systems`: its chip, and its scale-up "
                                                    "domain (serve) or its size (train, with --systems).")]


def _complete_model(incomplete: str) -> list[str]:
    import shlex

    from chipcmp.models import aliases
    from chipcmp.names import fold

    names = sorted(set(aliases().values()))
    return [shlex.quote(n) for n in names if fold(n).startswith(fold(incomplete))]


def _model(model: str | None, params: str, active: str, what: str) -> Any:
    """The model to estimate: from the catalogue, or described by --params (and --active-params)."""
    from chipcmp.errors import UsageError
    from chipcmp.models import Model, find

    if model is not None:
        if params or active:
            raise UsageError("give --model or --params/--active-params, not both")
        return find(model)
    if not params:
        raise UsageError(f"{what} needs --model NAME (see `chipcmp models`) or --params N, e.g. --params 70B")
    total = _count(params, "--params")
    act = _count(active, "--active-params") if active else total
    if act > total:
        raise UsageError("--active-params cannot exceed --params")
    return Model(f"a {params}-parameter model", total, act, kind="moe" if act < total else "dense")


def _system_chips(system: str | None, chips: list[str] | None) -> tuple[Any, list[str]]:
    from chipcmp.errors import UsageError
    from chipcmp.systems import find

    if system is None:
        return None, chips or []
    s = find(system)
    if chips:
        raise UsageError(f"--system {s.name!r} sets the chip ({s.chip}); give no chip names with it")
    return s, [s.chip]


@command(groups=("output",), examples=("chipcmp models", "chipcmp models --format csv -o models.csv"))
def models(ctx: Any) -> Any:
    """List the model catalogue: parameters (total and active), layers, attention, experts, KV cache per token."""
    from chipcmp.models import models_table

    return models_table()


@command(examples=("chipcmp train 'Ascend 910B' H100 H20 --model 'Llama 3.1 70B' --tokens 15T --chips 4096",
                   "chipcmp train H800 --model DeepSeek-V3 --tokens 14.8T --chips 2048 --mfu 0.35",
                   "chipcmp train --system 'CloudMatrix 384' --systems 4 --model 'Llama 3.1 405B' --tokens 15.6T"))
def train(
    ctx: Any,
    chips: ChipsArg = None,
    model: ModelOpt = None,
    params: ParamsOpt = "",
    active_params: ActiveOpt = "",
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="Training tokens, with K/M/B/T suffix, e.g. 2T.")] = "",
    precision: PrecisionOpt = BF16,
    mfu: Annotated[float, typer.Option("--mfu", help="Model FLOPs utilisation, in (0, 1].")] = 0.4,
    n_chips: Annotated[int | None, typer.Option("--chips", metavar="N", min=1, help="Cluster size: report "
                                                "wall-clock days.")] = None,
    days: Annotated[float | None, typer.Option("--days", "-d", help="Deadline: report chips needed.")] = None,
    system: SystemOpt = None,
    n_systems: Annotated[int | None, typer.Option("--systems", metavar="N", min=1,
                                                  help="With --system: how many of them.")] = None,
    pue: Annotated[float, typer.Option("--pue", help="Power usage effectiveness (1 = chips only).")] = 1.0,
    kwh_price: Annotated[float | None, typer.Option("--kwh-price", metavar="USD", help="Electricity price "
                                                    "per kWh.")] = None,
    rent: Annotated[float | None, typer.Option("--rent", metavar="USD", help="Rental price per chip-hour.")] = None,
) -> Any:
    """Estimate a training run on each chip: 6·N·D FLOPs (N active for MoE), chip-hours at an MFU, days or chips,
    energy, cost."""
    from chipcmp import workload as wl
    from chipcmp.errors import UsageError

    m = _model(model, params, active_params, "train")
    sys_, chip_list = _system_chips(system, chips)
    if n_systems is not None and sys_ is None:
        raise UsageError("--systems N goes with --system NAME")
    if sys_ is not None:
        if n_chips is not None:
            raise UsageError("give --system with --systems, or --chips, not both")
        n_chips = sys_.chips * (n_systems or 1)
    plan = wl.TrainPlan(m.params, _count(tokens, "--tokens"), m.active_params if m.moe else None,
                        m.name if model else "", precision.value, mfu, n_chips, days, pue, kwh_price, rent)
    return wl.train(ctx.dataset, plan, chip_list, ctx.filters)


@command(examples=("chipcmp serve 'Ascend 910B' H20 H800 'H100 SXM' --model 'Llama 3.1 70B' --weights fp8 "
                   "--prompt 8192",
                   "chipcmp serve H20 'Ascend 910C' --model DeepSeek-V3 --weights fp8 --batch auto --tpot-ms 50",
                   "chipcmp serve --system 'CloudMatrix 384' --model DeepSeek-V3 --weights int8"))
def serve(
    ctx: Any,
    chips: ChipsArg = None,
    model: ModelOpt = None,
    params: ParamsOpt = "",
    active_params: ActiveOpt = "",
    weights: Annotated[Precision, typer.Option("--weights", help="Weight precision.", case_sensitive=False)]
    = BF16,
    kv: Annotated[Precision, typer.Option("--kv", help="KV-cache precision.", case_sensitive=False)] = BF16,
    precision: Annotated[Precision | None, typer.Option("--precision", show_default=False, case_sensitive=False,
                                                        help="Compute precision (default: the weights', BF16 for "
                                                             "4-bit weights).")] = None,
    prompt: Annotated[int, typer.Option("--prompt", metavar="TOKENS", help="Prompt length.")] = 2048,
    output_tokens: Annotated[int, typer.Option("--output-tokens", metavar="TOKENS", help="Tokens generated per "
                                               "request.")] = 512,
    batch: Annotated[str, typer.Option("--batch", metavar="N|auto", help="Concurrent sequences per replica, or "
                                       "auto: the most throughput under --tpot-ms (default 50 ms).")] = "auto",
    tpot_ms: Annotated[float | None, typer.Option("--tpot-ms", metavar="MS", help="Latency target: time per "
                                                  "output token (with --batch auto).")] = None,
    replica: Annotated[int | None, typer.Option("--replica", metavar="CHIPS", help="Chips per replica (the "
                                                "tensor-parallel degree; default: the fewest that hold the model).")]
    = None,
    system: SystemOpt = None,
    years: Annotated[float, typer.Option("--years", help="Years to spread the purchase price over.")] = 4.0,
    kwh_price: Annotated[float, typer.Option("--kwh-price", metavar="USD", help="Electricity per kWh.")] = 0.10,
    pue: Annotated[float, typer.Option("--pue", help="Power usage effectiveness.")] = 1.3,
    rent: Annotated[float | None, typer.Option("--rent", metavar="USD", help="Rental per chip-hour (default: the "
                                               "latest in prices.csv).")] = None,
) -> Any:
    """Estimate serving on each chip: chips per replica, output tokens/s per chip and per user, time to first token,
    $ per million output tokens, tokens per kWh."""
    from chipcmp import serving
    from chipcmp.errors import UsageError

    m = _model(model, params, active_params, "serve")
    sys_, chip_list = _system_chips(system, chips)
    if batch.strip().lower() == "auto":
        n_batch = None
    else:
        try:
            n_batch = int(batch)
        except ValueError:
            raise UsageError(f"--batch {batch!r}: give a whole number of sequences, or auto") from None
    if tpot_ms is not None and n_batch is not None:
        raise UsageError("--tpot-ms picks the batch: use it with --batch auto")
    wbits = schema.PRECISION_BY_NAME[weights.value].bits
    compute = precision.value if precision is not None else (weights.value if wbits >= 8 else "bf16")
    plan = serving.ServePlan(m, wbits / 8, schema.PRECISION_BY_NAME[kv.value].bits / 8, compute, prompt,
                             output_tokens, n_batch, tpot_ms, years, kwh_price, pue, rent,
                             sys_.scaleup_domain if sys_ else None, sys_.name if sys_ else "", replica)
    return serving.serve(ctx.dataset, plan, chip_list, ctx.filters, serving.scaleup_domains())


@command(groups=("output",), examples=("chipcmp calibration", "chipcmp calibration --format csv"))
def calibration(ctx: Any) -> Any:
    """Show `train` and `serve` estimates beside published results (GPU-hours of training runs, serving throughput)
    with the ratio: how far to trust an estimate."""
    from chipcmp.calibration import calibration as table

    return table(ctx.dataset)


@command(groups=("output", "data"), examples=("chipcmp systems", "chipcmp systems 'CloudMatrix 384' 'GB200 NVL72'",
                                              "chipcmp systems --metric bf16_pflops_per_kw --top 5"))
def systems(
    ctx: Any,
    names: Annotated[list[str] | None, typer.Argument(help="Systems to show (default: all).", show_default=False)]
    = None,
    metric: Annotated[str | None, typer.Option("--metric", "-m", help="Rank by a system metric: bf16_pflops, "
                                               "fp8_pflops, memory_tb, memory_bw_tbs, bf16_pflops_per_kw, "
                                               "bf16_pflops_per_musd, power_kw, chips, scaleup_domain.")] = None,
    top: TopOpt = None,
    vendor: VendorOpt = [],
) -> Any:
    """Systems (boards, racks, pods): chips, scale-up domain, totals from their chips, power, per kW and per $."""
    from chipcmp import systems as sy

    return sy.systems(ctx.dataset, names or [], tuple(vendor), metric, top)


@command(groups=("output", "data"), examples=(
    "chipcmp match 'Ascend 910B' --to 'H100 SXM' --count 10000 --by all",
    "chipcmp match H20 --to H100 --count 1024 --by bf16_achieved_tflops",
    "chipcmp match 'Ascend 910C' --to H100 --count 10000 --by all --model 'Llama 3.1 405B' --tokens 15.6T"))
def match(
    ctx: Any,
    chip: ChipArg,
    to: Annotated[str, typer.Option("--to", autocompletion=_complete_chip, show_default=False,
                                    help="The chip to match.")],
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many of --to.")],
    by: Annotated[str, typer.Option("--by", autocompletion=_complete_metric,
                                    help="Metric to match (a throughput, memory, bandwidth or achieved figure), or "
                                         "all.")] = "bf16_tflops",
    model: ModelOpt = None,
    tokens: Annotated[str, typer.Option("--tokens", "-t", metavar="N", show_default=False,
                                        help="With --model: training tokens, for days on each side.")] = "",
    mfu: Annotated[float, typer.Option("--mfu", help="MFU for the training days.")] = 0.4,
) -> Any:
    """How many of CHIP equal N of another by a metric (or all of them), and what that takes in power, money and
    systems; with --model and --tokens, the training days on each side."""
    from chipcmp import systems as sy
    from chipcmp.core import check_positive
    from chipcmp.errors import UsageError

    check_positive(mfu, "--mfu", upper=1.0)
    flops = None
    if model is not None or tokens:
        if model is None or not tokens:
            raise UsageError("training days need both --model and --tokens")
        from chipcmp.models import find

        flops = 6.0 * find(model).active_params * _count(tokens, "--tokens")
    return sy.match(ctx.dataset, chip, to, count, by, flops, mfu)


@command(examples=("chipcmp roofline --intensity 50", "chipcmp roofline H100 H20 'Ascend 910B' -i 300"))
def roofline(
    ctx: Any,
    intensity: Annotated[float, typer.Option("--intensity", "-i", metavar="FLOP/B", show_default=False,
                                             help="Arithmetic intensity, FLOPs per byte of memory traffic.")],
    chips: ChipsArg = None,
    precision: PrecisionOpt = BF16,
    top: TopOpt = None,
) -> Any:
    """Rank chips by attainable throughput at an arithmetic intensity: min(peak, bandwidth × intensity)."""
    from chipcmp import workload as wl

    return wl.roofline(ctx.dataset, intensity, precision.value, chips or [], ctx.filters, top)


def _count(text: str, option: str) -> float:
    from chipcmp.errors import UsageError
    from chipcmp.workload import parse_count

    if not text:
        raise UsageError(f"{option} is required, e.g. {option} 70B")
    return parse_count(text, option)


@command(examples=("chipcmp plot memory_bw_tbs bf16_tflops --log-x --log-y",
                   "chipcmp plot tdp_w bf16_tflops --country CN -o chart.png", "chipcmp plot --bar tpp --top 15"))
def plot(
    ctx: Any,
    fields: Annotated[list[str] | None, typer.Argument(
        metavar="X Y [CHIP]...", autocompletion=_complete_metric, show_default=False,
        help="Fields for the x and y axes, then optionally chips (default: all, after filters).")] = None,
    bar: Annotated[str | None, typer.Option("--bar", metavar="METRIC", autocompletion=_complete_metric,
                                            help="A bar chart of one field instead; positionals are chips.")] = None,
    pareto: Annotated[bool, typer.Option("--pareto", help="List the Pareto-frontier chips below the chart.")] = False,
    log_x: Annotated[bool, typer.Option("--log-x", help="Logarithmic x axis.")] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    top: TopOpt = None,
    width: Annotated[int | None, typer.Option("--width", min=20, max=1000, help="Chart width in characters "
                                              "(default: the terminal's, 80 in a pipe).")] = None,
) -> Any:
    """Chart two fields as a labelled scatter with its Pareto frontier, or one field as bars (--bar).

    -o FILE.png or FILE.svg writes an image (needs matplotlib: pip install 'chipcmp[plot]'); --format csv or
    json writes the plotted points.
    """
    from chipcmp import plot as pl
    from chipcmp.pipeline import terminal_width

    if ctx.output is not None and ctx.output.suffix.lower() in (".png", ".svg"):
        pl.image_kind(ctx.output)
        ctx.fmt = ctx.fmt or OutputFormat.table
    cols = width or terminal_width()
    words = fields or []
    if bar is not None:
        return pl.bar_result(ctx.dataset, bar, words, ctx.filters, top, cols)
    if len(words) < 2:
        raise typer.BadParameter("give two fields, e.g. chipcmp plot memory_bw_tbs bf16_tflops (or --bar FIELD)")
    return pl.scatter_result(ctx.dataset, words[0], words[1], words[2:], ctx.filters, log_x, log_y, cols, pareto)


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
        command_ = typer.main.get_command(app)
    finally:
        app.registered_commands = everything  # the module-level app stays whole for callers in-process
    command_(prog_name="chipcmp")
