"""symroute doctor's conntrack signature: real `conntrack -L` lines, grouping by destination prefix and
egress link, and a sampling window in which a connection's latest state wins."""

import json

from test_doctor_fakes import Replay, replayed, sample

from symroute_router.command import Result
from symroute_router.doctor import conntrack, diagnose, options

CT4 = ("conntrack", "-L", "-f", "ipv4", "-p", "tcp")
CT6 = ("conntrack", "-L", "-f", "ipv6", "-p", "tcp")
LENGTHS = {4: 24, 6: 48}
# Recorded in an sdoc- namespace (conntrack-tools 1.4.7); the last with a connection mark (0x100).
SYN_SENT = (
    "tcp      6 119 SYN_SENT src=203.0.113.10 dst=100.64.20.10 sport=44104 dport=80 [UNREPLIED] "
    "src=100.64.20.10 dst=203.0.113.10 sport=80 dport=44104 mark=0 use=1"
)
ESTABLISHED = (
    "tcp      6 431999 ESTABLISHED src=203.0.113.10 dst=100.64.20.10 sport=44104 dport=80 "
    "src=100.64.20.10 dst=203.0.113.10 sport=80 dport=44104 [ASSURED] mark=0 use=1"
)
MARKED = (
    "tcp      6 58 CLOSE_WAIT src=198.51.100.6 dst=100.64.20.10 sport=56117 dport=80 src=100.64.20.10 "
    "dst=198.51.100.6 sport=80 dport=56117 [ASSURED] mark=256 use=1"
)
SYN_SENT6 = (
    "tcp      6 119 SYN_SENT src=2001:db8:5::10 dst=2001:db8:20::10 sport=57996 dport=80 [UNREPLIED] "
    "src=2001:db8:20::10 dst=2001:db8:5::10 sport=80 dport=57996 mark=0 use=1"
)
LINKS = [{"name": "wan_a", "interface": "wana"}, {"name": "wan_b", "interface": "wanb"}]


def test_lines_parse_with_the_original_tuple():
    assert conntrack.parse_line(SYN_SENT) == {
        "state": "SYN_SENT",
        "unreplied": True,
        "mark": 0,
        "src": "203.0.113.10",
        "dst": "100.64.20.10",
        "sport": "44104",
        "dport": "80",
    }
    marked = conntrack.parse_line(MARKED)
    assert (marked["state"], marked["unreplied"], marked["mark"], marked["src"]) == (
        "CLOSE_WAIT",
        False,
        256,
        "198.51.100.6",
    )
    assert conntrack.parse_line(SYN_SENT6)["dst"] == "2001:db8:20::10"
    for other in (
        "",
        "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.",
        "udp      17 29 src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 mark=0 use=1",
    ):
        assert conntrack.parse_line(other) is None


def test_every_recorded_line_parses():
    lines = [
        line
        for argv, _, stdout, _ in sample("incident")["commands"]
        if argv[0] == "conntrack"
        for line in stdout.splitlines()
    ]
    assert lines and all(conntrack.parse_line(line) for line in lines)


def _replay(*reads, routes=None):
    replay = Replay({"commands": []})
    replay.set(CT4, *(Result(0, text, "") for text, _ in reads))
    replay.set(CT6, *(Result(0, text, "") for _, text in reads))
    for (address, mark), device in (routes or {}).items():
        argv = ["ip", "-json", "route", "get", address] + (["mark", mark] if mark else [])
        replay.set(argv, Result(0, json.dumps([{"dst": address, "dev": device}]), ""))
    return replay


def test_a_connection_answered_during_the_window_counts_as_answered():
    slept = []
    replay = _replay((SYN_SENT + "\n", ""), (ESTABLISHED + "\n", ""), routes={("100.64.20.10", None): "wana"})
    section = conntrack.read(replay, LINKS, 2, LENGTHS, slept.append)
    assert slept == [1, 1]
    assert [c for c in replay.calls if c[0] == "conntrack"] == [CT4, CT6] * 3
    assert section["connections"] == 1
    assert [(g["prefix"], g["link"], g["answered"], g["unanswered"]) for g in section["groups"]] == [
        ("100.64.20.0/24", "wan_a", 1, 0)
    ]


def test_unanswered_connections_group_by_prefix_and_link_with_the_mark_routed():
    other = (
        SYN_SENT.replace("sport=44104", "sport=44105")
        .replace("dport=44104", "dport=44105")
        .replace("100.64.20.10", "100.64.20.99")
    )
    replay = _replay(
        (f"{SYN_SENT}\n{other}\n{MARKED}\n", SYN_SENT6 + "\n"),
        routes={
            ("100.64.20.10", None): "wana",
            ("100.64.20.99", None): "wana",
            ("100.64.20.10", "0x100"): "wanb",
            ("2001:db8:20::10", None): "wana",
        },
    )
    section = conntrack.read(replay, LINKS, 0, LENGTHS, None)
    assert [(g["family"], g["prefix"], g["link"], g["answered"], g["unanswered"]) for g in section["groups"]] == [
        (4, "100.64.20.0/24", "wan_a", 0, 2),
        (4, "100.64.20.0/24", "wan_b", 1, 0),
        (6, "2001:db8:20::/48", "wan_a", 0, 1),
    ]
    assert section["groups"][0]["example"] == {"address": "100.64.20.10", "port": 80}
    assert section["groups"][0]["sources"] == ["203.0.113.10"]


def test_connections_not_leaving_by_a_wan_link_are_counted_apart():
    replay = _replay((SYN_SENT + "\n", ""), routes={("100.64.20.10", None): "lan"})
    section = conntrack.read(replay, LINKS, 0, LENGTHS, None)
    assert (section["groups"], section["not_via_wan"]) == ([], 1)


def test_conntrack_missing_is_said_not_an_error():
    recording, replay, connector, read = replayed("incident")
    replay.remove("conntrack")
    report = diagnose(
        replay,
        {"targets": options.targets(["100.64.20.10:80"]), "links": {"wana": "wan_a"}, "monitor_config": "/nonexistent"},
        read_sysctl=read,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=0,
    )
    assert report["conntrack"] == {
        "available": False,
        "reason": "conntrack (conntrack-tools) is not installed",
        "watch_s": 0,
        "connections": 0,
        "not_via_wan": 0,
        "from_router": 0,
        "groups": [],
    }
    assert not [f for f in report["findings"] if f["kind"] == "conntrack-unanswered"]
    assert [f["kind"] for f in report["findings"]][0] == "asymmetric-return-path"


def test_the_recorded_incident_shows_the_signature_over_its_window():
    recording, replay, connector, read = replayed("incident")
    report = diagnose(
        replay,
        {"watch_s": 2, "links": {"wana": "wan_a", "wanb": "wan_b"}, "monitor_config": "/nonexistent"},
        read_sysctl=read,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=0,
    )
    found = [f for f in report["findings"] if f["kind"] == "conntrack-unanswered"]
    assert [f["subject"] for f in found] == ["100.64.20.0/24 via wan_a", "2001:db8:20::/48 via wan_a"]
    assert found[0]["evidence"]["unanswered"] == 3 and found[0]["evidence"]["answered"] == 0
    assert "symroute doctor --target 100.64.20.10:80" in found[0]["fix"]
    assert found[0]["partner_entry"]["entry"]["prefixes"] == ["100.64.20.0/24"]
    assert found[1]["partner_entry"]["entry"]["health_check"] == "tcp://[2001:db8:20::10]:80"


def test_connections_the_router_opened_itself_are_left_out():
    """The doctor's own probes of an earlier run (from the router's addresses) never look like the site's."""
    own = SYN_SENT.replace("src=203.0.113.10", "src=203.0.113.1").replace("dst=203.0.113.10", "dst=203.0.113.1")
    replay = _replay((f"{own}\n{MARKED}\n", ""), routes={("100.64.20.10", "0x100"): "wanb"})
    section = conntrack.read(replay, LINKS, 0, LENGTHS, None, local=["203.0.113.1", "198.51.100.6", "2001:db8:5::1"])
    assert (section["connections"], section["from_router"], section["groups"]) == (2, 2, [])
