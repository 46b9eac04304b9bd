"""The bundled data built once per release (data/bundle.json): it is what a fresh build from the CSV files gives,
a fresh load equals it, and a bundle that does not match its files (edited, damaged, stale) is never used. No
cache: nothing outside the package is read or written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chipcmp import build
from chipcmp.data import bundle
from chipcmp.data.dataset import load_dataset, load_fresh
from chipcmp.data.files import bundled_dir


def test_bundle_is_current():
    """Like the README's outputs: a change to data/ must be followed by `python -m chipcmp.build`."""
    assert build.main(["--check"]) == 0, "data/bundle.json is stale: run python -m chipcmp.build"


def test_bundle_equals_a_fresh_load():
    raw = bundle.read()
    assert raw is not None  # the shipped bundle matches the shipped files
    chips = bundled_dir() / "chips.csv"
    fresh, _, _, unsupported = load_fresh(chips, "bundled", chips.stat().st_size)
    pd.testing.assert_frame_equal(bundle.frame(raw), fresh)
    assert {tuple(x) for x in raw["chips_meta"]["unsupported"]} == {(label, c) for c, labels in unsupported.items()
                                                                    for label in labels}
    assert load_dataset().frame.equals(fresh)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(bundled_dir(), folder)
    return folder


@pytest.mark.parametrize("damage", [
    "",  # empty
    "{not json",
    "[]",
    '{"format": 999}',
])
def test_a_damaged_bundle_is_not_used(tmp_path, damage):
    folder = _copy(tmp_path)
    (folder / bundle.NAME).write_text(damage, encoding="utf-8")
    assert bundle._read(folder) is None


def test_a_bundle_of_other_files_is_not_used(tmp_path):
    """An edit of any input (a figure of chips.csv, one price) makes the bundle stale: it is ignored."""
    folder = _copy(tmp_path)
    assert bundle._read(folder) is not None
    prices = folder / "prices.csv"
    prices.write_text(prices.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    bundle._read.cache_clear()
    assert bundle._read(folder) is None


def test_an_edited_bundle_with_its_hashes_kept_changes_nothing_it_is_checked_against(tmp_path):
    """The bundle is part of the install (like the CSV files), so an edit there is an edit of the install; what
    protects answers is that the input hashes are those of the files shipped beside it, checked at every run."""
    folder = _copy(tmp_path)
    raw = json.loads((folder / bundle.NAME).read_text(encoding="utf-8"))
    raw["inputs"]["chips.csv"] = "0" * 64
    (folder / bundle.NAME).write_text(json.dumps(raw), encoding="utf-8")
    bundle._read.cache_clear()
    assert bundle._read(folder) is None


def test_no_cache_folder_is_read_or_written(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    from typer.testing import CliRunner

    from chipcmp.cli import app

    assert CliRunner().invoke(app, ["compare", "H100", "H20"]).exit_code == 0
    assert list(home.rglob("*")) == []


def test_one_chips_source_rows_are_read_from_where_the_bundle_says() -> None:
    """`show` reads one chip's rows of sources.csv from the spans the bundle keeps: for every chip, system and
    model, the same rows in the same order as parsing the whole file."""
    from chipcmp.data import provenance

    every = provenance.sources()
    keys = {(r["table"], r["name"]) for r in every}
    assert len(keys) > 100
    for table, name in keys:
        assert provenance.figure_rows(name, table) == [r for r in every if r["table"] == table and r["name"] == name]
    assert provenance.figure_rows("No such chip") == []


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_spans_of_a_file_with_a_bom_quoted_line_breaks_and_other_scripts(tmp_path, eol: str) -> None:
    from chipcmp.data.reader import rows, rows_at, spans

    path = tmp_path / "s.csv"
    lines = ["table,name,note", "chips,A,one", 'chips,B,"two', 'lines, and a comma"', "chips,A,昇腾 again",
             "", "models,A,last"]
    path.write_bytes(b"\xef\xbb\xbf" + eol.join(lines).encode())  # no final line break either
    header, where = spans(path, lambda r: f"{r['table']}:{r['name']}")
    assert header == ["table", "name", "note"] and where["chips:A"][0] != where["chips:A"][-1]  # two runs
    for key, found in where.items():
        table, name = key.split(":")
        assert rows_at(path, header, found) == [r for r in rows(path) if r["table"] == table and r["name"] == name]
