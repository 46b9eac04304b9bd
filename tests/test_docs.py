"""The docs match the code: every column is in the data dictionary, every command in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipcmp.cli import app
from chipcmp.data import schema

ROOT = Path(__file__).resolve().parent.parent


def test_data_dictionary_documents_every_column():
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    missing = [c.name for c in schema.COLUMNS if f"`{c.name}`" not in text]
    assert not missing


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_readme_documents_every_command(command):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"chipcmp {command}" in readme


def test_readme_setup_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:20]
    assert 'pip install . && chipcmp compare "Ascend 910B" H100 H20' in "\n".join(lines)
    assert 'pip install ".[test]" && pytest' in "\n".join(lines)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q . && chipcmp compare "Ascend 910B" H100 H20' in ci
    assert 'pip install -q ".[test]" && pytest' in ci


def test_readme_outputs_are_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "docs" / "update_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.BLOCK.search(text), "README has no output blocks"
    assert module.refreshed(text) == text, "README outputs are stale: run python docs/update_readme.py"


def test_readme_counts_match_the_data():
    import re

    from chipcmp.data.dataset import load_dataset

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"(\d+) accelerators from (\d+) vendors", text)
    assert m, "README states how many chips and vendors the data has"
    df = load_dataset().frame
    assert (int(m[1]), int(m[2])) == (len(df), df["vendor"].nunique())
