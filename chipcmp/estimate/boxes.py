"""Where a chip serves: its standard box's scale-up domain and scale-out bandwidth, as data (systems.csv), or a
named system's. A bare chip never borrows a pod's domain: the CloudMatrix 384's 384 chips apply only with
--system."""

from typing import NamedTuple

BOX_CHIPS = 16  # a system of at most this many chips is a box (a server or a baseboard), not a rack or pod
DEFAULT_BOX = 8  # chips on one scale-up link in a box where systems.csv has none of the chip (HGX, OAM, Atlas 800)
SCALE_UP_GBS = 100.0  # an interconnect this fast is a scale-up fabric; slower is the host's PCIe


class Box(NamedTuple):
    domain: int
    scaleout_gbs: float | None
    basis: str  # what the domain comes from, for the output


def box_of(chip: str, interconnect_gbs: float | None, system: str = "") -> Box:
    """The scale-up domain and scale-out bandwidth a chip serves in: the named system's, else its box's."""
    from chipcmp.data.systems import catalogue, rows

    scaleout = {r["name"]: r.get("scaleout_bw_gbs", "") for r in rows()}
    if system:
        s = next(s for s in catalogue() if s.name == system)
        return Box(s.scaleup_domain or 1, _num(scaleout.get(s.name)), f"{s.name} ({s.scaleup_domain}-chip domain)")
    boxes = sorted((s for s in catalogue() if s.chip == chip and s.chips <= BOX_CHIPS and s.scaleup_domain),
                   key=lambda s: s.chips)
    if boxes:
        b = boxes[0]
        return Box(b.scaleup_domain or 1, _num(scaleout.get(b.name)), f"{b.name} ({b.scaleup_domain}-chip domain)")
    if interconnect_gbs and interconnect_gbs >= SCALE_UP_GBS:
        return Box(DEFAULT_BOX, None, f"a standard {DEFAULT_BOX}-chip box (no box of it in systems.csv)")
    return Box(1, None, "one chip (no scale-up fabric)")


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
