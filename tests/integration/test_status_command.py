"""symroute-status on a converged router container: the live view, in text and JSON, as links change.

The converge installs the command (roles/symroute_monitor); it reads the link
monitor's state file and configuration, and needs no clone on the router.
"""

import json
import os

import pytest
import yaml

from paths import REPOSITORY
from routerlab import remove_router, start_router

# The lab's two partners (health-checked, on wan_a) and one without a health check, pinned to wan_b.
PARTNERS = yaml.safe_load((REPOSITORY / "inventories" / "lab" / "group_vars" / "all" / "partners.yml").read_text())[
    "symroute_partners"
] + [
    {
        "name": "partner-batch",
        "description": "Nightly batch uploads, no health check",
        "prefixes": ["100.64.22.0/24", "2001:db8:22::/48"],
        "link": "wan_b",
        "on_link_failure": "failover",
    }
]

# Its own container (a name of its own, SYMROUTE_STATUS_ROUTER), so it runs beside the other labs' routers.
NAME = os.environ.get("SYMROUTE_STATUS_ROUTER", "symroute-test-status")


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("status-inventory"))
    try:
        first = device.playbook(inventory_vars={"symroute_partners": PARTNERS})
        assert first.returncode == 0, first.stdout + first.stderr
        device.wait_for_monitor(lambda s: all(link["up"] for link in s["links"].values()), 30, "every link up")
        # The partners' health checks (tcp://...:80) answered behind link A, inside the container, for 10 min.
        device.sh(
            "ip -n isp_a addr add 100.64.21.10/32 dev lo; ip netns exec isp_a sh -c "
            "'timeout 600 python3 -m http.server 80 >/dev/null 2>&1 &'"
        )
        yield device
    finally:
        remove_router(NAME)


def status(router, *args):
    return router.sh(f"/usr/local/sbin/symroute-status {' '.join(args)}", check=False)


def test_every_link_in_service_and_each_partner_on_its_link(router):
    router.wait_for_monitor(
        lambda s: (
            len(s["partners"]) == 2 and all(p.get("link") == "wan_a" and p["reachable"] for p in s["partners"].values())
        ),
        60,
        "both partners answered",
    )
    result = status(router)
    assert result.returncode == 0, result.stdout + result.stderr
    if os.environ.get("SYMROUTE_STATUS_RECORD"):  # the README's example output, from this lab
        with open(os.environ["SYMROUTE_STATUS_RECORD"], "a", encoding="utf-8") as record:
            record.write(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0] == f"symroute status of {NAME}"
    assert lines[1].startswith("monitor: running, state ") and "the kernel holds its decision" in lines[1]
    for link, interface, address in (
        ("wan_a", "wana", "198.51.100.2, 2001:db8:a::2"),
        ("wan_b", "wanb", "198.51.100.6, 2001:db8:b::2"),
        ("wan_c", "wanc", "198.51.100.10"),
    ):
        row = next(line for line in lines if line.split()[:2] == [link, interface])
        assert "in service" in row and address in row
    rows = [line.split() for line in lines]
    for partner in ("partner-api", "partner-ledger"):  # per family, the kernel's route; the health check
        at = rows.index(next(row for row in rows if row[:1] == [partner]))
        assert rows[at][1:4] == ["IPv4", "wan_a", "wan_a"] and "answered in" in lines[at], lines[at]
        assert rows[at + 1] == ["IPv6", "wan_a", "wan_a"], lines[at + 1]
    at = rows.index(next(row for row in rows if row[:1] == ["partner-batch"]))  # no health check: still shown
    assert rows[at] == ["partner-batch", "IPv4", "wan_b", "wan_b", "-"] and rows[at + 1] == ["IPv6", "wan_b", "wan_b"]


def test_json_is_the_same_view(router):
    result = status(router, "--format", "json")
    document = json.loads(result.stdout)
    assert document["router"] == NAME and document["monitor"]["running"] is True
    assert [link["name"] for link in document["links"]] == ["wan_a", "wan_b", "wan_c"]
    assert {link["state"] for link in document["links"]} == {"in service"}
    assert {p["name"]: p["link_now"] for p in document["partners"]} == {
        "partner-api": "wan_a",
        "partner-ledger": "wan_a",
        "partner-batch": "wan_b",
    }
    assert {
        (path["partner"], path["family"]): (path["link_now"], path["as_planned"])
        for partner in document["partners"]
        for path in partner["paths"]
    } == {
        ("partner-api", 4): ("wan_a", True),
        ("partner-api", 6): ("wan_a", True),
        ("partner-ledger", 4): ("wan_a", True),
        ("partner-ledger", 6): ("wan_a", True),
        ("partner-batch", 4): ("wan_b", True),
        ("partner-batch", 6): ("wan_b", True),
    }


def test_a_carrier_loss_shows_the_link_the_transition_and_exit_1(router):
    router.sh("ip -n isp_b link set eth0 down")
    try:
        router.wait_for_monitor(lambda s: not s["links"]["wan_b"]["carrier"], 15, "wan_b without carrier")
        result = status(router)
        assert result.returncode == 1, result.stdout
        row = next(line for line in result.stdout.splitlines() if line.split()[:2] == ["wan_b", "wanb"])
        assert "no carrier" in row
        assert "Last transition: wan_b at " in result.stdout
        # partner-batch, pinned to wan_b, fails over to wan_a (both families; wan_c carries no IPv6).
        router.wait_for_monitor(lambda s: s["links"]["wan_b"]["gated"], 15, "wan_b out of service")
        lines = status(router).stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["partner-batch"])
        assert lines[at].split()[1:4] == ["IPv4", "wan_b", "wan_a"], lines[at]
        assert "failed over (wan_b not in service)" in lines[at]
        assert lines[at + 1].split()[:3] == ["IPv6", "wan_b", "wan_a"], lines[at + 1]
        assert "NOT WHERE" not in "\n".join(lines)
        if os.environ.get("SYMROUTE_STATUS_RECORD"):
            with open(os.environ["SYMROUTE_STATUS_RECORD"], "a", encoding="utf-8") as record:
                record.write("---\n" + result.stdout)
        document = json.loads(status(router, "--format", "json").stdout)
        assert document["last_transition"]["link"] == "wan_b"
    finally:
        router.sh("ip -n isp_b link set eth0 up")
    router.wait_for_monitor(lambda s: s["links"]["wan_b"]["up"], 30, "wan_b back in service")
    assert status(router).returncode == 0


def test_without_a_running_monitor_it_says_so_and_exits_3(router):
    result = status(router, "--state", "/run/symroute/none.json")
    assert result.returncode == 3
    assert "monitor: NOT RUNNING (/run/symroute/none.json does not exist)" in result.stdout
