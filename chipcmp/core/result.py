"""What a command returns: one frame plus how to show it. Every renderer reads this one object."""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.data import schema
from chipcmp.data.registry import CHIPS, Registry

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


BETTER, WORSE = "▲", "▼"  # how a Result.better verdict is shown


class Col(NamedTuple):
    """One output column: its key in the frame, header, and how to show it."""

    key: str
    header: str
    numeric: bool = False
    bar: bool = False  # draw a small bar beside the value in terminal tables (its own column)
    kind: str = "float"  # "int": no decimals; "ratio": 0.32×; "row": the kind in Result.row_kinds
    name: str | None = None  # the CSV/JSON column name, when not the key (compare's chip columns)
    keep: bool = False  # never hidden to fit a narrow terminal (the name column, the ranked metric)
    whole: bool = False  # never cut (a URL): a terminal too narrow for it gets the plain table, lines unbroken
    unit: str = ""

    @property
    def out(self) -> str:
        return self.name or self.key

    @classmethod
    def of(cls, name: str, *, bar: bool = False, keep: bool = False, registry: Registry = CHIPS) -> "Col":
        """A column described by the registry (the chips', or another table's)."""
        f = registry.by_name[name]
        return cls(name, schema.field_header(f), f.numeric, bar, f.kind, keep=keep or name == "name", unit=f.unit)


class Result:
    """A command's answer: its frame, its columns, and everything said about them. A plain class with its
    `__init__` written out: a dataclass's generated methods cost ~1 ms at every start of the tool."""

    def __init__(
        self,
        frame: "pd.DataFrame",
        columns: list[Col],
        *,
        title: str = "",
        messages: list[str] | None = None,
        notes: list[str] | None = None,
        assumptions: dict[str, Any] | None = None,
        row_kinds: Sequence[str] | None = None,
        marks: set[tuple[int, str]] | None = None,
        ranged: set[tuple[int, str]] | None = None,
        better: dict[tuple[int, str], bool] | None = None,
        groups: list[tuple[str, ...]] | None = None,
        chart: str | None = None,
        image: Callable[[Any, str], None] | None = None,
        inputs: "tuple[Path, ...]" = (),
        failure: str | None = None,
        unsupported: dict[str, Any] | None = None,
    ) -> None:
        self.frame = frame
        self.columns = columns
        self.title = title
        self.messages = [] if messages is None else messages  # for stderr, never mixed with data
        # part of the output: table footer, Markdown notes, JSON "notes"
        self.notes = [] if notes is None else notes
        # the inputs behind the figures (JSON "assumptions")
        self.assumptions = {} if assumptions is None else assumptions
        self.row_kinds = row_kinds  # per-row value kind, for tables whose rows are fields (compare)
        self.marks = set() if marks is None else marks  # (row position, column key) shown with a '*'
        self.ranged = set() if ranged is None else ranged  # ... shown with a '~': sources disagree on it
        # (row position, column key) -> True when better than the baseline, False when worse (compare's ▲ / ▼)
        self.better = {} if better is None else better
        # Columns that travel together when a wide table is split into pages (compare: a chip and its ratio);
        # the columns in no group are repeated on every page.
        self.groups = [] if groups is None else groups
        self.chart = chart  # a text chart shown instead of the table (plot); machine formats get the frame
        self.image = image  # writes the chart as an image: (binary file, "png"/"svg")
        self.inputs = inputs  # files the command read besides the data (audit's file): never an output
        self.failure = failure  # raised as a data error once the output is written (an audit with errors)
        # column key -> row mask (numpy bool, by position): cells shown "n/a", the chip cannot run the format.
        # Kept apart from the numbers until shown, so an export of a million rows keeps its columns as floats.
        self.unsupported = {} if unsupported is None else unsupported

    def replace(self, **changes: Any) -> "Result":
        """A copy with `changes` (field name -> value); this result is not touched."""
        new = object.__new__(Result)
        new.__dict__.update(self.__dict__, **changes)
        return new

    def marked(self) -> "pd.DataFrame":
        """The frame as shown: "n/a" where `unsupported` says so (NaN elsewhere stays unknown)."""
        return with_marks(self.frame, self.unsupported)

    def rows(self, start: int, stop: int) -> "Result":
        """The rows start:stop (by position), their marks with them: for writing a large result in parts."""
        return self.replace(frame=self.frame.iloc[start:stop],
                       unsupported={k: m[start:stop] for k, m in self.unsupported.items()})


def with_marks(frame: "pd.DataFrame", masks: dict[str, Any]) -> "pd.DataFrame":
    """`frame` with "n/a" in the cells each column's mask (numpy bool, by position) marks; the frame itself is
    not touched. Built in numpy: pandas' mask cost ~0.3 ms a column on the bundled data, more on a million rows."""
    import pandas as pd

    fixed = {}
    for k, m in masks.items():
        if k in frame.columns and m.any():
            cells = frame[k].to_numpy(dtype=object)  # a new array
            cells[m] = schema.NOT_SUPPORTED
            fixed[k] = pd.Series(cells, index=frame.index, dtype=object)
    return frame.assign(**fixed) if fixed else frame
