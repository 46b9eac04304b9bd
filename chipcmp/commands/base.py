"""What every command shares, declared once: the app, the error edge (one line on stderr, a named exit code),
the shared options and the `@command` decorator that adds them and runs the one pipeline.

Imported for `--help` and completion: no pandas, no core at module level."""

import enum
import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from chipcmp.commands.complete import (
    _complete_chip,
    _complete_field,
    _complete_model_names,
    _complete_system,
)
from chipcmp.data import schema
from chipcmp.data.prices import RENT_KINDS
from chipcmp.errors import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_INTERRUPTED, ChipcmpError
from chipcmp.output.formats import OutputFormat
from chipcmp.ranges import checker


def _fail(message: str, code: int) -> int:
    from chipcmp.text import clean, shorten_words

    lines = shorten_words(message).split("\n")
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


class _Closed:
    """Stands for a standard stream the caller closed (`chipcmp list >&-`): writing to it is the error the
    system gives (reported in one line, exit 1), flushing it is nothing, so `-o FILE` still works."""

    encoding = "utf-8"

    def write(self, _text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("closed")


def _closed_streams() -> None:
    """Python sets a standard stream that was closed before it started to None: give it a stand-in."""
    import os

    if sys.stdout is None:
        sys.stdout = _Closed()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 -- lives as long as the process


def _safe_streams() -> None:
    """A terminal or pipe whose encoding cannot show '—' or '×' gets '?' rather than an internal error."""
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if enc and enc not in ("utf8", "utf16", "utf32") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _completing(group: Any) -> None:
    import os

    if any(k.endswith("_COMPLETE") for k in os.environ):
        _unfiltered(group)


def _unfiltered(command: Any) -> None:
    """Typer keeps only the candidates that start with the typed text, case-sensitively, so 'h20' or 'deep' would
    complete to nothing; chipcmp's completers match folded names themselves. Each parameter's completion calls the
    completer (typer's wrapper of it) and keeps its answer whole."""
    from typer.core import CompletionItem  # typer's own (0.2x vendors click)

    for cmd in getattr(command, "commands", {}).values():
        _unfiltered(cmd)
    for param in getattr(command, "params", []):
        hook = getattr(param, "_custom_shell_complete", None)
        code = getattr(hook, "__code__", None)
        if code is None or "autocompletion" not in code.co_freevars:
            continue
        completer = hook.__closure__[code.co_freevars.index("autocompletion")].cell_contents  # type: ignore[union-attr]

        def whole(ctx: Any, _param: Any, incomplete: str, completer: Any = completer) -> list[Any]:
            return [CompletionItem(c) for c in completer(ctx, [], incomplete)]

        param._custom_shell_complete = whole


def _system_hint(e: ChipcmpError) -> str:
    """A system's name where a chip is expected: say so, with the commands that take systems and its chip."""
    from chipcmp.errors import UnknownChip

    query = e.query if isinstance(e, UnknownChip) else ""
    if not query:
        return ""
    from chipcmp.data import systems

    if not systems.is_system(query):
        return ""
    s = systems.find(query)
    return (f"{query!r} is a system ({s.chips} × {s.chip}), not a chip: `chipcmp systems`, `chipcmp compare "
            f"--systems` and `chipcmp plot --systems` take systems; name its chip {s.chip!r} here")


class ChipcmpGroup(TyperGroup):
    """Turns every failure into one message on stderr and a named exit code, for the entry point and tests alike."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,  # type: ignore[override]
             standalone_mode: bool = True, **extra: Any) -> Any:
        from chipcmp.data.files import Interrupted

        _closed_streams()
        _safe_streams()
        _completing(self)
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
            code = _fail(_system_hint(e) or str(e), e.exit_code)
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
         "  chipcmp controls --near 10%\n"
         "  chipcmp plan serve --model DeepSeek-V3 --output-rate 2000000 --buyer CN --rule 2023-10",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports rich.markdown and markdown-it, which alone cost more than
    # typer itself, and `chipcmp --help` has a budget of 1.5x `import typer` (benchmarks/README.md).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


Precision = enum.Enum("Precision", [(p.name, p.name) for p in schema.PRECISIONS], type=str)  # type: ignore[misc]




BF16: Any = Precision("bf16")


VendorOpt = Annotated[list[str], typer.Option("--vendor", help="Only this vendor (repeatable, or A,B).",
                                              rich_help_panel="Filters")]


CountryOpt = Annotated[list[str], typer.Option("--country", help="Only vendors from this ISO country code, e.g. CN "
                                               "(repeatable).", rich_help_panel="Filters")]


KindOpt = Annotated[list[str], typer.Option("--kind", help="Only this kind: gpu, asic or wafer (repeatable).",
                                            rich_help_panel="Filters")]


SinceOpt = Annotated[int | None, typer.Option("--since", callback=checker("--since"),
                                              help="Only chips first shipped in or after YEAR.",
                                                 metavar="YEAR", rich_help_panel="Filters")]


WhereOpt = Annotated[list[str], typer.Option(
    "--where", "-w", metavar="EXPR", rich_help_panel="Filters",
    help="Keep chips where FIELD OP VALUE holds, e.g. 'memory_gb>=80' or 'vendor==NVIDIA' (repeatable, ANDed; "
         "OP: >= <= > < == !=; FIELD may be an expression, e.g. 'bf16_tflops / tdp_w > 1'; unknown values never "
         "match).")]


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
    help="Which published purchase price to use: by default (any) the latest market price of the chip itself "
         "(list, street, retail, analyst; a kit price only where there is none); cost, order or kit only when "
         "named.")]


RentKind = enum.Enum("RentKind", [(k, k) for k in (*RENT_KINDS, "any")], type=str)  # type: ignore[misc]
RentKindOpt = Annotated[RentKind, typer.Option(
    "--rent-kind", rich_help_panel="Data", case_sensitive=False,
    help="Which rental price to use: on-demand on a general cloud (default), a contract, spot, a managed "
         "endpoint, or the latest of any.")]
# name -> (annotation, default): the one place a shared option is declared
SHARED: dict[str, tuple[Any, Any]] = {
    "vendor": (VendorOpt, []), "country": (CountryOpt, []), "kind": (KindOpt, []), "since": (SinceOpt, None),
    "where": (WhereOpt, []),
    "fmt": (FormatOpt, None), "output": (OutputOpt, None), "columns": (ColumnsOpt, None),
    "wide": (WideOpt, False), "no_bars": (NoBarsOpt, False),
    "data": (DataOpt, None), "add": (AddOpt, []), "price": (PriceOpt, []),
    "price_kind": (PriceKindOpt, PriceKind("any")),
    "rent_kind": (RentKindOpt, RentKind("on-demand")),
}


GROUPS = {
    "filters": ("vendor", "country", "kind", "since", "where"),
    "output": ("fmt", "output", "columns", "wide", "no_bars"),
    "data": ("data", "add", "price", "price_kind", "rent_kind"),
}


def command(name: str | None = None, *, groups: tuple[str, ...] = ("filters", "output", "data"),
            examples: tuple[str, ...] = (), default_format: OutputFormat | None = None, images: bool = False,
            own_columns: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, **own_options) -> Result` as a command with the shared options of `groups`.

    Typer builds a command's options from its signature, so the wrapper's signature is the command's own
    parameters plus the shared ones: each shared option is declared once (SHARED) and appears on every command
    that takes its group, and the command function itself only ever sees the resolved, read-only Context.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        traits = (name or fn.__name__, default_format, images, own_columns)  # made a Traits when it runs
        shared = [k for g in groups for k in GROUPS[g]]
        own = [p for p in inspect.signature(fn).parameters.values() if p.name != "ctx"]
        params = own + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=SHARED[k][1],
                                          annotation=SHARED[k][0]) for k in shared]
        defaults = {k: SHARED[k][1] for k in shared}

        @functools.wraps(fn)
        def run(**kwargs: Any) -> None:
            from chipcmp.commands.context import Context, Traits

            options = {k: kwargs.pop(k) for k in shared}
            ctx = Context.from_options(Traits(*traits), options, defaults)
            result = fn(ctx, **kwargs)
            try:
                ctx.run(result)
            except BrokenPipeError:  # here, before click turns it into a bare exit 1
                _broken_pipe()

        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        if examples:
            run.__doc__ = (inspect.cleandoc(fn.__doc__ or "") + "\n\n\b\nExamples:\n"
                           + "\n".join(f"  {e}" for e in examples))
        return app.command(name)(run)

    return decorate


def _version(value: bool) -> None:
    if value:
        from chipcmp.version import __version__

        typer.echo(f"chipcmp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Compare AI accelerators from sourced public specifications."""


ChipArg = Annotated[str, typer.Argument(help="Chip name or alias (case and punctuation don't matter).",
                                        autocompletion=_complete_chip, show_default=False)]


ChipsArg = Annotated[list[str] | None, typer.Argument(help="Chips to include (default: all, after filters).",
                                                     autocompletion=_complete_chip, show_default=False)]


TopOpt = Annotated[int | None, typer.Option("--top", "-n", callback=checker("--top"),
                                            metavar="N", help="Show only the best N.")]


PrecisionOpt = Annotated[Precision, typer.Option("--precision", help="Throughput column to use.",
                                                 case_sensitive=False)]


ParamsOpt = Annotated[str, typer.Option("--params", "-p", metavar="N", show_default=False,
                                        help="Model parameters, with K/M/B/T suffix, e.g. 70B (or --model).")]


ActiveOpt = Annotated[str, typer.Option("--active-params", metavar="N", show_default=False,
                                        help="Parameters used per token (mixture of experts), e.g. 37B.")]


ModelOpt = Annotated[str | None, typer.Option("--model", "-M", metavar="NAME", show_default=False,
                                              autocompletion=_complete_model_names,
                                              help="A model of the catalogue (`chipcmp models`), e.g. 'Llama 3.1 "
                                                   "70B' or DeepSeek-V3.")]


SystemOpt = Annotated[str | None, typer.Option("--system", metavar="NAME", show_default=False,
                                               autocompletion=_complete_system,
                                               help="A system of `chipcmp systems`: its chip, and its scale-up "
                                                    "domain (serve) or its size (train, with --systems).")]

