"""Refresh the example outputs in README.md from the current code.

Each block in README.md preceded by `<!-- output: chipcmp ARGS -->` holds what that command prints to stdout
(plain text, as in a pipe). `python docs/update_readme.py` rewrites the blocks; `--check` exits 1 if any is stale
(tests/test_docs.py runs the same check).
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- output: (?P<cmd>.+?) -->\n```\n)(?P<body>.*?)(```)", re.S)


def run(command: str) -> str:
    from typer.testing import CliRunner

    from chipcmp.cli import app

    args = shlex.split(command)
    assert args[0] == "chipcmp", command
    result = CliRunner().invoke(app, args[1:], env={"CHIPCMP_DATA": "", "COLUMNS": "200"})
    if result.exit_code != 0:
        raise SystemExit(f"{command!r} failed: {result.stderr}")
    return result.stdout


def refreshed(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + run(m.group("cmd")) + m.group(4), text)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    new = refreshed(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    README.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
