"""The incident scenario's edge (molecule/incident) is the lab's (inventories/lab) with two documented
differences: link C is dynamic (leased by DHCP), and one more partner, known by its DNS name only, is pinned to
link B (issue #23; molecule/resources/lab.sh runs its DNS server, lab-checks.sh names-* prove it). Nothing else
may drift between the two, and both plan."""

import yaml

from paths import REPOSITORY
from symroute.pipeline import plan_routers

LAB = REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml"
INCIDENT = REPOSITORY / "molecule" / "incident" / "host_vars" / "symroute-lab-edge.yml"
LAB_PARTNERS = REPOSITORY / "inventories" / "lab" / "group_vars" / "all" / "partners.yml"
INCIDENT_PARTNERS = REPOSITORY / "molecule" / "incident" / "group_vars" / "all" / "partners.yml"
RESOURCES = REPOSITORY / "molecule" / "resources"


def _read(path):
    return yaml.safe_load(path.read_text())


def _by_name(incident_partners):
    lab_names = {partner["name"] for partner in _read(LAB_PARTNERS)["symroute_partners"]}
    return [partner for partner in incident_partners if partner["name"] not in lab_names]


def test_the_incident_edge_is_the_lab_edge_with_link_c_leased_by_dhcp():
    lab, incident = _read(LAB), _read(INCIDENT)
    link_c = next(link for link in incident["symroute_links"] if link["name"] == "wan_c")
    assert (link_c["address"], link_c["gateway"]) == ("dynamic", "dynamic")
    static_c = next(link for link in lab["symroute_links"] if link["name"] == "wan_c")
    link_c.update(address=static_c["address"], gateway=static_c["gateway"])
    assert incident == lab


def test_the_lab_leases_link_c_the_address_the_lab_inventory_writes_statically():
    """explain on the lab's inventory predicts the incident edge's sources (lab-checks.sh compound)."""
    lab = _read(LAB)
    static_c = next(link for link in lab["symroute_links"] if link["name"] == "wan_c")
    script = (RESOURCES / "lab.sh").read_text()
    address, gateway = static_c["address"].split("/")[0], static_c["gateway"]
    assert f"--dhcp-range={address},{address},255.255.255.252" in script
    assert f"--dhcp-option=option:router,{gateway}" in script


def test_the_incident_partners_are_the_labs_and_one_pinned_by_name_off_the_main_tables_link():
    lab, incident = _read(LAB_PARTNERS), _read(INCIDENT_PARTNERS)
    assert list(incident) == ["symroute_partners"]  # a partner file holds the partner list only
    lab_partners = lab["symroute_partners"]
    assert incident["symroute_partners"][: len(lab_partners)] == lab_partners
    (named,) = _by_name(incident["symroute_partners"])
    assert incident["symroute_partners"] == lab_partners + [named]
    assert named["domains"] == ["api.partner-dns.example", "rebind.partner-dns.example"] and "prefixes" not in named
    # Pinning is visible: the main table's default route leaves by link A (edge-before-symroute.sh, metric 10),
    # the named partner by link B, which carries IPv4 and IPv6; lab-checks.sh reads its set wan_b_failover_v4/6.
    assert (named["link"], named["on_link_failure"]) == ("wan_b", "failover")
    assert "default via 198.51.100.1 dev wana metric 10" in (RESOURCES / "edge-before-symroute.sh").read_text()
    link_b = next(link for link in _read(INCIDENT)["symroute_links"] if link["name"] == "wan_b")
    assert link_b.get("address6")
    checks = (RESOURCES / "lab-checks.sh").read_text()
    assert 'on edge nft list set inet symroute "wan_b_failover_v$1"' in checks
    for name in named["domains"]:  # the partner's dnsmasq answers for both names
        assert f"{name}\\n" in (RESOURCES / "lab.sh").read_text()


def test_both_inventories_plan_and_the_named_partners_sets_carry_its_names():
    lab = plan_routers({"edge": dict(_read(LAB), **_read(LAB_PARTNERS))})["edge"]
    incident = plan_routers({"symroute-lab-edge": dict(_read(INCIDENT), **_read(INCIDENT_PARTNERS))})
    sets = {entry["name"]: entry for entry in incident["symroute-lab-edge"]["nftables"]["partner_sets"]}
    names = ["api.partner-dns.example", "rebind.partner-dns.example"]
    assert sets["wan_b_failover_v4"]["domains"] == names and sets["wan_b_failover_v6"]["domains"] == names
    assert not any(entry.get("domains") for entry in lab["nftables"]["partner_sets"])
