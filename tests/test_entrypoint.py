"""The installed entry point and the import budget, in real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from chipcmp.cli import app

COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


def _imports(args: list[str]) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "chipcmp", *args], check=False, capture_output=True,
                       text=True, timeout=60, env={**os.environ, "COLUMNS": "120"})
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in COMMANDS]])
def test_help_does_not_import_pandas(args):
    code, out, err = _imports(args)
    assert code == 0, err
    assert "Usage" in out
    imported = [line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")]
    assert "pandas" not in imported
    assert "numpy" not in imported


def test_installed_entry_point_runs_from_elsewhere(tmp_path):
    exe = shutil.which("chipcmp")
    if exe is None:
        pytest.skip("chipcmp is not installed on PATH (pip install . first)")
    p = subprocess.run([exe, "rank", "--metric", "bf16_tflops_per_watt", "--top", "3"], check=False,
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Chips by bf16_tflops_per_watt" in p.stdout


def test_python_dash_m(tmp_path):
    p = subprocess.run([sys.executable, "-m", "chipcmp", "compare", "910B", "H20", "--metrics", "bf16_tflops"],
                       check=False, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Ascend 910B" in p.stdout


def test_broken_pipe_is_quiet():
    p = subprocess.run(["bash", "-c", f"'{sys.executable}' -m chipcmp export --format csv | head -c 10; "
                        "echo \" rc=${PIPESTATUS[0]}\""], check=False, capture_output=True, text=True, timeout=60)
    assert p.stdout == "name,vendo rc=141\n"  # ten bytes, then the writer's documented exit code
    assert p.stderr == ""


def test_python_api():
    import chipcmp

    df = chipcmp.load()
    assert {"name", "bf16_tflops", "bf16_tflops_per_watt", "tpp"} <= set(df.columns)
    h100 = df.set_index("name").loc["H100 SXM"]
    assert h100["bf16_tflops_per_watt"] == pytest.approx(989.5 / 700)


def test_record_types_generate_no_code_at_import():
    # Every command starts by importing ~35 of the package's modules, and each record type is built then. A
    # dataclass generates and compiles its methods (~1 ms each on the benchmark machine, 7.8 ms on serve's
    # path); a NamedTuple under `from __future__ import annotations` compiles each field's annotation string
    # (~0.3 ms a type). So records are NamedTuples or plain classes, declared with evaluated annotations.
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "chipcmp"
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if any(d.split("(")[0].endswith("dataclass") for d in decorators):
                found.append(f"{path.name}: {node.name} is a dataclass")
            if future and any(ast.unparse(b) in ("NamedTuple", "typing.NamedTuple") for b in node.bases):
                found.append(f"{path.name}: {node.name} is a NamedTuple under postponed annotations")
    assert found == []


@pytest.mark.parametrize(("args", "code"), [(["list", "--format", "csv"], 0), (["rank", "--metric", "nope"], 2)])
def test_the_entry_point_freezes_the_collector_once_its_answer_is_written(args, code):
    # The interpreter's last collection at exit scanned the ~60,000 objects pandas' import leaves (~0.2 s on the
    # benchmark machine, a third of a command's time); main() freezes them once the output is written, on every
    # way out. An atexit hook runs after main() returns and before that collection.
    hook = ("import atexit, gc, os\n"
            "atexit.register(lambda: os.write(2, f'frozen={gc.get_freeze_count()}'.encode()))\n"
            "import sys\nfrom chipcmp.cli import main\nsys.argv = ['chipcmp', *sys.argv[1:]]\nmain()\n")
    p = subprocess.run([sys.executable, "-c", hook, *args], check=False, capture_output=True, text=True, timeout=60)
    assert p.returncode == code, p.stderr
    frozen = int(p.stderr.rsplit("frozen=", 1)[1])
    assert frozen > 10_000
    if code == 0:
        lines = p.stdout.splitlines()
        assert lines[0].startswith("name,") and len(lines) == 1 + int(json.loads(subprocess.run(
            [sys.executable, "-m", "chipcmp", "list", "--format", "json"], check=True, capture_output=True,
            text=True, timeout=60).stdout)["data"]["files"][0]["rows"])
