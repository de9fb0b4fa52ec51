"""The incident scenario's edge (molecule/incident/host_vars) is the lab's (inventories/lab) with link C
dynamic: nothing else may drift between the two, and both plan."""

import yaml

from paths import REPOSITORY

LAB = REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml"
INCIDENT = REPOSITORY / "molecule" / "incident" / "host_vars" / "symroute-lab-edge.yml"


def test_the_incident_edge_is_the_lab_edge_with_link_c_leased_by_dhcp():
    lab, incident = yaml.safe_load(LAB.read_text()), yaml.safe_load(INCIDENT.read_text())
    link_c = next(link for link in incident["symroute_links"] if link["name"] == "wan_c")
    assert (link_c["address"], link_c["gateway"]) == ("dynamic", "dynamic")
    static_c = next(link for link in lab["symroute_links"] if link["name"] == "wan_c")
    link_c.update(address=static_c["address"], gateway=static_c["gateway"])
    assert incident == lab


def test_the_lab_leases_link_c_the_address_the_lab_inventory_writes_statically():
    """explain on the lab's inventory predicts the incident edge's sources (lab-checks.sh compound)."""
    lab = yaml.safe_load(LAB.read_text())
    static_c = next(link for link in lab["symroute_links"] if link["name"] == "wan_c")
    script = (REPOSITORY / "molecule" / "resources" / "lab.sh").read_text()
    address, gateway = static_c["address"].split("/")[0], static_c["gateway"]
    assert f"--dhcp-range={address},{address},255.255.255.252" in script
    assert f"--dhcp-option=option:router,{gateway}" in script
