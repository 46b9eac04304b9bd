"""Shared helpers: run the CLI in-process through typer's CliRunner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chipcmp.cli import app

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_user_data(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests read the bundled data unless they say otherwise, whatever the developer's shell exports.
    monkeypatch.delenv("CHIPCMP_DATA", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def cli() -> Callable[..., object]:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), input=input, env=env)

    return run
