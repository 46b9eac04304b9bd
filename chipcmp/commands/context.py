"""The one command pipeline: shared options resolved once into a `Context`, one `run` path from `Result` to output.

Modelled on pipx's dispatch context (`main.py` builds one context and hands it to each command) and sqlite-utils'
output options (declared once, emitted through one function). A command receives a Context, asks it for what it
needs (`ctx.dataset`, `ctx.filters`, `ctx.columns_spec`) and returns a Result; `Context.run` does the rest.
What differs between commands (a default format, image output, who applies --columns) is declared when the
command is registered, as `Traits`; the context is frozen.

It imports neither pandas nor rich at module level: command modules import it for their type.
"""

import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.core.filters import Filters
from chipcmp.errors import DataError, UsageError
from chipcmp.output.formats import IMAGES, OutputFormat
from chipcmp.text import clean

if TYPE_CHECKING:
    from rich.console import Console

    from chipcmp.core.result import Result
    from chipcmp.data.dataset import Dataset


# A console to render tables into instead of stdout (a test forcing terminal mode, a program embedding chipcmp).
CONSOLE: "Console | None" = None


def say(message: str, stream: Any = None) -> None:
    """One message on stderr, each line cleaned of terminal control (messages quote data and file names) and, on a
    terminal, wrapped between words at its width (a URL or path is never cut)."""
    out = stream or sys.stderr
    lines = [f"chipcmp: {clean(line)}" if i == 0 else clean(line) for i, line in enumerate(message.split("\n"))]
    if getattr(out, "isatty", lambda: False)():
        import shutil
        import textwrap

        width = shutil.get_terminal_size((80, 24)).columns
        wrap = textwrap.TextWrapper(width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
        lines = [w for line in lines for w in (wrap.wrap(line) or [""])]
    out.write("\n".join(lines) + "\n")


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


class Traits(NamedTuple):
    """What a command declares about its output when it is registered (`@command(...)`), never set at run time."""

    name: str
    default_format: OutputFormat | None = None  # export: CSV unless told otherwise
    images: bool = False  # plot: -o FILE.png/.svg writes an image
    own_columns: bool = False  # list, rank: the command applies --columns itself


class Context:
    """Everything the shared options say, resolved once: which data, which rows, which output. Read-only: a
    command reads it and returns a Result; only `dataset` is computed, once, on first use. (A plain class
    that refuses assignment: a frozen dataclass's generated methods cost ~1 ms at every start of the tool.)"""

    def __init__(
        self,
        traits: Traits,
        *,
        data: Path | None = None,
        add: tuple[Path, ...] = (),
        prices: tuple[str, ...] = (),
        price_kind: str = "any",
        rent_kind: str = "on-demand",
        filters: Filters | None = None,
        fmt: OutputFormat | None = None,
        output: Path | None = None,
        columns_spec: str | None = None,
        bars: bool = True,
        wide: bool = False,
        given: frozenset[str] = frozenset(),  # the shared options the user gave
        console: "Console | None" = None,  # tests pass a console forced into terminal mode
    ) -> None:
        self.__dict__.update(traits=traits, data=data, add=add, prices=prices, price_kind=price_kind,
                             rent_kind=rent_kind, filters=Filters() if filters is None else filters, fmt=fmt,
                             output=output, columns_spec=columns_spec, bars=bars, wide=wide, given=given,
                             console=console)

    if TYPE_CHECKING:  # the attributes __init__ sets, for the type checker
        traits: Traits
        data: Path | None
        add: tuple[Path, ...]
        prices: tuple[str, ...]
        price_kind: str
        rent_kind: str
        filters: Filters
        fmt: OutputFormat | None
        output: Path | None
        columns_spec: str | None
        bars: bool
        wide: bool
        given: frozenset[str]
        console: Console | None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the context is read-only: a command cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"the context is read-only: a command cannot delete {name!r}")

    @classmethod
    def from_options(cls, traits: Traits, options: dict[str, Any], defaults: dict[str, Any]) -> "Context":
        given = frozenset(k for k, v in options.items() if v != defaults.get(k))
        ctx = cls(
            traits=traits,
            data=options.get("data"),
            add=tuple(options.get("add") or ()),
            prices=tuple(options.get("price") or ()),
            price_kind=str(getattr(options.get("price_kind"), "value", options.get("price_kind") or "any")),
            rent_kind=str(getattr(options.get("rent_kind"), "value", options.get("rent_kind") or "on-demand")),
            filters=Filters(_split(options.get("vendor") or []), _split(options.get("country") or []),
                            _split(options.get("kind") or []), options.get("since"),
                            tuple(options.get("where") or [])),
            fmt=options.get("fmt"),
            output=options.get("output"),
            columns_spec=options.get("columns"),
            bars=not options.get("no_bars", False),
            wide=bool(options.get("wide", False)),
            given=given,
        )
        ctx.format  # noqa: B018 -- an unwritable extension is a usage error before any work
        return ctx

    @property
    def command(self) -> str:
        return self.traits.name

    # --- data ----------------------------------------------------------------------------------------------

    @cached_property
    def dataset(self) -> "Dataset":
        """The chips, loaded once, with every overlay and price override; warnings and provenance on stderr."""
        from chipcmp.data.dataset import load_dataset

        ds = load_dataset(self.data, list(self.add), list(self.prices), self.price_kind, self.rent_kind)
        for w in ds.warnings:
            say(f"warning: {w}")
        if self.data is not None or self.add or self.prices or ds.sources[0].label != "bundled":
            say(f"data: {ds.describe()}")
        return ds

    def refuse(self, options: tuple[str, ...], why: str) -> None:
        """A usage error if any of `options` was given where they cannot apply (never silently ignored)."""
        used = sorted(o for o in options if o in self.given)
        if used:
            raise UsageError(f"{', '.join('--' + u.replace('_', '-') for u in used)} cannot apply here: {why}")

    # --- output --------------------------------------------------------------------------------------------

    @property
    def format(self) -> OutputFormat:
        from chipcmp.output.formats import format_for

        fmt = self.fmt if self.fmt is not None or self.output is not None else self.traits.default_format
        return format_for(self.output, fmt, images=self.traits.images)

    def data_info(self) -> dict[str, Any] | None:
        if "dataset" not in self.__dict__:
            return None  # the command read no data (metrics, a what-if)
        ds = self.dataset
        return {"version": ds.version, "files": [{"label": s.label, "rows": s.rows, "sha256": s.sha256}
                                                 for s in ds.sources]}

    def run(self, result: "Result") -> None:
        """Render the command's result, say what has to be said about it on stderr, then raise the failure the
        result carries (an audit with errors), so that its output is written first."""
        from chipcmp.output.writers import Target, emit

        if self.columns_spec and not self.traits.own_columns:
            result = pick_columns(result, self.columns_spec)
        if self.columns_spec:
            result = keep_asked(result, self.columns_spec)
        fmt = self.format
        protect = tuple(p for p in (self.data, *self.add, *result.inputs) if p)
        # Only JSON carries the dataset's version and hashes: the other formats need not hash the files.
        target = Target(fmt, self.output, self.bars, self.wide, self.command,
                        self.data_info() if fmt is OutputFormat.json else None, protect)
        image, output = result.image, self.output
        if image is not None and output is not None and output.suffix.lower() in IMAGES:
            from chipcmp.data.files import check_output_path, write_bytes

            check_output_path(output, protect)
            write_bytes(output, lambda f: image(f, output.suffix.lower()[1:]))
            messages = [*result.messages, f"wrote {output}"]
        elif result.frame.empty and result.notes and fmt is OutputFormat.table and output is None:
            messages = [*result.messages, result.notes[0]]  # nothing to tabulate: say why instead
        else:
            messages = emit(result, target, self.console or CONSOLE)
        sys.stdout.flush()  # data first, then what we have to say about it
        for m in messages:
            say(m)
        if result.failure:
            raise DataError(result.failure)


def keep_asked(result: "Result", spec: str) -> "Result":
    """The columns the user named with --columns are never hidden to fit the terminal."""
    from chipcmp.core.fields import split_names

    asked = set(split_names(spec, "--columns"))
    return result.replace(columns=[c._replace(keep=True) if c.key in asked else c for c in result.columns])


def pick_columns(result: "Result", spec: str) -> "Result":
    """The result with only the named columns (by key), in the order given; the first column always stays."""
    from chipcmp.core.fields import split_names
    from chipcmp.data.names import suggest

    wanted = split_names(spec, "--columns")
    if not wanted:
        raise UsageError("--columns names no column; give names separated by commas")
    by_key = {c.key: c for c in result.columns}
    for w in wanted:
        if w not in by_key:
            raise UsageError(f"--columns: this table has no column {w!r}{suggest(w, list(by_key))}"
                             f"\n(its columns: {', '.join(by_key)})")
    first = result.columns[0]
    cols = [first, *(by_key[w] for w in wanted if w != first.key)]
    dropped = [c.key for c in result.columns if c not in cols]
    return result.replace(columns=cols, frame=result.frame.drop(columns=dropped))


def terminal_width() -> int:
    """The width to draw charts for: the terminal's, 80 in a pipe."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
