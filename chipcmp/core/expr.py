"""The one expression language of `rank --metric` and `--where`: arithmetic over fields, with units, parsed by our
own grammar (never `eval`, `DataFrame.query` or `DataFrame.eval`).

    condition := sum OP (sum | TEXT)         -- --where; TEXT only after a text field, with == or !=
    sum       := term (('+' | '-') term)*    -- --metric
    term      := factor (('*' | '/') factor)*
    factor    := NUMBER | FIELD | '(' sum ')' | '-' factor
    OP        := >= | <= | > | < | == | = | !=
    FIELD     := a column or metric name from the registry (`chipcmp metrics`)

Units follow the arithmetic: adding, subtracting or comparing unlike units is an error that names both (a bare
number takes the unit of what it meets), products and quotients combine them (`bf16_tflops / (price_usd / 1000)`
is TFLOPS/k$), and a result too large for a float is an error, never "unknown". A division by zero or an unknown
input gives an unknown value, and an unknown value never satisfies a condition, `!=` included. An expression is
at most 300 characters and 8 levels of parentheses deep, so parsing is linear and bounded.
"""

import math
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from chipcmp.data import schema
from chipcmp.data.names import fold, fold_series, suggest
from chipcmp.errors import FilterError, UnknownMetric, UsageError
from chipcmp.text import shorten

if TYPE_CHECKING:
    import pandas as pd

MAX_LENGTH = 300
MAX_DEPTH = 8

_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<cmp>>=|<=|==|!=|=|>|<)|(?P<op>[-+*/()]))", re.ASCII)
_CONDITION = re.compile(r"^(?P<left>.*?)(?P<op>>=|<=|==|!=|=|>|<)(?P<right>.*)$", re.S)
_TEXT = re.compile(r"^[\w .+/()\-]+$")  # letters, digits, space and a few harmless marks; nothing else

OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "=": operator.eq, "!=": operator.ne,
}


# --- units ----------------------------------------------------------------------------------------------------

class Unit(NamedTuple):
    """A unit as symbols with exponents and a scale: how many of the base units one unit of the value holds
    (price_usd / 1000 counts thousands of USD: USD with scale 1000, shown k$). `const`: a bare number, which takes
    the unit of what it is added to or compared with."""

    dims: tuple[tuple[str, int], ...] = ()
    scale: float = 1.0
    const: bool = False

    @classmethod
    def of(cls, text: str) -> "Unit":
        """'TFLOPS/W' -> TFLOPS¹ W⁻¹; 'GB/s/k$' -> GB¹ s⁻¹ USD⁻¹ × 1e-3; '' -> dimensionless."""
        dims: dict[str, int] = {}
        scale = 1.0
        for i, word in enumerate(p for p in text.split("/") if p):
            sign = 1 if i == 0 else -1
            symbol = "USD" if word in ("k$", "M$") else word
            if word in ("k$", "M$"):
                scale *= (1e3 if word == "k$" else 1e6) ** sign
            dims[symbol] = dims.get(symbol, 0) + sign
        return cls(_norm(dims), scale)

    def times(self, other: "Unit", sign: int = 1) -> "Unit":
        dims = dict(self.dims)
        for k, e in other.dims:
            dims[k] = dims.get(k, 0) + sign * e
        return Unit(_norm(dims), self.scale * other.scale ** sign, self.const and other.const)

    def same(self, other: "Unit") -> bool:
        return self.const or other.const or self.dims == other.dims

    def __str__(self) -> str:
        dims, scale = dict(self.dims), self.scale
        usd = dims.get("USD", 0)
        for prefix, factor in (("k$", 1e3), ("M$", 1e6)):  # USD per 1000 reads as per k$
            if usd and math.isclose(scale, factor ** usd, rel_tol=1e-9):
                dims[prefix] = dims.pop("USD")
                scale = 1.0
                break
        top = "·".join(k if e == 1 else f"{k}^{e}" for k, e in dims.items() if e > 0) or ("1" if dims else "")
        bottom = "/".join(k if e == -1 else f"{k}^{-e}" for k, e in dims.items() if e < 0)
        text = f"{top}/{bottom}" if bottom else top
        if not math.isclose(scale, 1.0, rel_tol=1e-12):
            text = f"{text} × {1 / scale:g}" if scale < 1 else f"{text} ÷ {scale:g}"
        return text


def _norm(dims: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple((k, e) for k, e in dims.items() if e)


def _unit_words(u: Unit) -> str:
    return str(u) or "a plain number"


# --- parsed forms -----------------------------------------------------------------------------------------------

Compute = Callable[["pd.DataFrame | None"], "pd.Series | float"]


class Expression(NamedTuple):
    """A parsed expression: its text, the fields it reads, its unit in words, and how to compute it."""

    text: str
    fields: tuple[str, ...]
    unit: str
    compute: "Callable[[pd.DataFrame], pd.Series]"


class Condition(NamedTuple):
    """A parsed --where condition: which rows satisfy it (unknown values never do)."""

    text: str
    fields: tuple[str, ...]
    mask: "Callable[[pd.DataFrame], pd.Series]"

    def __str__(self) -> str:
        return self.text


def is_expression(text: str) -> bool:
    """True when `text` is more than a single field name."""
    return bool(re.search(r"[-+*/() ]", text.strip()))


def parse(text: str, option: str = "--metric") -> Expression:
    """Parse an arithmetic expression, or raise UnknownMetric saying what is wrong and how to write it."""
    tokens = _tokens(text, option, UnknownMetric)
    parser = _Parser(tokens, text, option, UnknownMetric)
    compute, unit = parser.sum(0)
    if parser.i != len(tokens):
        raise UnknownMetric(f"{option} {shorten(text)!r}: unexpected {tokens[parser.i][1]!r}")
    fields = tuple(dict.fromkeys(parser.fields))
    return Expression(text.strip(), fields, "" if unit.const else str(unit), _checked(compute, text, option))


def parse_condition(text: str) -> Condition:
    """Parse one --where condition, or raise FilterError saying what is wrong and how to write it."""
    shown = shorten(text)  # what messages quote: never a 100 KB argument
    if len(text) > MAX_LENGTH:
        raise FilterError(f"--where {shown!r} is {len(text):,} characters; a condition is at most {MAX_LENGTH}")
    m = _CONDITION.match(text)
    if not m or not m["left"].strip():
        raise FilterError(f"cannot parse --where {shown!r}; write FIELD OP VALUE, e.g. --where 'memory_gb>=80' "
                          "(OP is one of >= <= > < == !=; FIELD may be an expression such as bf16_tflops/tdp_w)")
    left, op, right = m["left"].strip(), m["op"], m["right"].strip()
    if right.startswith(("'", '"')) and len(right) >= 2 and right[-1] == right[0]:
        right = right[1:-1].strip()
    if not right:
        raise FilterError(f"--where {shown!r}: nothing to compare with; give a value after {op!r}")
    f = schema.FIELD_BY_NAME.get(left)
    if f is not None and not f.numeric:
        return _text_condition(text, left, op, right)
    lhs, lu, lf = _side(left, text)
    rhs, ru, rf = _side(right, text)
    if not lu.same(ru):
        raise FilterError(f"--where {shown!r} compares {_unit_words(lu)} with {_unit_words(ru)}; compare like "
                          "with like")
    compare = OPS[op]

    def mask(df: "pd.DataFrame") -> "pd.Series":
        a, b = lhs(df), rhs(df)
        hit = compare(a, b)
        known = _known(a) & _known(b)
        return hit & known if hasattr(hit, "index") else hit and known

    return Condition(text.strip(), tuple(dict.fromkeys((*lf, *rf))), mask)


def _side(text: str, whole: str) -> tuple[Compute, Unit, list[str]]:
    tokens = _tokens(text, "--where", FilterError, whole)
    parser = _Parser(tokens, whole, "--where", FilterError)
    compute, unit = parser.sum(0)
    if parser.i != len(tokens):
        raise FilterError(f"--where {shorten(whole)!r}: unexpected {tokens[parser.i][1]!r}")
    return _checked(compute, whole, "--where"), unit, parser.fields


def _text_condition(text: str, name: str, op: str, value: str) -> Condition:
    shown = shorten(text)
    if op not in ("==", "=", "!="):
        raise FilterError(f"--where {shown!r}: {name} is text; only == and != apply to it")
    if not _TEXT.match(value):
        raise FilterError(f"--where {shown!r}: {shorten(value)!r} has characters a chip field never holds; use "
                          "letters, digits, spaces and . + - / ( )")
    key, compare = fold(value), OPS[op]

    def mask(df: "pd.DataFrame") -> "pd.Series":
        s = df[name]
        return compare(fold_series(s), key) & s.notna()

    return Condition(text.strip(), (name,), mask)


def _known(v: Any) -> Any:
    return v.notna() if hasattr(v, "notna") else not (isinstance(v, float) and math.isnan(v))


def _checked(compute: Compute, text: str, option: str) -> "Callable[[pd.DataFrame], Any]":
    """The computation, with an overflow (a finite input giving an infinite result) as an error."""

    def run(df: "pd.DataFrame") -> Any:
        import numpy as np

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            v = compute(df)
        if hasattr(v, "to_numpy") and np.isinf(v.to_numpy(dtype="float64", na_value=np.nan)).any():
            raise UsageError(f"{option} {shorten(text)!r} overflows (a value beyond 1.8e308); scale it down")
        if isinstance(v, float) and math.isinf(v):
            raise UsageError(f"{option} {shorten(text)!r} overflows (a value beyond 1.8e308); scale it down")
        return v

    return run


def _tokens(text: str, option: str, error: type[UsageError], whole: str | None = None) -> list[tuple[str, str]]:
    if len(text) > MAX_LENGTH:
        raise error(f"{option} expression is {len(text):,} characters; at most {MAX_LENGTH}")
    tokens: list[tuple[str, str]] = []
    pos, stripped = 0, text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m or m.end() == pos or m.lastgroup == "cmp":
            raise error(f"cannot read {option} {shorten(whole or text)!r} at {shorten(stripped[pos:], 12)!r}; use "
                        "field names, numbers, + - * / and parentheses")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


Node = tuple[Compute, Unit]


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str, option: str, error: type[UsageError]) -> None:
        self.tokens, self.text, self.option, self.error = tokens, text, option, error
        self.i = 0
        self.fields: list[str] = []

    def fail(self, what: str) -> UsageError:
        return self.error(f"{self.option} {shorten(self.text)!r}: {what}")

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def sum(self, depth: int) -> Node:
        return self._chain(self.term, ("+", "-"), depth)

    def term(self, depth: int) -> Node:
        return self._chain(self.factor, ("*", "/"), depth)

    def _chain(self, operand: Callable[[int], Node], ops: tuple[str, str], depth: int) -> Node:
        """operand (op operand)*, left-associative: one precedence level of the grammar."""
        left = operand(depth)
        while self.peek() in ops:
            op = self.tokens[self.i][1]
            self.i += 1
            left = self._combine(left, operand(depth), op)
        return left

    def factor(self, depth: int) -> Node:
        if self.i >= len(self.tokens):
            raise self.fail("ends too soon")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            number = float(value)
            if math.isinf(number):
                raise self.fail(f"{shorten(value, 20)} is too large a number")
            return (lambda df, n=number: n), Unit(const=True)
        if kind == "name":
            return self._field(value)
        if value == "-":
            inner, unit = self.factor(depth)
            return (lambda df: -inner(df)), unit
        if value == "(":
            if depth >= MAX_DEPTH:
                raise self.error(f"{self.option}: more than {MAX_DEPTH} levels of parentheses")
            node = self.sum(depth + 1)
            if self.peek() != ")":
                raise self.fail("a '(' is never closed")
            self.i += 1
            return node
        raise self.fail(f"unexpected {value!r}")

    def _field(self, name: str) -> Node:
        f = schema.FIELD_BY_NAME.get(name)
        if f is None or not f.numeric:
            raise self.error(f"{self.option}: unknown field {name!r}{suggest(name, list(schema.NUMERIC_FIELDS))}"
                             "\n(`chipcmp metrics` lists every field)")
        self.fields.append(name)

        def get(df: "pd.DataFrame") -> "pd.Series":
            if name in df.columns:
                return df[name]
            return schema.METRIC_BY_NAME[name].compute(df)

        return get, Unit.of(f.unit)

    def _combine(self, left: Node, right: Node, op: str) -> Node:
        (lf, lu), (rf, ru) = left, right
        if op in "+-" and not lu.same(ru):
            word = "add" if op == "+" else "subtract"
            raise self.fail(f"cannot {word} {_unit_words(lu)} and {_unit_words(ru)}; combine like units")

        def compute(df: "pd.DataFrame") -> "pd.Series | float":
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

        if op in "+-":
            unit = ru if lu.const else lu
        elif lu.const and ru.const:
            unit = lu
        elif ru.const:  # x * k, x / k: the value's unit shrinks or grows by k
            k = float(rf(None)) or 1.0  # a constant ignores the frame
            unit = Unit(lu.dims, lu.scale / k if op == "*" else lu.scale * k)
        elif lu.const:  # k * y, k / y
            k = float(lf(None)) or 1.0
            unit = (Unit(ru.dims, ru.scale / k) if op == "*"
                    else Unit(tuple((d, -e) for d, e in ru.dims), 1 / (k * ru.scale)))
        else:
            unit = lu.times(ru, 1 if op == "*" else -1)
        return compute, unit
