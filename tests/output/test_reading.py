"""What a person reads at an 80- or 120-column terminal, through the command and a console forced into terminal
mode: the columns the options asked for are there, rows stay short, a four-chip compare is one part."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from rich.console import Console

from chipcmp.commands import context as pipeline

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen(cli, width: int, *args: str) -> tuple[str, str]:
    buf = io.StringIO()
    pipeline.CONSOLE = Console(file=buf, width=width, force_terminal=True, color_system=None, markup=False)
    try:
        r = cli(*args)
    finally:
        pipeline.CONSOLE = None
    assert r.exit_code == 0, r.stderr
    return ANSI.sub("", buf.getvalue()), r.stderr


ASKED = [
    (("controls", "--rule", "2023-10"), ["vs TPP ≥ 4,800", "vs TPP ≥ 2,400", "vs PD ≥ 5.92"]),
    (("controls", "--near", "10%"), ["Nearest"]),
    (("match", "H20", "--to", "H100", "-n", "1000", "--model", "Llama 3.1 70B", "--tokens", "15T"),
     ["H20 days", "H100 days"]),
    (("train", "H100", "H20", "--params", "70B", "--tokens", "2T", "--days", "30", "--kwh-price", "0.1",
      "--rent", "2"), ["Rental", "Hardware", "Electricity"]),
    (("list",), ["BF16", "FP8", "INT8", "Price"]),
    (("rank", "--metric", "bf16_tflops_per_kusd", "-c", "bf16_tflops,price_usd,price_kind"), ["Price kind"]),
    (("rank", "--metric", "bf16_tflops_per_kusd", "-c", "bf16_tflops,bf16_tflops,price_kind"), ["Price kind"]),
    (("serve", "H100", "H20", "Ascend 910C", "--model", "DeepSeek-V3"), ["Out tok/s", "range", "$/M tok"]),
]


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize(("args", "headers"), ASKED, ids=[" ".join(a[0][:2]) for a in ASKED])
def test_the_columns_asked_for_are_shown(cli, width, args, headers):
    text, err = screen(cli, width, *args)
    hidden = re.search(r"hid \d+ columns? \((.*)\) to fit", err)
    words = set(text.split())  # a header may wrap between its words
    for h in headers:
        assert not (hidden and h in hidden.group(1).split(", ")), f"{h!r} hidden at {width} columns by {' '.join(args)}"
        assert set(h.split()) <= words, f"{h!r} not shown at {width} columns by {' '.join(args)}"


@pytest.mark.parametrize("width", [80, 120])
def test_serve_rows_stay_short_with_footnotes(cli, width):
    text, _ = screen(cli, width, "serve", "Ascend 910B", "Ascend 910C", "H20", "H100", "WSE-3",
                     "--model", "DeepSeek-V3")
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if re.match(r"^(Ascend|H20|H100|WSE|[¹²³⁴⁵⁶⁷⁸⁹] )", ln)]
    assert len(starts) > 5
    for a, b in itertools.pairwise(starts):
        assert b - a <= 3, lines[a:b]  # no row taller than three lines: notes are footnotes below the table
    assert any(ln.startswith("¹ ") for ln in lines)


def test_four_chip_compare_is_one_part_at_80(cli):
    text, err = screen(cli, 80, "compare", "Ascend 910B", "H100", "H20", "A100")
    assert "split into" not in err
    assert all(len(ln) <= 80 for ln in text.splitlines() if "://" not in ln)
