"""The validated HA pair of one router (``symroute_ha``): what ha_validation.py gives and ha_plan.py plans.

Two routers form a pair: the same links, partners, tables and rules, VRRP (keepalived) moving the
shared addresses, conntrackd keeping the connections' state on both (docs/design.md, "An HA pair").
"""

from dataclasses import dataclass
from typing import Optional

from netaddr import IPAddress, IPNetwork

HA = "symroute_ha"
SHARED, OWN = "shared", "own"
DEFAULT_ADVERT_INTERVAL_MS = 100
# The file the link monitor writes (0: healthy, 1: yield) and keepalived tracks (track_file).
YIELD_FILE = "/run/symroute/ha-yield"


@dataclass(frozen=True)
class HaLan:
    """A LAN segment's shared gateway address(es): one VRRP instance per family, one VRID."""

    segment: str
    interface: str
    vrid: int
    address: Optional[IPNetwork] = None
    address6: Optional[IPNetwork] = None


@dataclass(frozen=True)
class HaLink:
    """How a link's SNAT address is shared: ``shared`` (a VRRP address, ``vrid``) or each router's ``own``."""

    name: str
    mode: str
    vrid: Optional[int] = None
    address: Optional[IPNetwork] = None


@dataclass(frozen=True)
class HaPair:
    """One router's side of a pair; ``peer_priority`` is filled in once both sides are cross-checked."""

    pair: str
    peer: str
    priority: int
    preempt: bool
    advert_interval_ms: int
    sync_interface: str
    sync_address: IPNetwork
    sync_peer: IPAddress
    lan: tuple[HaLan, ...]
    links: tuple[HaLink, ...]
    peer_priority: Optional[int] = None

    def link(self, name: str) -> Optional[HaLink]:
        return next((entry for entry in self.links if entry.name == name), None)

    def shared_address(self, name: str) -> Optional[IPNetwork]:
        """The shared IPv4 address of link ``name``; None for an ``own`` link (or a router in no pair)."""
        entry = self.link(name)
        return entry.address if entry is not None and entry.mode == SHARED else None


def written(entries: tuple) -> tuple:
    """HaLan or HaLink entries as text, for comparing two routers' entries: netaddr's IPNetwork equality
    ignores the host part (203.0.113.1/24 == 203.0.113.9/24), the shared address is all host part."""
    return tuple(tuple(str(value) for value in vars(entry).values()) for entry in entries)
