"""The router's resolver for partners by DNS name (issue #23): clamps, guards, last good answer, timeouts."""

import pytest

from symroute_router.monitor import resolver
from symroute_router.monitor.resolver import LookupFailed

TABLE = "inet symroute"
GUARDED = resolver.guarded_networks(["203.0.113.0/24", "2001:db8:5::/64", "100.64.99.0/24", "198.51.100.4/30"])


def _state(family=4, sets=("wan_b_failover_v4",)):
    return resolver.NameState("api.partner.example", family, sets)


def _answer(addresses, ttl=60):
    def lookup(name, family):
        assert name == "api.partner.example"
        return addresses, ttl

    return lookup


def _fails(name, family):
    raise LookupFailed("timeout")


@pytest.mark.parametrize(
    ("ttl", "used"),
    [(0, 5), (1, 5), (4, 5), (5, 5), (29, 29), (300, 300), (86400 * 7, 3600), (-5, 5), (None, 5), (True, 5), (2.5, 5)],
)
def test_ttls_are_clamped(ttl, used):
    assert resolver.clamp_ttl(ttl) == used


def test_an_answer_is_added_with_its_ttl_plus_the_grace_and_looked_up_again_before_expiry():
    state = resolver.look_up(_state(), _answer(["100.64.40.1", "100.64.40.2"], ttl=120), GUARDED, now=1000.0)
    assert state.addresses == ("100.64.40.1", "100.64.40.2") and state.outcome == "ok"
    assert state.due == 1000.0 + 96 < 1000.0 + 120
    assert resolver.transaction(TABLE, [state], {}) == (
        "add element inet symroute wan_b_failover_v4 { 100.64.40.1 timeout 180s }\n"
        "add element inet symroute wan_b_failover_v4 { 100.64.40.2 timeout 180s }\n"
    )


def test_a_present_element_is_renewed_by_delete_and_add_in_one_transaction():
    state = resolver.look_up(_state(), _answer(["100.64.40.1"], ttl=30), GUARDED, now=0.0)
    assert resolver.transaction(TABLE, [state], {"wan_b_failover_v4": {"100.64.40.1"}}) == (
        "delete element inet symroute wan_b_failover_v4 { 100.64.40.1 }\n"
        "add element inet symroute wan_b_failover_v4 { 100.64.40.1 timeout 90s }\n"
    )


def test_a_changed_answer_adds_the_new_address_and_lets_the_old_one_expire():
    state = resolver.look_up(_state(), _answer(["100.64.40.1"]), GUARDED, now=0.0)
    state = resolver.look_up(state, _answer(["100.64.40.9"]), GUARDED, now=50.0)
    text = resolver.transaction(TABLE, [state], {"wan_b_failover_v4": {"100.64.40.1"}})
    assert "100.64.40.9 timeout" in text and "100.64.40.1" not in text  # never deleted early: it expires


def test_a_failed_lookup_keeps_the_last_good_answer_and_exports_its_age():
    state = resolver.look_up(_state(), _answer(["100.64.40.1"], ttl=600), GUARDED, now=0.0)
    state = resolver.look_up(state, _fails, GUARDED, now=500.0)
    assert state.addresses == ("100.64.40.1",)
    assert state.outcome == "failed: timeout (last good answer kept)" and state.due == 530.0
    assert state.metrics(now=520.0)["age_seconds"] == 520.0
    # kept alive until the next try, plus the grace: never an empty set while the resolver is down
    assert "timeout 90s" in resolver.transaction(TABLE, [state], {"wan_b_failover_v4": {"100.64.40.1"}})


def test_a_first_lookup_that_fails_adds_nothing():
    state = resolver.look_up(_state(), _fails, GUARDED, now=0.0)
    assert state.addresses == () and state.metrics(0.0)["age_seconds"] is None
    assert resolver.transaction(TABLE, [state], {}) == ""


@pytest.mark.parametrize(
    "hostile",
    [
        "203.0.113.7",
        "100.64.99.1",
        "198.51.100.6",
        "127.0.0.1",
        "0.0.0.0",
        "169.254.1.1",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_rebinding_and_special_answers_are_refused_and_reported(hostile):
    state = resolver.look_up(_state(), _answer(["100.64.40.1", hostile]), GUARDED, now=0.0)
    assert state.addresses == ("100.64.40.1",)
    assert len(state.refused) == 1 and hostile in state.refused[0]


def test_an_answer_of_refused_addresses_only_keeps_the_last_good_one():
    state = resolver.look_up(_state(), _answer(["100.64.40.1"]), GUARDED, now=0.0)
    state = resolver.look_up(state, _answer(["203.0.113.1"]), GUARDED, now=50.0)
    assert state.addresses == ("100.64.40.1",) and state.outcome.startswith("no usable address")


@pytest.mark.parametrize(
    "hostile",
    [
        "2001:db8:5::1",
        "::1",
        "fe80::1",
        "::ffff:203.0.113.1",
        "ff02::1",
        "100.64.40.1",
        "not an address",
        "100.64.40.1; flush ruleset",
    ],
)
def test_ipv6_guards_and_garbage(hostile):
    state = resolver.look_up(_state(6, ("wan_b_failover_v6",)), _answer(["2001:db8:40::1", hostile]), GUARDED, 0.0)
    assert state.addresses == ("2001:db8:40::1",) and len(state.refused) == 1


def test_addresses_per_name_are_capped():
    answers = [f"100.64.41.{i}" for i in range(1, 101)]
    state = resolver.look_up(_state(), _answer(answers), GUARDED, now=0.0)
    assert len(state.addresses) == resolver.MAX_ADDRESSES and "68 addresses over the cap" in state.refused[-1]
    state = resolver.look_up(state, _answer(answers + ["203.0.113.1"]), GUARDED, now=100.0)
    assert state.refused_total == 68 + 68 + 1  # each lookup's refusals add up, for the counter


def test_names_come_from_the_plan_sets_per_family(router_vars):
    from symroute.plan import build_plan

    router_vars["symroute_partners"].append(
        {"name": "partner-dns", "link": "wan_b", "domains": ["api.partner.example"]}
    )
    states = resolver.names_of(build_plan("edge", router_vars)["nftables"])
    assert [(s.name, s.family, s.sets) for s in states] == [
        ("api.partner.example", 4, ("wan_b_failover_v4",)),
        ("api.partner.example", 6, ("wan_b_failover_v6",)),
    ]


# The stdlib DNS client (dnsquery.py): replies built here, hostile ones included.


def _reply(query_id, name="api.partner.example", family=4, answers=(), flags=0x8180, question=None, count=None):
    import struct

    from symroute_router.monitor import dnsquery

    asked = dnsquery.question(name, family) if question is None else question
    records = b""
    for rtype, ttl, data in answers:
        records += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, ttl, len(data)) + data
    return struct.pack("!HHHHHH", query_id, flags, 1, len(answers) if count is None else count, 0, 0) + asked + records


def test_a_reply_gives_its_addresses_and_the_smallest_ttl_of_the_chain():
    import socket

    from symroute_router.monitor import dnsquery

    cname = (5, 30, b"\x03cdn\x07example\x00")
    packet = _reply(
        7,
        answers=[
            cname,
            (1, 300, socket.inet_aton("100.64.60.10")),
            (1, 300, socket.inet_aton("100.64.60.11")),
            (28, 300, b"\0" * 16),
        ],
    )
    assert dnsquery.parse_reply(packet, 7, "api.partner.example", 4) == (["100.64.60.10", "100.64.60.11"], 30)
    six = _reply(8, family=6, answers=[(28, 60, socket.inet_pton(socket.AF_INET6, "2001:db8:60::10"))])
    assert dnsquery.parse_reply(six, 8, "api.partner.example", 6) == (["2001:db8:60::10"], 60)


@pytest.mark.parametrize(
    ("packet", "error"),
    [
        (b"\x00\x07", "shorter than a header"),
        (_reply(8), "not a reply to this query"),
        (_reply(7, flags=0x0100), "not a reply to this query"),
        (_reply(7, flags=0x8183), "NXDOMAIN"),
        (_reply(7, flags=0x8182), "SERVFAIL"),
        (_reply(7, flags=0x8380), "truncated"),
        (_reply(7, name="evil.example"), "question is not the query's"),
        (_reply(7, count=3, answers=[(1, 5, b"\x01\x02\x03\x04")]), "runs past the end"),
        (_reply(7, answers=[(1, 5, b"\x01\x02\x03\x04")])[:-2], "runs past the end"),
    ],
)
def test_hostile_or_failed_replies_are_lookup_failures(packet, error):
    from symroute_router.monitor import dnsquery

    with pytest.raises(LookupFailed, match=error):
        dnsquery.parse_reply(packet, 7, "api.partner.example", 4)


def test_a_record_of_the_wrong_size_is_ignored_and_the_case_of_the_echoed_question_does_not_matter():
    from symroute_router.monitor import dnsquery

    echoed = dnsquery.question("API.Partner.example", 4)
    packet = _reply(7, question=echoed, answers=[(1, 60, b"\x01\x02\x03"), (1, 60, b"\x64\x40\x3c\x0a")])
    assert dnsquery.parse_reply(packet, 7, "api.partner.example", 4) == (["100.64.60.10"], 60)


def test_servers_come_from_resolv_conf():
    from symroute_router.monitor import dnsquery

    text = "search lab\nnameserver 203.0.113.53\nnameserver fe80::1%eth0\nnameserver junk\n#nameserver 1.1.1.1\n"
    assert dnsquery.servers_of(text) == ["203.0.113.53", "fe80::1"]


# The resolver thread's rounds (resolving.py) with a fake nft.


class _Nft:
    def __init__(self, listing=None, rc=0):
        self.calls, self.listing, self.rc = [], listing or {}, rc

    def run(self, argv, stdin=None):
        import json

        from symroute_router.command import Result

        self.calls.append((argv, stdin))
        if argv[:3] == ["nft", "-j", "list"]:
            elements = [{"elem": {"val": v, "timeout": 90, "expires": 80}} for v in self.listing.get(argv[-1], [])]
            return Result(0, json.dumps({"nftables": [{"metainfo": {}}, {"set": {"elem": elements}}]}), "")
        return Result(self.rc, "", "" if self.rc == 0 else "Error: Could not process rule")


SECTION = {
    "router": "edge",
    "table": "inet symroute",
    "guarded": ["203.0.113.0/24"],
    "sets": [
        {
            "set": "wan_b_failover_v4",
            "family": 4,
            "domains": ["api.partner.example"],
            "static": ["100.64.30.0/24"],
            "mark": "0x200",
        }
    ],
    "partners": {"api.partner.example": "partner-dns"},
}


def test_a_round_looks_up_adds_and_writes_what_it_knows(tmp_path):
    from symroute_router.monitor import resolving

    asked, logged, nft = [], [], _Nft()

    def lookup(server, name, family, timeout, mark):
        asked.append((server, name, family, mark))
        return ["100.64.60.10", "100.64.30.7", "203.0.113.10"], 5

    clock = iter([100.0, 101.0, 101.0, 101.0])
    resolving_ = resolving.Resolving(
        dict(SECTION, servers=["203.0.113.53"]),
        {"state_file": str(tmp_path / "monitor.json"), "textfile": str(tmp_path / "m.prom")},
        logged.append,
        runner=nft,
        lookup=lookup,
        clock=lambda: next(clock),
        wall=lambda: 1.0,
    )
    resolving_.round()
    assert asked == [("203.0.113.53", "api.partner.example", 4, 0x200)]
    load = [stdin for argv, stdin in nft.calls if argv == ["nft", "-f", "-"]]
    # the static prefix already holds 100.64.30.7; the LAN answer is refused; TTL 5 s (the floor) + 60 s grace
    assert load == ["add element inet symroute wan_b_failover_v4 { 100.64.60.10 timeout 65s }\n"]
    assert "refused" in logged[0] and "203.0.113.10" in logged[0]
    prom = (tmp_path / "symroute_resolver.prom").read_text()
    labels = 'router="edge",partner="partner-dns",name="api.partner.example",family="4"'
    assert f"symroute_resolver_addresses{{{labels}}} 2" in prom
    assert f'symroute_resolver_address_info{{{labels},address="100.64.30.7"}} 1' in prom
    assert f'symroute_resolver_address_info{{{labels},address="100.64.60.10"}} 1' in prom
    assert (
        f"symroute_resolver_ttl_seconds{{{labels}}} 5" in prom and f"symroute_resolver_lookup_ok{{{labels}}} 1" in prom
    )
    assert (
        f"symroute_resolver_refused{{{labels}}} 1" in prom and f"symroute_resolver_refused_total{{{labels}}} 1" in prom
    )
    assert f"symroute_resolver_answer_age_seconds{{{labels}}} 1.0" in prom  # looked up at 100, written at 101
    assert '"outcome": "ok"' in (tmp_path / "resolver.json").read_text()


def test_a_round_puts_back_elements_a_table_reload_removed_without_a_lookup(tmp_path):
    from symroute_router.monitor import resolving

    nft = _Nft()
    resolving_ = resolving.Resolving(
        SECTION,
        {"state_file": str(tmp_path / "s.json")},
        lambda line: None,
        runner=nft,
        lookup=lambda *args: (["100.64.60.10"], 300),
        clock=lambda: 0.0,
    )
    resolving_.round()
    nft.calls.clear()
    resolving_.round()  # not due; the listing (empty: reloaded) lacks the element
    assert [stdin for argv, stdin in nft.calls if argv == ["nft", "-f", "-"]] == [
        "add element inet symroute wan_b_failover_v4 { 100.64.60.10 timeout 360s }\n"
    ]
    nft.calls.clear()
    nft.listing = {"wan_b_failover_v4": ["100.64.60.10"]}
    resolving_.round()  # present and not due: nothing to do
    assert [argv for argv, stdin in nft.calls if argv == ["nft", "-f", "-"]] == []


def test_the_next_round_comes_when_the_next_name_is_due_and_at_least_every_two_seconds(tmp_path):
    from symroute_router.monitor import resolving

    now = [0.0]
    resolving_ = resolving.Resolving(
        SECTION,
        {"state_file": str(tmp_path / "s.json")},
        lambda line: None,
        runner=_Nft(),
        lookup=lambda *args: (["100.64.60.10"], 2),
        clock=lambda: now[0],
    )
    assert resolving_.pause() == resolving.MIN_PAUSE_S  # never looked up: due now
    resolving_.round()
    # a TTL of 2 s is used as the floor of 5 s and looked up again at 80 % of it: 4 s later, in two pauses
    assert [state.due for state in resolving_.states] == [4.0]
    assert resolving_.pause() == resolving.ROUND_SECONDS
    now[0] = 3.5
    assert resolving_.pause() == 0.5
    now[0] = 4.0
    assert resolving_.pause() == resolving.MIN_PAUSE_S and resolving_.round() == resolving_.states


def test_resolved_elements_are_not_drift():
    from symroute_router import nftables

    saved = "table inet symroute {\n set s {\n type ipv4_addr\n flags interval,timeout\n elements = { 100.64.30.0/24 }\n }\n}\n"
    live = saved.replace("100.64.30.0/24 }", "100.64.30.0/24, 100.64.60.10 timeout 1m30s expires 1m2s }")
    assert not nftables.drifted(live, saved)
    assert nftables.drifted(saved.replace("100.64.30.0/24", "100.64.31.0/24"), saved)
    assert nftables.drifted(live.replace("100.64.30.0/24, ", ""), saved)  # a static element removed by hand


def test_an_answer_in_a_network_the_router_is_on_now_is_refused(tmp_path):
    import json

    from symroute_router.command import Result
    from symroute_router.monitor import resolving

    class Router(_Nft):
        def run(self, argv, stdin=None):
            if argv[:3] == ["ip", "-json", "addr"]:
                return Result(
                    0,
                    json.dumps(
                        [
                            {
                                "ifname": "wanc",
                                "addr_info": [
                                    {"family": "inet", "local": "100.66.0.10", "prefixlen": 24, "scope": "global"}
                                ],
                            }
                        ]
                    ),
                    "",
                )
            return super().run(argv, stdin)

    nft = Router()
    resolving_ = resolving.Resolving(
        SECTION,
        {"state_file": str(tmp_path / "s.json")},
        lambda line: None,
        runner=nft,
        lookup=lambda *args: (["100.66.0.1", "100.64.60.10"], 60),
        clock=lambda: 0.0,
    )
    resolving_.round()
    state = resolving_.states[0]
    assert state.addresses == ("100.64.60.10",) and "100.66.0.0/24" in state.refused[0]
