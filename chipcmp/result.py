"""What a command returns: one frame plus how to show it. Every renderer reads this one object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chipcmp import schema

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Col:
    """One output column: its key in the frame, header, and whether it holds numbers."""

    key: str
    header: str
    numeric: bool = False
    bar: bool = False  # draw a small inline bar next to the value in terminal tables
    kind: str = "float"  # "int": no decimals; "ratio": 0.32×; "row": the kind in Result.row_kinds

    @classmethod
    def of(cls, name: str, *, bar: bool = False) -> Col:
        """A column described by the registry."""
        f = schema.FIELD_BY_NAME[name]
        return cls(name, schema.field_header(f), f.numeric, bar, f.kind)


@dataclass
class Result:
    frame: pd.DataFrame
    columns: list[Col]
    title: str = ""
    notes: list[str] = field(default_factory=list)  # messages for stderr, never mixed with data
    footer: list[str] = field(default_factory=list)  # part of the output: caption, markdown footnote, JSON meta
    meta: dict[str, Any] = field(default_factory=dict)  # machine-readable context (JSON "meta")
    row_kinds: Sequence[str] | None = None  # per-row value kind, for tables whose rows are fields (compare)
    marks: set[tuple[int, str]] = field(default_factory=set)  # (row position, column key) shown with a '*'
