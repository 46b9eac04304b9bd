"""Ranking expressions: arithmetic over columns and metrics, parsed by our own grammar (never `eval`).

    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/') factor)*
    factor := NUMBER | FIELD | '(' expr ')' | '-' factor
    FIELD  := a numeric column or metric name from the registry

An expression is at most 200 characters and 8 levels of parentheses deep, so parsing is linear and bounded. It is
evaluated with pandas operators over the frame; a division by zero or an unknown input gives an unknown value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcmp.data import schema
from chipcmp.data.names import suggest
from chipcmp.errors import UnknownMetric
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd


MAX_LENGTH = 200


MAX_DEPTH = 8


_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>[-+*/()]))", re.ASCII)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the fields it reads, its unit in words, and how to compute it."""

    text: str
    fields: tuple[str, ...]
    unit: str
    compute: Callable[[pd.DataFrame], pd.Series]


def is_expression(text: str) -> bool:
    """True when `text` is more than a single field name."""
    return bool(re.search(r"[-+*/() ]", text.strip()))


def parse(text: str) -> Expression:
    """Parse `text`, or raise UnknownMetric saying what is wrong and how to write it."""
    if len(text) > MAX_LENGTH:
        raise UnknownMetric(f"--metric expression is {len(text):,} characters; at most {MAX_LENGTH}")
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m or m.end() == pos:
            raise UnknownMetric(f"cannot read --metric {shorten(text)!r} at {shorten(stripped[pos:], 12)!r}; use "
                                "field names, numbers, + - * / and parentheses")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    parser = _Parser(tokens, text)
    node = parser.expr(0)
    if parser.i != len(tokens):
        raise UnknownMetric(f"--metric {shorten(text)!r}: unexpected {tokens[parser.i][1]!r}")
    compute, unit = node
    return Expression(text.strip(), tuple(dict.fromkeys(parser.fields)), "" if unit.startswith("=") else unit,
                      compute)


Node = tuple[Callable[["pd.DataFrame"], "pd.Series | float"], str]


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.i = 0
        self.fields: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def expr(self, depth: int) -> Node:
        return self._chain(self.term, ("+", "-"), depth)

    def term(self, depth: int) -> Node:
        return self._chain(self.factor, ("*", "/"), depth)

    def _chain(self, operand: Callable[[int], Node], ops: tuple[str, str], depth: int) -> Node:
        """operand (op operand)*, left-associative: one precedence level of the grammar."""
        left = operand(depth)
        while self.peek() in ops:
            op = self.tokens[self.i][1]
            self.i += 1
            left = _combine(left, operand(depth), op)
        return left

    def factor(self, depth: int) -> Node:
        if self.i >= len(self.tokens):
            raise UnknownMetric(f"--metric {shorten(self.text)!r} ends too soon")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            number = float(value)
            return (lambda df, n=number: n), f"={number:g}"
        if kind == "name":
            f = schema.FIELD_BY_NAME.get(value)
            if f is None or not f.numeric:
                raise UnknownMetric(f"--metric: unknown field {value!r}{suggest(value, list(schema.NUMERIC_FIELDS))}"
                                    "\n(`chipcmp metrics` lists every field)")
            self.fields.append(value)
            return _field(value), f.unit or "1"
        if value == "-":
            inner, unit = self.factor(depth)
            return (lambda df: -inner(df)), unit
        if value == "(":
            if depth >= MAX_DEPTH:
                raise UnknownMetric(f"--metric: more than {MAX_DEPTH} levels of parentheses")
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise UnknownMetric(f"--metric {shorten(self.text)!r}: a '(' is never closed")
            self.i += 1
            return node
        raise UnknownMetric(f"--metric {shorten(self.text)!r}: unexpected {value!r}")


def _field(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def get(df: pd.DataFrame) -> pd.Series:
        if name in df.columns:
            return df[name]
        return schema.METRIC_BY_NAME[name].compute(df)

    return get


def _combine(left: Node, right: Node, op: str) -> Node:
    (lf, lu), (rf, ru) = left, right

    def compute(df: pd.DataFrame) -> pd.Series | float:
        a, b = lf(df), rf(df)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if hasattr(b, "where"):
            b = b.where(b != 0)
        elif b == 0:
            b = float("nan")
        return a / b

    const_l, const_r = lu.startswith("="), ru.startswith("=")
    if op in "+-":
        unit = ru if const_l else lu
    elif const_l and const_r:
        unit = f"={lu[1:]}{op}{ru[1:]}"
    elif const_r:
        unit = f"{lu} {'×' if op == '*' else '÷'} {ru[1:]}"
    elif const_l:
        unit = f"{lu[1:]} × {ru}" if op == "*" else f"{lu[1:]}/{ru}"
    elif op == "*":
        unit = f"{lu}·{ru}"
    else:
        unit = f"{lu}/{ru}"
    return compute, unit
