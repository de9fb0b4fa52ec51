"""Failover with three links and every mix of up to two failures, with real packets; `explain --down` agrees.

The three-link router of tests/threelinklab.py (IPv4 on all links, IPv6 on
wan_a and wan_c). For each state the links are taken out of service the way
the monitor does it (its ServiceSwitch: the interface group and the general
rules) or lose their carrier; a TCP connection to each partner address then
says which link it left by and with which source address, and that must be
what `explain --down` (the plan's own rules, walked) says.
"""

import itertools
import subprocess

import pytest

from symroute.explain import explain_address
from symroute_router.monitor.service_switch import ServiceSwitch
from threelinklab import ISPS, PARTNER_ADDRESSES, PLAN

# The router's main table: default routes through wan_a (explain leaves the main table to the router).
MAIN_TABLE = {4: ["wan_a", "198.51.100.2"], 6: ["wan_a", "2001:db8:a::2"]}


def switch_of(lab):
    def run(*args, stdin=None):
        return subprocess.run(["ip", "-n", lab.r, *args], input=stdin, capture_output=True, text=True, check=False)

    return ServiceSwitch(PLAN["monitor"], run=run, sleep=lambda seconds: None, log=lambda line: None)


def expected(down):
    """What explain --down says, in the form the servers answer: [link, source] or "refused"."""
    answers = {}
    for address in PARTNER_ADDRESSES:
        answer = explain_address(PLAN, address, down)
        if answer["rejected"]:
            answers[address] = "refused"
        elif answer["main_table"] and not (answer["main_table_unless_out_of_service"] and "wan_a" in down):
            answers[address] = MAIN_TABLE[answer["family"]]
        else:
            answers[address] = [answer["link"], answer["source"]]
    return answers


# Every state with at most two of the three links failed; each failed link taken out of service by the
# monitor's switch, either while its carrier stays up (a blackhole) or after its carrier is lost.
STATES = [()] + [
    tuple(zip(links, kinds))
    for size in (1, 2)
    for links in itertools.combinations(ISPS, size)
    for kinds in itertools.product(("out_of_service", "carrier"), repeat=size)
]


@pytest.mark.parametrize(
    "state", STATES, ids=lambda state: "+".join(f"{link}:{kind}" for link, kind in state) or "all-up"
)
def test_packets_take_the_path_explain_down_gives(three_links, state):
    switch = switch_of(three_links)
    down = {link for link, _ in state}
    # The monitor takes a link out of service on carrier loss too (within milliseconds, by netlink).
    held = switch.hold_out_of_service(down)
    assert held.errors == () and switch.holds(held, down)
    for link, kind in state:
        if kind == "carrier":
            three_links.carrier(link, False)
    try:
        seen = three_links.connect()
    finally:
        for link, kind in state:
            if kind == "carrier":
                three_links.carrier(link, True)
        switch.hold_out_of_service(set())
        three_links.apply()
    assert seen == expected(down)


def test_the_compound_failure_of_the_incident_report_reaches_the_third_link():
    """B blackholed, then A without carrier: the fail-over partner pinned to A takes C, with C's address."""
    answers = expected({"wan_a", "wan_b"})
    assert answers["100.64.20.1"] == ["wan_c", "198.51.100.10"]
    assert answers["2001:db8:20::1"] == ["wan_c", "2001:db8:c::2"]
    assert answers["100.64.21.1"] == "refused"  # fail_closed on wan_a
    assert answers["100.64.60.1"] == ["wan_c", "198.51.100.10"]  # its own order: wan_b, then wan_c
    assert answers["100.64.77.1"] == ["wan_c", "198.51.100.10"]  # general traffic: the first link in service


def test_a_partners_own_order_is_followed_and_ends_in_rejection():
    assert expected({"wan_b"})["100.64.60.1"] == ["wan_c", "198.51.100.10"]  # not wan_a, which comes first
    assert expected({"wan_b", "wan_c"})["100.64.60.1"] == ["wan_a", "198.51.100.2"]
    assert expected({"wan_a", "wan_b", "wan_c"})["100.64.60.1"] == "refused"
    assert expected({"wan_a", "wan_c"})["2001:db8:20::1"] == "refused"  # wan_b carries no IPv6


def test_every_link_out_of_service_rejects_partners_and_never_leaks_them(three_links):
    switch = switch_of(three_links)
    switch.hold_out_of_service(set(ISPS))
    try:
        seen = three_links.connect(["100.64.20.1", "100.64.60.1", "2001:db8:20::1"])
    finally:
        switch.hold_out_of_service(set())
    assert (
        seen
        == dict.fromkeys(seen, "refused")
        == {address: answer for address, answer in expected(set(ISPS)).items() if address in seen}
    )
