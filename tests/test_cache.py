"""The bundled data's load cache: a hit gives exactly what a fresh load gives, anything odd is a miss, and the
cache never breaks a command."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from chipcmp.core.audit import audit_file
from chipcmp.data import cache, dataset, provenance
from chipcmp.data.files import bundled_path


def _fresh(monkeypatch: pytest.MonkeyPatch, folder: str, price_kind: str = "any") -> tuple:
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", folder)
    dataset._load_file.cache_clear()
    p = bundled_path()
    st = p.stat()
    return dataset._load_file(str(p), "bundled", (st.st_mtime_ns, st.st_size), price_kind)


@pytest.mark.parametrize("price_kind", ["any", "analyst"])
def test_a_hit_equals_a_fresh_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, price_kind: str) -> None:
    uncached = _fresh(monkeypatch, "", price_kind)
    assert not any(tmp_path.iterdir())
    written = _fresh(monkeypatch, str(tmp_path), price_kind)  # a miss: loads and writes the entry
    assert len(list(tmp_path.glob("bundled-*.json"))) == 1
    hit = _fresh(monkeypatch, str(tmp_path), price_kind)
    for got in (written, hit):
        pd.testing.assert_frame_equal(got[0], uncached[0])
        assert got[1].sha256 == uncached[1].sha256 and got[2:] == uncached[2:]
    assert hit[0]["price_usd"].notna().sum() > 10  # the derived columns came through


def test_the_key_follows_every_file_and_the_price_kind(tmp_path: Path) -> None:
    f = tmp_path / "chips.csv"
    f.write_text("name\nA\n")
    first = cache.key([f], "any")
    assert cache.key([f], "any") == first
    assert cache.key([f], "street") != first
    os.utime(f, ns=(1, 1))  # touching a data file changes nothing...
    assert cache.key([f], "any") == first
    f.write_text("name\nB\n")  # ...but a change of content, even of the same size, does
    assert cache.key([f], "any") != first
    assert cache.key([f, tmp_path / "gone.csv"], "any") != cache.key([f], "any")


def test_a_damaged_entry_is_a_miss(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    good = _fresh(monkeypatch, str(tmp_path))
    for damage in ("{not json", '{"columns": {"name": [1]}, "dtypes": {}, "rows": 5, "meta": {}}', "[]"):
        for entry in tmp_path.glob("bundled-*.json"):
            entry.write_text(damage)
        again = _fresh(monkeypatch, str(tmp_path))
        pd.testing.assert_frame_equal(again[0], good[0])


def test_an_unusable_cache_folder_never_fails_a_command(cli, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", str(blocker / "chipcmp"))
    dataset._load_file.cache_clear()
    r = cli("show", "H100 SXM")
    assert r.exit_code == 0, r.output
    assert blocker.read_text() == "a file where the cache folder would be\n"


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", "")
    assert cache.folder() is None
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", str(tmp_path))
    assert cache.folder() == tmp_path


def test_old_entries_are_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bundled-0000.json").write_text("{}")
    (tmp_path / "keep.txt").write_text("not ours")
    _fresh(monkeypatch, str(tmp_path))
    assert not (tmp_path / "bundled-0000.json").exists()
    assert (tmp_path / "keep.txt").exists()


def test_cached_audit_equals_a_fresh_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", "")
    fresh_audit = audit_file()[0].frame
    monkeypatch.setenv("CHIPCMP_CACHE_DIR", str(tmp_path))
    for _ in range(2):  # the miss that writes, then the hit that reads
        pd.testing.assert_frame_equal(audit_file()[0].frame, fresh_audit)
    assert provenance.ranges()  # source ranges are built in memory from sources.csv, never cached on disk
    assert {p.name.split("-")[0] for p in tmp_path.glob("*.json")} == {"audit"}


def test_no_home_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIPCMP_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache.folder() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache.folder() == Path("/somewhere/chipcmp")
