"""Completion through the shell's own protocol: the environment bash's completion function sets, read by the
installed entry point, as a user's <Tab> runs it (not the helper alone: typer filters what the helpers return)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ENTRY = [sys.executable, "-c", "from chipcmp.cli import main; main()"]


def _bash(*words: str) -> list[str]:
    env = {**os.environ, "_CHIPCMP_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
           "COMP_CWORD": str(len(words) - 1)}
    env.pop("CHIPCMP_DATA", None)
    out = subprocess.run([*ENTRY], env=env, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.splitlines()


@pytest.mark.parametrize(("words", "expected"), [
    (("chipcmp", "compare", "h20"), "H20"),  # lower case
    (("chipcmp", "compare", "asc"), "'Ascend 910B'"),  # multi-word, quoted for bash
    (("chipcmp", "compare", "'Ascend 910"), "'Ascend 910C'"),  # inside an opened quote
    (("chipcmp", "compare", "'H100 S"), "'H100 SXM'"),
    (("chipcmp", "serve", "--model", "deep"), "DeepSeek-V3"),  # models
    (("chipcmp", "serve", "--system", "cloudm"), "CloudMatrix384"),  # systems
    (("chipcmp", "rank", "--metric", "BF16_TFLOPS_P"), "bf16_tflops_per_watt"),
])
def test_bash_protocol_completes(words, expected):
    assert expected in _bash(*words)


def test_an_empty_word_offers_families_not_every_name():
    got = _bash("chipcmp", "compare", "")
    assert 0 < len(got) <= 50
    assert "Ascend" in got


def test_zsh_gets_names_unquoted():
    env = {**os.environ, "_CHIPCMP_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "chipcmp compare h20"}
    out = subprocess.run([*ENTRY], env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert '"H20 96GB"' in out and "'H20 96GB'" not in out  # zsh quotes what it inserts itself


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_real_bash_function_fills_compreply(tmp_path):
    """The script `chipcmp --show-completion bash` prints, sourced in bash, run as <Tab> runs it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "chipcmp"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from chipcmp.cli import main; main()' \"$@\"\n")
    exe.chmod(0o755)
    script = ('eval "$(chipcmp --show-completion bash)"; COMP_WORDS=(chipcmp compare "\'Ascend 910"); '
              'COMP_CWORD=2; _chipcmp_completion chipcmp; printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "'Ascend 910B'" in out.stdout.splitlines(), out.stderr
