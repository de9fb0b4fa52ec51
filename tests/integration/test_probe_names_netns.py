"""Link probes never depend on the system resolver (issue #23, item 6), with real packets.

The three-link router (tests/threelinklab.py) with one health target on every
link, by name: http://health.probe.example:8081/. Every provider answers DNS
on 100.64.53.53 (dnsmasq, as an anycast public resolver would) and HTTP on
100.64.80.1; the router's resolv.conf names 100.64.53.53. wan_a carries the
main table's default route: blackholed, the system resolver fails with it.
The monitor must still take wan_a, and only wan_a, out of service: each link
resolves its names through itself, and no round outlives its deadline.
"""

import copy
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symroute.pipeline import plan_routers
from symroute_router.monitor.probe_names import RETRY_S
from threelinklab import ISPS, PLAN, ROUTER, Monitor, sh

URL = "http://health.probe.example:8081/"
DNS, WEB = "100.64.53.53", "100.64.80.1"
SOURCES = {"wan_a": "198.51.100.2", "wan_b": "198.51.100.6", "wan_c": "198.51.100.10"}
DETECTION_S = 3 * 0.1 + 0.08  # down_after rounds of interval_ms, and the last probe's timeout_ms
# A round's thread may wait for a CPU beyond its deadline on a loaded test machine (measured up to 150 ms with two
# unit runs on two CPUs; the unit tests bound the deadline itself exactly). Below the 1 s a single lookup timing
# out (resolv.conf's timeout:1) would add to a round that waited for it.
SLACK_S = 0.4


def _named_plan():
    router = copy.deepcopy(ROUTER)
    for link in router["symroute_links"]:
        link["health_targets"] = [URL]
    monitor = plan_routers({"edge": router})["edge"]["monitor"]
    # The lab's kernel state is PLAN's: the two plans differ in the targets only.
    assert [dict(link, targets=[]) for link in monitor["links"]] == [
        dict(link, targets=[]) for link in PLAN["monitor"]["links"]
    ]
    assert [link["targets"] for link in monitor["links"]] == [
        [{"kind": "http", "host": "health.probe.example", "family": 0, "port": 8081, "path": "/", "text": URL}]
    ] * 3
    return monitor


@pytest.fixture(scope="module")
def named(three_links):
    """dnsmasq and an HTTP server in every provider; the router's resolv.conf (ip netns exec mounts it)."""
    lab, processes = three_links, []
    resolv = Path("/etc/netns") / lab.r
    resolv.mkdir(parents=True)
    (resolv / "resolv.conf").write_text(f"nameserver {DNS}\noptions timeout:1 attempts:1\n")
    try:
        for link in ISPS:
            isp = lab.names[link]
            for address in (DNS, WEB):
                sh("ip", "-n", isp, "addr", "add", f"{address}/32", "dev", "lo")
            processes.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        isp,
                        "dnsmasq",
                        "--keep-in-foreground",
                        "--conf-file=/dev/null",
                        "--no-resolv",
                        "--no-hosts",
                        f"--host-record=health.probe.example,{WEB}",
                        "--local-ttl=2",
                        f"--listen-address={DNS}",
                        "--bind-interfaces",
                        "--port=53",
                        "--user=root",
                        f"--pid-file={lab.scratch / f'dnsmasq-{link}.pid'}",
                        "--log-queries",
                        f"--log-facility={lab.scratch / f'dnsmasq-{link}.log'}",
                    ]
                )
            )
            processes.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        isp,
                        sys.executable,
                        "-m",
                        "http.server",
                        "--bind",
                        WEB,
                        "8081",
                        "--directory",
                        str(lab.scratch),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            _wait_listening(isp, f"{DNS}:53", "-Hlun")
            _wait_listening(isp, f"{WEB}:8081", "-Hltn")
        yield lab
    finally:
        for process in processes:
            process.kill()
            process.wait()
        for link in ISPS:
            lab.blackhole(link, False)
            for address in (DNS, WEB):
                sh("ip", "-n", lab.names[link], "addr", "del", f"{address}/32", "dev", "lo", check=False)
        shutil.rmtree(resolv)


def _wait_listening(namespace, address, flags, seconds=30):
    deadline = time.monotonic() + seconds
    while not sh("ip", "netns", "exec", namespace, "ss", flags, f"src {address}").stdout.strip():
        assert time.monotonic() < deadline, f"nothing listens on {address} in {namespace}"
        time.sleep(0.05)


def _in_service(state):
    """The links in service as the kernel holds it (None while it does not hold the decision)."""
    if not state["kernel_holds_decision"]:
        return None
    return {name for name, link in state["links"].items() if not link["gated"]}


def _resolved(state, link):
    names = state.get("probes", {}).get(link, {}).get("names", [])
    return any(entry["outcome"] == "ok" and entry["addresses"] == [WEB] for entry in names)


def _queries_from(lab, link):
    """The client addresses of the queries dnsmasq of ``link``'s provider answered."""
    log = (lab.scratch / f"dnsmasq-{link}.log").read_text()
    return {line.split(" from ")[1].strip() for line in log.splitlines() if "query[A] health.probe.example" in line}


def test_a_blackholed_default_link_with_named_targets_everywhere_is_the_only_one_taken_out(named):
    lab = named
    lab.blackhole("wan_a", True)  # before the monitor starts: no name of any link was ever resolved
    system = subprocess.run(
        ["ip", "netns", "exec", lab.r, "getent", "hosts", "health.probe.example"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert system.returncode != 0  # the system resolver asks by wan_a, the main table's default route
    monitor = Monitor(lab, _named_plan()).start()
    try:
        state = monitor.wait_for(lambda s: _in_service(s) == {"wan_b", "wan_c"}, 5, "wan_a alone out of service")
        assert state["links"]["wan_a"]["reason"] == "3 missed rounds in a row"
        state = monitor.wait_for(lambda s: _resolved(s, "wan_b") and _resolved(s, "wan_c"), 2, "B and C resolved")
        assert not _resolved(state, "wan_a") and state["probes"]["wan_a"]["names"][0]["outcome"].startswith("failed")
        assert lab.connect(["100.64.20.1"]) == {"100.64.20.1": ["wan_b", "198.51.100.6"]}  # api fails over to B

        # Its name resolves at the next try, RETRY_S after the last failure (twice that when the lift races a
        # lookup already under way), then it earns up_after good rounds.
        lab.blackhole("wan_a", False)
        monitor.wait_for(lambda s: _in_service(s) == set(ISPS) and _resolved(s, "wan_a"), 2 * RETRY_S + 5, "wan_a back")

        lab.blackhole("wan_a", True)  # now with every name cached
        blackholed = time.monotonic()
        monitor.wait_for(lambda s: _in_service(s) == {"wan_b", "wan_c"}, 3, "wan_a out again")
        detected = time.monotonic() - blackholed
        assert detected < DETECTION_S + 0.5, detected  # the usual detection time, and the scheduler's slack
        seen = set()
        watch_until = time.monotonic() + 1.0
        while time.monotonic() < watch_until:  # and the others stay in, up
            state = monitor.state()
            seen.add(frozenset(_in_service(state) or ()))
            assert state["links"]["wan_b"]["up"] and state["links"]["wan_c"]["up"], state["links"]
            time.sleep(0.05)
        assert seen == {frozenset({"wan_b", "wan_c"})}
        for link, rounds in state["probes"].items():  # no round outlived its deadline (+ the scheduler's slack)
            assert rounds["rounds"] > 20 and rounds["longest_round_seconds"] <= rounds["deadline_seconds"] + SLACK_S, (
                link,
                rounds,
            )
    finally:
        lab.blackhole("wan_a", False)
        monitor.stop()
    print(
        json.dumps(
            {
                "detected_seconds": round(detected, 3),
                "probes": {link: {k: v for k, v in r.items() if k != "names"} for link, r in state["probes"].items()},
            }
        )
    )
    for link in ISPS:  # each provider's resolver was asked by its own link, from that link's address
        assert _queries_from(lab, link) == {SOURCES[link]}, link
