"""Systems (data/systems.csv): boards, racks and pods as rows of their own, with totals derived from their chips,
and `match`: how many of one chip equal N of another, by a metric, and what that takes.

A system row names its chip (a row of chips.csv) and how many; its totals (dense BF16/FP8 PFLOPS, HBM TB and TB/s)
are chips × the chip's figures. Where the system's vendor states a total differently, both are shown with the
ratio, so a clock or power cap that the chip row does not carry is visible.
"""

import functools
import math
from typing import NamedTuple

from chipcmp.data.names import fold, suggest
from chipcmp.data.reader import Rows, bundled, number
from chipcmp.errors import UsageError

SYSTEMS = "systems.csv"


class System(NamedTuple):
    name: str
    vendor: str
    chip: str
    chips: int
    scaleup_domain: int | None
    power_kw: float | None
    power_scope: str
    aliases: tuple[str, ...]


def known(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def rows() -> Rows:
    return bundled(SYSTEMS)


def catalogue() -> tuple[System, ...]:
    """Every system of systems.csv with a chip count, read once per process."""
    return _catalogue()


@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[System, ...]:
    out = []
    for r in rows():
        n = number(r.get("chips", ""))
        if not n:
            continue
        dom = number(r.get("scaleup_domain", ""))
        out.append(System(r["name"], r["vendor"], r["chip"], int(n), int(dom) if dom else None,
                          number(r.get("power_kw", "")), r.get("power_scope", ""),
                          tuple(a for a in r.get("aliases", "").split("|") if a.strip())))
    return tuple(out)


def find(name: str) -> System:
    """The system called `name` (or an alias; case and punctuation don't matter)."""
    systems = catalogue()
    for s in systems:
        if fold(name) in {fold(s.name), *(fold(a) for a in s.aliases)} or fold(name) == fold(s.name.replace(
                s.vendor, "")):
            return s
    raise UsageError(f"unknown system {name!r}" + (suggest(name, [s.name for s in systems])
                                                    or "; `chipcmp systems` lists them"))


def is_system(name: str) -> bool:
    try:
        find(name)
    except UsageError:
        return False
    return True
