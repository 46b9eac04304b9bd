"""Shared helpers: run the CLI in-process through typer's CliRunner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chipcmp.cli import app

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _no_user_data(monkeypatch: pytest.MonkeyPatch, _cache_dir: Path) -> None:
    # Tests read the bundled data unless they say otherwise, whatever the developer's shell exports, and keep
    # their load cache apart from the developer's.
    monkeypatch.delenv("CHIPCMP_DATA", raising=False)
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", str(_cache_dir))
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def cli() -> Callable[..., object]:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), input=input, env=env)

    return run
