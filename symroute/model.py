"""The validated, normalized inventory of one router (input of the planner)."""

from dataclasses import dataclass, field
from typing import Any, Optional

from netaddr import IPAddress, IPNetwork

from .ha_model import HA, HaPair  # HA: the router's side of an HA pair

# Inventory variable names: the public contract.
PARTNERS = "symroute_partners"
LINKS = "symroute_links"
LAN_NETWORKS = "symroute_lan_networks"
MANAGEMENT_NETWORKS = "symroute_management_networks"
RULE_PRIORITY_BASE = "symroute_rule_priority_base"
TABLE_ID_BASE = "symroute_table_id_base"

INVENTORY_KEYS = (
    PARTNERS,
    LINKS,
    LAN_NETWORKS,
    MANAGEMENT_NETWORKS,
    RULE_PRIORITY_BASE,
    TABLE_ID_BASE,
    HA,
)

DEFAULT_RULE_PRIORITY_BASE = 10000
DEFAULT_TABLE_ID_BASE = 200
FAILOVER = "failover"
FAIL_CLOSED = "fail_closed"
# A link's address or gateway that its DHCP, PPP or router-advertisement client sets: the router learns it.
DYNAMIC = "dynamic"
# The gateway of an IPv4 link written without one: the link is point-to-point (default dev <interface>).
POINT_TO_POINT = "point-to-point"


@dataclass(frozen=True)
class LinkHealth:
    """How the link monitor decides that a link is up or down (docs/monitor.md)."""

    interval_ms: int = 250
    timeout_ms: int = 150
    reliability: int = 1
    down_after: int = 3
    up_after: int = 10


@dataclass(frozen=True)
class Link:
    """One WAN link of the router.

    ``address``/``gateway`` (and the IPv6 pair) are None where the inventory says ``dynamic`` (their
    names are then in ``dynamic``) or, for ``gateway``, where it leaves the gateway out of a
    point-to-point link (``point_to_point``). A family with anything dynamic or point-to-point is
    *learned*: the plan states its policy and the router fills in the kernel's current values.
    """

    name: str
    index: int
    interface: str
    address: Optional[IPNetwork]
    gateway: Optional[IPAddress]
    table: int
    mark_number: int
    address6: Optional[IPNetwork] = None
    gateway6: Optional[IPAddress] = None
    nat66: bool = False
    health_targets: tuple[str, ...] = ()
    health: LinkHealth = LinkHealth()
    description: str = ""
    # The fields ("address", "gateway", "address6", "gateway6") the inventory sets to ``dynamic``.
    dynamic: tuple[str, ...] = ()
    point_to_point: bool = False

    @property
    def has_ipv6(self):
        return (self.address6 is not None or "address6" in self.dynamic) and (
            self.gateway6 is not None or "gateway6" in self.dynamic
        )

    def learned(self, family):
        """True when the router learns (part of) this family's addressing from the kernel."""
        if family == 4:
            return "address" in self.dynamic or "gateway" in self.dynamic or self.point_to_point
        return "address6" in self.dynamic or "gateway6" in self.dynamic

    def shown_address(self, family):
        """The inventory's address of a family as the plan and the review show it: a prefix or ``dynamic``."""
        address = self.address if family == 4 else self.address6
        return DYNAMIC if address is None else str(address)

    def shown_gateway(self, family):
        """The inventory's gateway of a family as shown: an address, ``dynamic`` or ``point-to-point``."""
        gateway = self.gateway if family == 4 else self.gateway6
        if gateway is not None:
            return str(gateway)
        return POINT_TO_POINT if family == 4 and self.point_to_point else DYNAMIC

    @property
    def families(self):
        """The IP versions this link routes."""
        return (4, 6) if self.has_ipv6 else (4,)

    @property
    def own_addresses(self):
        """(family, address) of the link's own addresses in the families whose addressing is static."""
        addresses = []
        if not self.learned(4) and self.address is not None:  # static: validated, never None
            addresses.append((4, str(self.address.ip)))
        if self.has_ipv6 and not self.learned(6) and self.address6 is not None:
            addresses.append((6, str(self.address6.ip)))
        return tuple(addresses)


@dataclass(frozen=True)
class Partner:
    """One critical partner pinned to a link."""

    name: str
    prefixes: tuple[IPNetwork, ...]
    link: str
    on_link_failure: str = FAILOVER
    health_check: str = ""
    description: str = ""
    # The partner's own failover order (link names); empty: the other links in symroute_links order.
    failover_links: tuple[str, ...] = ()
    # DNS names whose answers the router adds to the partner's sets (domain_check.py); never their answers.
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Router:
    """Everything the planner needs about one router."""

    name: str
    links: tuple[Link, ...]
    partners: tuple[Partner, ...]
    lan_networks: tuple[IPNetwork, ...] = ()
    management_networks: tuple[IPNetwork, ...] = ()
    rule_priority_base: int = DEFAULT_RULE_PRIORITY_BASE
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The plan's per-prefix views of ``partners`` (partner_prefixes.PartnerPrefixes), shared by the routers
    # that share the partner list; None: the plan computes them for this router alone.
    partner_prefixes: Any = field(default=None, compare=False, repr=False)
    # The router's side of an HA pair (ha_validation.py, ha_pairs.py); None: a router alone.
    ha: Optional[HaPair] = None

    def link(self, name):
        return next(link for link in self.links if link.name == name)
