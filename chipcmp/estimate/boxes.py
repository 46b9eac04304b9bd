"""Where a chip serves: its standard box's scale-up domain and scale-out bandwidth, as data (systems.csv), or a
named system's. A bare chip never borrows a pod's domain: the CloudMatrix 384's 384 chips apply only with
--system."""

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from chipcmp.data.reader import Rows
    from chipcmp.data.systems import System

BOX_CHIPS = 16  # a system of at most this many chips is a box (a server or a baseboard), not a rack or pod
DEFAULT_BOX = 8  # chips on one scale-up link in a box where systems.csv has none of the chip (HGX, OAM, Atlas 800)
SCALE_UP_GBS = 100.0  # an interconnect this fast is a scale-up fabric; slower is the host's PCIe


class Box(NamedTuple):
    domain: int
    scaleout_gbs: float | None
    basis: str  # what the domain comes from, for the output


def box_of(chip: str, interconnect_gbs: float | None, system: str = "") -> Box:
    """The scale-up domain and scale-out bandwidth a chip serves in: the named system's, else its box's."""
    from chipcmp.data.reader import derive
    from chipcmp.data.systems import rows

    scaleout, named, smallest = derive(rows(), _index)
    if system:
        s = named[system]
        return Box(s.scaleup_domain or 1, scaleout.get(s.name), f"{s.name} ({s.scaleup_domain}-chip domain)")
    b = smallest.get(chip)
    if b is not None:
        return Box(b.scaleup_domain or 1, scaleout.get(b.name), f"{b.name} ({b.scaleup_domain}-chip domain)")
    if interconnect_gbs and interconnect_gbs >= SCALE_UP_GBS:
        return Box(DEFAULT_BOX, None, f"a standard {DEFAULT_BOX}-chip box (no box of it in systems.csv)")
    return Box(1, None, "one chip (no scale-up fabric)")


def _index(rows: "Rows") -> "tuple[dict[str, float | None], dict[str, System], dict[str, System]]":
    """Once per version of systems.csv: each system's scale-out bandwidth, the systems by name, and each chip's
    box (its smallest system of at most BOX_CHIPS chips with a scale-up domain; the first listed among equals)."""
    from chipcmp.data.systems import catalogue

    scaleout = {r["name"]: _num(r.get("scaleout_bw_gbs", "")) for r in rows}
    systems = catalogue()
    smallest: dict[str, System] = {}
    for s in sorted(systems, key=lambda s: s.chips):  # stable: the first listed among equals
        if s.chips <= BOX_CHIPS and s.scaleup_domain:
            smallest.setdefault(s.chip, s)
    return scaleout, {s.name: s for s in systems}, smallest


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
