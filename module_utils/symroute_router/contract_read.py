"""The contract's read-only parts, checked on the router: ``verify`` (what the converge verifies) and the
fields of ``audit`` (playbooks/audit.yml); contract.py dispatches to them."""

import ipaddress

from .checking import ADDRESS, IFNAME, LINK, MARK, PARTNER, PATH
from .learned import DYNAMIC, POINT_TO_POINT

RESERVED_TABLES = (0, 253, 254, 255)
COMMON = {"contract_version", "comment", "router"}


def _verify_table(check, where, table):
    if check.keys(where, table, ("link", "table", "interface", "family", "gateway")):
        check.token(f"{where}.link", table["link"], LINK, "a link name")
        if check.integer(f"{where}.table", table["table"], 1) and table["table"] in RESERVED_TABLES:
            check.add(f"{where}.table", "is a kernel table")
        check.token(f"{where}.interface", table["interface"], IFNAME, "an interface name")
        family = check.family(f"{where}.family", table["family"])
        if family and table["gateway"] not in (DYNAMIC, POINT_TO_POINT):
            check.address(f"{where}.gateway", table["gateway"], family)


def _verify_partner(check, where, probe):
    if check.keys(where, probe, ("partner", "family", "address", "mark", "interface", "link"), ("failover_links",)):
        for index, name in check.items(f"{where}.failover_links", probe.get("failover_links", []), 16):
            check.token(f"{where}.failover_links[{index}]", name, LINK, "a link name")
        check.token(f"{where}.partner", probe["partner"], PARTNER, "a partner name")
        check.token(f"{where}.link", probe["link"], LINK, "a link name")
        check.token(f"{where}.interface", probe["interface"], IFNAME, "an interface name")
        check.token(f"{where}.mark", probe["mark"], MARK, "a mark like 0x100")
        family = check.family(f"{where}.family", probe["family"])
        if family:
            check.address(f"{where}.address", probe["address"], family)


def verify(check, data):
    """The verify slice: link tables, partners' probes, management addresses."""
    if not check.keys("", data, ("tables", "partners", "management"), COMMON | {"monitor_state_file"}):
        return
    for index, table in check.items("tables", data["tables"], 254):
        _verify_table(check, f"tables[{index}]", table)
    for index, probe in check.items("partners", data["partners"], 100000):
        _verify_partner(check, f"partners[{index}]", probe)
    for index, address in check.items("management", data["management"], 1024):
        if check.token(f"management[{index}]", address, ADDRESS, "an address"):
            try:
                ipaddress.ip_address(address)
            except ValueError:
                check.add(f"management[{index}]", f"{address!r} is not an address")
    if "monitor_state_file" in data:
        check.token("monitor_state_file", data["monitor_state_file"], PATH, "an absolute path")


def _audit_link(check, where, link):
    if check.keys(where, link, ("name", "interface", "mark")):
        check.token(f"{where}.name", link["name"], LINK, "a link name")
        check.token(f"{where}.interface", link["interface"], IFNAME, "an interface name")
        check.token(f"{where}.mark", link["mark"], MARK, "a mark like 0x100")


def _audit_prefixes(check, where, item):
    if check.keys(where, item, ("partner", "prefixes")):
        check.token(f"{where}.partner", item["partner"], PARTNER, "a partner name")
        for index, prefix in check.items(f"{where}.prefixes", item["prefixes"], 100000):
            family = 6 if isinstance(prefix, str) and ":" in prefix else 4
            check.address(f"{where}.prefixes[{index}]", prefix, family, network=True)


def audit_fields(check, data):
    """The audit slice's own fields (its verify slice is checked as that part)."""
    for index, link in check.items("links", data["links"], 254):
        _audit_link(check, f"links[{index}]", link)
    for index, item in check.items("prefixes", data["prefixes"], 100000):
        _audit_prefixes(check, f"prefixes[{index}]", item)
    check.token("mark_mask", data["mark_mask"], MARK, "a mask like 0x7f00")
    check.integer("out_of_service_group", data["out_of_service_group"], 1, 2**31 - 1)
    if "monitor_state_file" in data:
        check.token("monitor_state_file", data["monitor_state_file"], PATH, "an absolute path")
