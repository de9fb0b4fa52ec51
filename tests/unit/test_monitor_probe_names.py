"""Link probes never depend on the system resolver (issue #23, item 6): a named health target is resolved
through its link, within the round's time, from a last-good cache; a probe round ends at its deadline."""

import socket
import socketserver
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from monitorfakes import FakeClock
from symroute_router.monitor import dnsquery, probe_names, probes, rounds
from symroute_router.monitor.resolver import LookupFailed

LINK = {
    "name": "wan_b",
    "interface": "wanb",
    "addresses": [{"family": 4, "address": "198.51.100.6"}],
    "targets": [],
    "health": {"timeout_ms": 150},
}
DUAL = dict(LINK, addresses=[{"family": 4, "address": "198.51.100.2"}, {"family": 6, "address": "2001:db8:a::2"}])


class Lookups(list):
    """A fake dnsquery.lookup: records each query's arguments and answers from ``answers`` in turn."""

    def __init__(self, *answers):
        super().__init__()
        self.answers = list(answers)

    def __call__(self, server, name, family, timeout, mark, port, interface, source):
        self.append(
            {
                "server": server,
                "name": name,
                "family": family,
                "timeout": timeout,
                "interface": interface,
                "source": source,
            }
        )
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _names(lookups, clock, servers=("192.0.2.53",)):
    return probe_names.LinkNames("wan_b", lookup=lookups, servers=lambda: list(servers), clock=clock)


def test_a_name_is_looked_up_through_the_link_from_its_address_within_the_round():
    clock, lookups = FakeClock(), Lookups((["100.64.80.1"], 300))
    names = _names(lookups, clock)
    assert names.addresses("health.probe.example", LINK, deadline=clock() + 0.15) == [(4, "100.64.80.1")]
    assert lookups == [
        {
            "server": "192.0.2.53",
            "name": "health.probe.example",
            "family": 4,
            "timeout": pytest.approx(0.15),
            "interface": "wanb",
            "source": "198.51.100.6",
        }
    ]


def test_the_answer_is_served_from_the_cache_until_it_is_due_then_looked_up_again():
    clock, lookups = FakeClock(), Lookups((["100.64.80.1"], 100), (["100.64.80.2"], 100))
    names = _names(lookups, clock)
    names.addresses("health.probe.example", LINK, clock() + 0.15)
    clock.advance(79)  # due at 80 % of the TTL
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [(4, "100.64.80.1")]
    assert len(lookups) == 1
    clock.advance(1)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [(4, "100.64.80.2")]
    assert len(lookups) == 2


def test_a_failed_lookup_keeps_the_last_good_answer_with_its_age_and_leaves_the_probe_half_the_time():
    clock, lookups = FakeClock(), Lookups((["100.64.80.1"], 30), LookupFailed("no reply within 0.075 s"))
    names = _names(lookups, clock)
    names.addresses("health.probe.example", LINK, clock() + 0.15)
    clock.advance(24)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [(4, "100.64.80.1")]
    assert lookups[1]["timeout"] == pytest.approx(0.075)  # half the round: the probe can still use the answer
    [entry] = names.report()
    assert entry["addresses"] == ["100.64.80.1"] and entry["age_seconds"] == 24
    assert entry["outcome"] == "failed: no reply within 0.075 s (last good answer kept)"


def test_the_metrics_show_each_links_target_names_their_answer_age_and_last_outcome():
    from symroute_router.monitor import publish

    clock, lookups = FakeClock(), Lookups((["100.64.80.1"], 30), LookupFailed("timeout"))
    names = _names(lookups, clock)
    names.addresses("health.probe.example", LINK, clock() + 0.15)
    clock.advance(24)
    names.addresses("health.probe.example", LINK, clock() + 0.15)
    snapshot = {
        "router": "edge",
        "links": {},
        "partners": {},
        "updated": 1.0,
        "probes": {"wan_b": {"names": names.report()}},
    }
    text = publish.metrics(snapshot)
    labels = 'router="edge",link="wan_b",name="health.probe.example",family="4"'
    assert f"symroute_probe_name_addresses{{{labels}}} 1\n" in text  # the last good answer, kept
    assert f"symroute_probe_name_answer_age_seconds{{{labels}}} 24" in text
    assert f"symroute_probe_name_lookup_ok{{{labels}}} 0\n" in text


def test_a_failed_lookup_is_tried_again_after_the_retry_time_not_every_round():
    clock, lookups = FakeClock(), Lookups(LookupFailed("timeout"), (["100.64.80.1"], 60))
    names = _names(lookups, clock)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == []  # never resolved: a miss
    clock.advance(probe_names.RETRY_S - 0.1)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [] and len(lookups) == 1
    clock.advance(0.1)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [(4, "100.64.80.1")]


def test_a_lookup_never_passes_the_deadline_nor_the_time_limit_and_none_starts_after_it():
    clock, lookups = FakeClock(), Lookups((["100.64.80.1"], 60), (["100.64.80.1"], 60))
    names = _names(lookups, clock)
    names.addresses("a.probe.example", LINK, clock() + 30)
    assert lookups[-1]["timeout"] == probe_names.LOOKUP_TIMEOUT_S
    assert names.addresses("b.probe.example", LINK, clock() - 0.01) == [] and len(lookups) == 1


def test_servers_share_the_time_and_the_next_lookup_starts_from_the_one_that_answered():
    clock = FakeClock()
    lookups = Lookups(LookupFailed("no reply"), (["100.64.80.1"], 30), (["100.64.80.1"], 30))
    names = _names(lookups, clock, servers=("192.0.2.53", "192.0.2.54"))
    names.addresses("health.probe.example", LINK, clock() + 0.2)
    assert [(q["server"], q["timeout"]) for q in lookups] == [
        ("192.0.2.53", pytest.approx(0.1)),
        ("192.0.2.54", pytest.approx(0.2)),
    ]
    clock.advance(24)
    names.addresses("health.probe.example", LINK, clock() + 0.2)
    assert lookups[-1]["server"] == "192.0.2.54"


def test_an_ipv6_server_is_asked_only_through_a_link_with_an_ipv6_address():
    clock, lookups = FakeClock(), Lookups()
    names = _names(lookups, clock, servers=("2001:db8:53::53",))
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == [] and lookups == []
    assert "no DNS server reachable through the link" in names.report()[0]["outcome"]
    lookups.answers = [([], 30), (["2001:db8:80::1"], 30)]
    names = _names(lookups, clock, servers=("2001:db8:53::53",))
    assert names.addresses("health.probe.example", DUAL, clock() + 0.15) == [(6, "2001:db8:80::1")]
    assert lookups[-1]["source"] == "2001:db8:a::2"


def test_a_special_use_answer_is_refused():
    clock, lookups = FakeClock(), Lookups((["127.0.0.1"], 30))
    names = _names(lookups, clock)
    assert names.addresses("health.probe.example", LINK, clock() + 0.15) == []
    assert "special-use" in names.report()[0]["refused"][0]


def test_the_system_servers_leave_out_loopback_stubs_and_fall_back_to_systemd_resolveds_upstreams():
    files = {
        "/etc/resolv.conf": "nameserver 127.0.0.53\noptions edns0\n",
        "/run/systemd/resolve/resolv.conf": "nameserver 192.0.2.53\nnameserver 2001:db8:53::53\n",
    }
    assert probe_names.system_servers(files.get) == ["192.0.2.53", "2001:db8:53::53"]
    files["/etc/resolv.conf"] = "nameserver 127.0.0.1\nnameserver 198.51.100.53\n"
    assert probe_names.system_servers(files.get) == ["198.51.100.53"]
    assert probe_names.system_servers({}.get) == []


def test_a_probe_of_a_named_target_never_calls_the_system_resolver(monkeypatch):
    def no_system_resolver(*args, **kwargs):
        raise AssertionError("getaddrinfo called for a link probe")

    monkeypatch.setattr(socket, "getaddrinfo", no_system_resolver)
    lookups = Lookups(LookupFailed("no reply"))
    names = probe_names.LinkNames("wan_b", lookup=lookups, servers=lambda: ["192.0.2.53"])
    target = {"kind": "https", "host": "health.probe.example", "family": 0, "port": 443, "path": "/"}
    assert probes.probe_target(target, LINK, 0.1, names) is None
    assert probes.probe_target(target, LINK, 0.1) is None  # no name cache: a miss, not the system resolver
    assert len(lookups) == 1


class _Dns(socketserver.BaseRequestHandler):
    def handle(self):
        packet, sock = self.request
        self.server.seen.append(self.client_address[0])
        name_end = packet.index(b"\0", 12) + 5
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 120, 4) + socket.inet_aton("100.64.80.1")
        sock.sendto(
            packet[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0) + packet[12:name_end] + answer,
            self.client_address,
        )


def test_the_lookup_socket_is_bound_to_the_interface_and_source_address():
    server = socketserver.UDPServer(("127.0.0.1", 0), _Dns)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        found = dnsquery.lookup(
            "127.0.0.1", "health.probe.example", 4, 1.0, None, server.server_address[1], "lo", "127.0.0.2"
        )
        assert found == (["100.64.80.1"], 120) and server.seen == ["127.0.0.2"]
        with pytest.raises(LookupFailed):  # bound to an interface that cannot reach the server
            dnsquery.lookup("127.0.0.1", "health.probe.example", 4, 0.2, None, server.server_address[1], "no-such-if0")
    finally:
        server.shutdown()
        server.server_close()


def test_a_round_ends_at_its_deadline_whatever_a_probe_does():
    link = dict(LINK, targets=[{"kind": "https"}, {"kind": "https"}], health={"timeout_ms": 300})
    stuck, sent = threading.Event(), []

    def probe(target, link, timeout, names, deadline):
        sent.append(target)
        if target is link["targets"][0]:
            stuck.wait(10)  # a lookup or connect that does not return
        return 0.001

    prober = rounds.LinkProber(link, probe=probe)
    deadline = 0.3 + rounds.DEADLINE_SLACK_S
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            started = time.monotonic()
            assert prober.round(pool) == [0.001]  # the stuck probe is a miss, the quick one counts
            first = time.monotonic() - started
            assert prober.round(pool) == [0.001]  # still stuck: not sent again, missed again
            second = time.monotonic() - started - first
        finally:
            stuck.set()
    assert deadline - 0.01 <= first < deadline + 0.2  # the deadline, not the stuck probe's 10 s
    assert second < deadline + 0.2
    stuck_probes = sum(target is link["targets"][0] for target in sent)
    assert stuck_probes == 1 and len(sent) == 3  # the stuck target got no second probe while its first ran
    report = prober.report()
    assert report["rounds"] == 2 and report["late_probes"] == 2
    assert report["deadline_seconds"] == 0.32 and report["longest_round_seconds"] < deadline + 0.2


def test_a_probe_that_raises_is_a_missed_probe_and_the_round_goes_on():
    link = dict(LINK, targets=[{"kind": "https"}, {"kind": "https"}], health={"timeout_ms": 300})

    def probe(target, link, timeout, names, deadline):
        if target is link["targets"][0]:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a resolv.conf that is not UTF-8")
        return 0.002

    prober = rounds.LinkProber(link, probe=probe)
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert prober.round(pool) == [0.002]
        assert prober.round(pool) == [0.002]  # the link's probe thread lives on


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(13, "Permission denied"),
        IsADirectoryError(21, "Is a directory"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ],
)
def test_an_unreadable_resolv_conf_reads_as_no_server_and_the_next_file_is_tried(error):
    def read(path):
        if path == probe_names.RESOLV_CONFS[0]:
            raise error
        return "nameserver 198.51.100.53\n"

    assert probe_names.system_servers(read) == ["198.51.100.53"]


def _partner_names(lookups, clock):
    return probe_names.LinkNames(
        "partner partner-dns's path", lookup=lookups, servers=lambda: ["192.0.2.53"], clock=clock, mark=0x200
    )


def test_a_partner_checks_name_is_looked_up_with_the_partners_mark_never_by_the_system_resolver(monkeypatch):
    def no_system_resolver(*args, **kwargs):
        raise AssertionError("getaddrinfo called for a partner check")

    connected = []

    def connect(family, host, port, timeout, interface=None, source=None, mark=None):
        connected.append((family, host, port, mark))
        raise OSError("unreachable in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_system_resolver)
    monkeypatch.setattr(probes, "_connect", connect)
    clock, lookups = FakeClock(), Lookups((["100.64.60.10"], 300))
    names = _partner_names(lookups, clock)
    check = {"kind": "tcp", "host": "api.partner.example", "family": 0, "port": 443, "path": "/"}
    assert probes.check_partner(check, 0x200, 2.0, names) == (None, None)
    assert connected == [(4, "100.64.60.10", 443, 0x200)]
    # the query: the partner's mark, no interface and no source (the mark routes it: pinned link, else failover)
    assert [(q["name"], q["family"], q["interface"], q["source"]) for q in lookups] == [
        ("api.partner.example", 4, None, None)
    ]
    assert lookups[0]["timeout"] <= probe_names.LOOKUP_TIMEOUT_S  # within the check's time, at most 1 s
    assert probes.check_partner(check, 0x200, 2.0) == (None, None)  # no cache: a failed check, no system lookup
    assert probes.check_partner(dict(check, host="100.64.60.11"), 0x200, 2.0)[0] is None  # a literal: no lookup
    assert connected[-1] == (4, "100.64.60.11", 443, 0x200) and len(lookups) == 1


def test_a_partner_checks_name_keeps_its_last_good_answer_and_is_not_looked_up_every_check(monkeypatch):
    connected = []

    def connect(family, host, *args, **kwargs):
        connected.append(host)
        raise OSError("unreachable in this test")

    monkeypatch.setattr(probes, "_connect", connect)
    clock, lookups = FakeClock(), Lookups((["100.64.60.10"], 30), LookupFailed("no reply within 1 s"))
    names = _partner_names(lookups, clock)
    check = {"kind": "tcp", "host": "api.partner.example", "family": 4, "port": 443, "path": "/"}
    probes.check_partner(check, 0x200, 2.0, names)
    clock.advance(10)
    probes.check_partner(check, 0x200, 2.0, names)  # fresh: served from the cache
    assert len(lookups) == 1
    clock.advance(20)  # due (80 % of 30 s): looked up again, fails, the last good answer is used
    probes.check_partner(check, 0x200, 2.0, names)
    assert len(lookups) == 2 and connected == ["100.64.60.10"] * 3
    [entry] = names.report()
    assert entry["outcome"] == "failed: no reply within 1 s (last good answer kept)" and entry["age_seconds"] == 30
