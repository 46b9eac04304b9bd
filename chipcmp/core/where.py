"""The `--where` filter language: one comparison per expression, parsed by a regular grammar.

    expr   := field op value
    field  := a column or metric name from the registry (see `chipcmp metrics`)
    op     := >= | <= | > | < | == | = | !=
    value  := a decimal number (numeric fields) or plain text (text fields; == and != only)

User text is matched against this grammar and compared with pandas operators; it never reaches `eval`,
`DataFrame.query` or `DataFrame.eval`. Repeat `--where` to combine conditions (they are ANDed). A chip whose
value is unknown never satisfies a comparison, `!=` included.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chipcmp.data import schema
from chipcmp.data.names import suggest
from chipcmp.errors import FilterError
from chipcmp.text import shorten

_EXPR = re.compile(r"^\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>>=|<=|==|!=|=|>|<)\s*(?P<value>.*?)\s*$")


_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


_TEXT = re.compile(r"^[\w .+/()\-]+$")  # letters, digits, space and a few harmless marks; nothing else


OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "=": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: float | str

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value:g}" if isinstance(self.value, float) else \
            f"{self.field}{self.op}{self.value}"


MAX_LENGTH = 300


def parse(text: str) -> Condition:
    """Parse one `--where` expression, or raise FilterError saying what is wrong and how to write it."""
    expr = shorten(text)  # what messages quote: never a 100 KB argument
    if len(text) > MAX_LENGTH:
        raise FilterError(f"--where {expr!r} is {len(text):,} characters; a condition is at most {MAX_LENGTH}")
    m = _EXPR.match(text)
    if not m:
        raise FilterError(f"cannot parse --where {expr!r}; write FIELD OP VALUE, e.g. --where 'memory_gb>=80' "
                          "(OP is one of >= <= > < == !=)")
    name, op, value = m["field"], m["op"], m["value"]
    f = schema.FIELD_BY_NAME.get(name)
    if f is None:
        raise FilterError(f"--where {expr!r}: unknown field {name!r}{suggest(name, list(schema.FIELD_BY_NAME))}"
                          "\n(`chipcmp metrics` lists every field)")
    if value.startswith(("'", '"')) and len(value) >= 2 and value[-1] == value[0]:
        value = value[1:-1]
    if not value:
        raise FilterError(f"--where {expr!r}: nothing to compare with; give a value after {op!r}")
    if f.numeric:
        if not _NUMBER.match(value):
            raise FilterError(f"--where {expr!r}: {value!r} is not a number; {name} is numeric"
                              + (f" ({f.unit})" if f.unit else ""))
        return Condition(name, op, float(value))
    if op not in ("==", "=", "!="):
        raise FilterError(f"--where {expr!r}: {name} is text; only == and != apply to it")
    if not _TEXT.match(value):
        raise FilterError(f"--where {expr!r}: {value!r} has characters a chip field never holds; "
                          "use letters, digits, spaces and . + - / ( )")
    return Condition(name, op, value)
