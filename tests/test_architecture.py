"""The package's shape, checked: rooms of bounded size, imports that only run down the layers, no cycle, one
reader for the data files, and each shared formula written once. Run `pytest tests/test_architecture.py` after a
change that moves code; a failure names the file and the rule.

Layers, bottom up (a module may import its own layer and the ones below, never above):

    chipcmp/errors.py, text.py, version.py  -- words shared by everyone
    chipcmp/data/                        -- files, schema, reading, provenance, prices, models, systems
    chipcmp/core/                        -- filters, fields, list/show/compare/rank/export, systems, audit
    chipcmp/estimate/                    -- rules, controls, training, serving, match, calibration
    chipcmp/output/                      -- tables, CSV/JSON/Markdown writers, charts
    chipcmp/commands/                    -- one module per command, the shared options and context
    chipcmp/cli.py, build.py             -- assembles the app; builds the release bundle
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "chipcmp"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "bundled" not in p.parts)

MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 70
MAX_FUNCTION_BRANCHES = 25

LAYERS = {"errors": 0, "text": 0, "version": 0, "ranges": 0, "data": 1, "core": 2, "estimate": 3, "output": 4,
          "commands": 5, "cli": 6, "build": 6,
          "__init__": 6, "__main__": 7}


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__"] if len(parts) == 1 else LAYERS[parts[1]]


def _imports(path: Path) -> set[str]:
    """Every chipcmp module `path` imports, at module level or inside a function, TYPE_CHECKING included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chipcmp"):
            for a in node.names:  # `from chipcmp.data import schema` imports the module chipcmp.data.schema
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in NAMES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chipcmp")}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found |= {f"chipcmp.commands.{c}" for c in _commands()}  # cli.py registers the commands so
    return found


def _commands() -> list[str]:
    return [p.stem for p in (PACKAGE / "commands").glob("*.py") if p.stem not in ("__init__", "base", "context",
                                                                                   "complete")]


NAMES = {_name(p) for p in MODULES}
GRAPH = {_name(p): _imports(p) - {_name(p)} for p in MODULES}


def _branches(fn: ast.AST) -> int:
    """Decision points, as McCabe counts them: if/elif, loops, except, conditional expressions, comprehension
    filters and each extra operand of `and`/`or`."""
    n = 0
    for x in ast.walk(fn):
        if isinstance(x, (ast.If, ast.For, ast.While, ast.ExceptHandler, ast.IfExp)):
            n += 1
        elif isinstance(x, ast.comprehension):
            n += 1 + len(x.ifs)
        elif isinstance(x, ast.BoolOp):
            n += len(x.values) - 1
    return n


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_a_room_of_bounded_size(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines (at most {MAX_MODULE_LINES}): split it"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short_and_flat(path):
    too_big = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            branches = _branches(node)
            if lines > MAX_FUNCTION_LINES or branches > MAX_FUNCTION_BRANCHES:
                too_big.append(f"{node.name} (line {node.lineno}): {lines} lines, {branches} branches")
    assert not too_big, (f"{_name(path)}: at most {MAX_FUNCTION_LINES} lines and {MAX_FUNCTION_BRANCHES} "
                         f"branches per function: {too_big}")


def test_the_branch_counter_counts():
    fn = ast.parse("def f(x):\n    if x and x > 1 or x < -1:\n        return [y for y in x if y]\n"
                   "    return 1 if x else 2\n")
    assert _branches(fn) == 1 + 2 + 2 + 1  # if, two boolean operands, comprehension with a filter, IfExp


def test_imports_only_run_down_the_layers():
    upward = [f"{m} -> {d}" for m, deps in GRAPH.items() for d in deps
              if d in NAMES and _layer(d) > _layer(m) and not m.endswith("__main__")]
    assert not upward, f"imports that run up the layers: {upward}"


def test_every_module_is_in_a_layer():
    assert {m.split(".")[1] for m in NAMES if "." in m} <= set(LAYERS)


def test_no_import_cycle_in_the_package():
    graph = {k: {d for d in v if d in GRAPH and d != "chipcmp"} for k, v in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep):], dep] if dep in path else [node, dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])


def test_the_layer_rule_catches_an_upward_import(tmp_path):
    # The rule above is only worth something if it sees an import from a lower layer to a higher one.
    assert _layer("chipcmp.data.schema") < _layer("chipcmp.output.table")
    assert "chipcmp.output.table" in _imports(PACKAGE / "output" / "writers.py")


def test_names_is_at_the_bottom_of_the_data_layer():
    assert GRAPH["chipcmp.data.names"] <= {"chipcmp.errors"}


READERS = {"chipcmp.data.reader": "every small data file (sources, prices, fx, models, systems, calibration)",
           "chipcmp.data.table": "chips files (bundled, --data, --add), vectorised",
           "chipcmp.commands.complete": "names for shell completion, stdlib only (no pandas on <TAB>)"}


def test_one_reader_for_the_data_files():
    """csv parsing lives in the readers alone; everything else asks them."""
    offenders = []
    for p in MODULES:
        text = p.read_text(encoding="utf-8")
        if _name(p) in READERS:
            continue
        if re.search(r"^\s*import csv\b|read_csv\(|csv\.(DictReader|reader)\(", text, re.M):
            offenders.append(_name(p))
    assert not offenders, f"read CSV themselves instead of through {sorted(READERS)}: {offenders}"


FORMULAS = {
    r"\b6(\.0)? \* [a-z_(]": "6·N·D: estimate.formulas.training_flops",
    r"\.bits / 8\b": "bytes per element: estimate.formulas.bytes_per",
    r"=\s*0\.4\b": "the default MFU: estimate.formulas.DEFAULT_MFU",
}


def _code(path: Path) -> str:
    """The module's code without its strings and comments (a docstring may name a formula)."""
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in tokens if t.type not in (tokenize.STRING, tokenize.COMMENT))


def test_the_formula_check_sees_a_copy():
    assert re.search(next(iter(FORMULAS)), "flops = 6 * n * d")


def test_each_formula_is_written_once():
    copies = []
    for p in MODULES:
        if _name(p) == "chipcmp.estimate.formulas":
            continue
        text = _code(p)
        copies += [f"{_name(p)}: {what}" for pattern, what in FORMULAS.items() if re.search(pattern, text)]
    assert not copies, f"copies of a shared formula: {copies}"


def test_tests_are_laid_out_as_the_package():
    """Each test folder names a subpackage of chipcmp, and each subpackage with logic has its tests' folder."""
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == packages, (sorted(folders), sorted(packages))
    assert not [p.name for p in tests.glob("test_*.py") if p.name not in ("test_architecture.py", "test_docs.py",
                                                                          "test_entrypoint.py")]


def test_a_command_cannot_write_into_its_context():
    # The context is resolved once from the shared options; a command reads it and returns a Result.
    from chipcmp.commands.context import Context, Traits

    ctx = Context(Traits("list"), price_kind="street")
    with pytest.raises(AttributeError, match="read-only"):
        ctx.price_kind = "any"
    with pytest.raises(AttributeError, match="read-only"):
        del ctx.filters
    assert ctx.price_kind == "street" and ctx.filters.describe() is not None
