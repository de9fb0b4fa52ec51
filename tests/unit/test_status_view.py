"""symroute-status (module_utils/symroute_router/status.py) on recorded monitor state, including hostile input."""

import io
import json

import pytest

from symroute_router import status

NOW = 1765043001.0
CONFIG = {
    "router": "gw1",
    "monitor": {
        "links": [
            {
                "name": "fiber",
                "interface": "eth1",
                "targets": [{"text": "100.64.1.2"}],
                "addresses": [{"family": 4, "address": "198.51.100.2"}, {"family": 6, "address": "2001:db8:a::2"}],
            },
            {"name": "lte", "interface": "wwan0", "targets": [], "addresses": []},
        ],
        "partners": [
            {"name": "stripe-api", "link": "fiber", "on_link_failure": "failover"},
            {"name": "bank", "link": "lte", "on_link_failure": "failover"},
        ],
    },
}


def _link(**fields):
    entry = {
        "up": True,
        "carrier": True,
        "gated": False,
        "decided_gated": False,
        "interface_present": True,
        "reason": "monitor started",
        "since": NOW - 3600,
        "transitions": 0,
        "rtt_seconds": 0.012,
        "loss_ratio": 0.0,
    }
    entry.update(fields)
    return entry


def _state(**links):
    return {
        "router": "gw1",
        "updated": NOW - 0.5,
        "kernel_holds_decision": True,
        "drill": None,
        "links": {"fiber": links.get("fiber", _link()), "lte": links.get("lte", _link())},
        "partners": {
            "stripe-api": {
                "pinned_link": "fiber",
                "reachable": True,
                "latency_seconds": 0.02,
                "link": "fiber",
                "off_pinned_link": False,
            }
        },
        "learned": {
            "lte": {"ipv4": {"policy": "learned", "address": "100.64.3.2", "gateway": "100.64.3.1", "changes": 1}}
        },
        "repairs": {"total": 2, "failures": 0, "last": None, "nftables": {"total": 0, "last": None}},
    }


def run(tmp_path, state, config=CONFIG, *args):
    (tmp_path / "state.json").write_text(state if isinstance(state, str) else json.dumps(state))
    (tmp_path / "config.json").write_text(json.dumps(config))
    out = io.StringIO()
    code = status.main(
        ["--state", str(tmp_path / "state.json"), "--config", str(tmp_path / "config.json"), *args], out=out, now=NOW
    )
    return code, out.getvalue()


def test_all_in_service_exits_0_with_links_addresses_and_partners(tmp_path):
    code, text = run(tmp_path, _state())
    assert code == 0
    lines = text.splitlines()
    assert lines[:2] == [
        "symroute status of gw1",
        "monitor: running, state 0.5 s old, the kernel holds its decision, 2 repairs",
    ]
    fiber = next(line for line in lines if line.split()[:2] == ["fiber", "eth1"])
    assert "in service" in fiber and "198.51.100.2, 2001:db8:a::2" in fiber and "12.0 ms" in fiber
    lte = next(line for line in lines if line.split()[:2] == ["lte", "wwan0"])
    assert "100.64.3.2 (learned, gateway 100.64.3.1)" in lte
    assert any(line.split()[:4] == ["stripe-api", "-", "fiber", "fiber"] for line in lines)
    assert any(line.split()[:5] == ["bank", "-", "lte", "not", "checked"] for line in lines)


def test_a_failover_is_shown_with_the_last_transition_and_exit_1(tmp_path):
    state = _state(
        fiber=_link(
            up=False,
            gated=True,
            reason="3 rounds without an answer",
            since=NOW - 10,
            transitions=1,
            rtt_seconds=None,
            loss_ratio=0.6,
        )
    )
    state["partners"]["stripe-api"].update(link="lte", off_pinned_link=True)
    code, text = run(tmp_path, state)
    assert code == 1
    assert "fiber: 3 rounds without an answer" in text
    assert "failed over (fiber not in service)" in text
    assert "Last transition: fiber at " in text and "(now out of service: 3 rounds without an answer)" in text
    document = json.loads(run(tmp_path, state, CONFIG, "--format", "json")[1])
    assert document["last_transition"]["link"] == "fiber"
    assert {p["name"]: p["link_now"] for p in document["partners"]} == {"stripe-api": "lte", "bank": None}


@pytest.mark.parametrize(
    "fields, shown",
    [
        ({"interface_present": False}, "interface missing"),
        ({"carrier": False}, "no carrier"),
        ({"up": False}, "down"),
        ({"gated": True}, "out of service"),
    ],
)
def test_link_states_in_words(tmp_path, fields, shown):
    code, text = run(tmp_path, _state(lte=_link(**fields)))
    assert code == 1
    assert shown in next(line for line in text.splitlines() if line.startswith("  lte "))


def test_a_drill_is_named(tmp_path):
    state = _state(fiber=_link(gated=True))
    state["drill"] = {"link": "fiber", "until": NOW + 30}
    _, text = run(tmp_path, state)
    assert "out of service (drill)" in text and "Drill in progress: fiber out of service until" in text


def test_a_partner_off_its_link_while_it_is_in_service_is_called_out(tmp_path):
    state = _state()
    state["partners"]["stripe-api"].update(link="lte", off_pinned_link=True)
    code, text = run(tmp_path, state)
    assert code == 1 and "OFF ITS PINNED LINK while that link is in service" in text


def test_an_old_state_file_means_the_monitor_is_not_running(tmp_path):
    state = dict(_state(), updated=NOW - 60)
    code, text = run(tmp_path, state)
    assert code == 3 and "monitor: NOT RUNNING (its state is 60 s old)" in text


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "[]",
        "null",
        '{"links": 5, "partners": "x", "updated": "y"}',
        '{"links": {"a": 1, "b": {"since": "x"}}, "updated": 1e400}',
    ],
)
def test_hostile_or_broken_state_never_raises(tmp_path, content):
    code, text = run(tmp_path, content)
    assert code in (1, 3) and text.startswith("symroute status of ")


def test_hostile_names_are_printed_without_control_characters(tmp_path):
    state = _state()
    state["links"]["evil\n\x1b[31mlink"] = state["links"].pop("lte")
    _, text = run(tmp_path, state)
    assert "\x1b" not in text and "evil??[31mlink" in text


def test_no_state_file(tmp_path):
    out = io.StringIO()
    assert status.main(["--state", str(tmp_path / "none"), "--config", str(tmp_path / "none")], out=out) == 3
    assert f"monitor: NOT RUNNING ({tmp_path / 'none'} does not exist)" in out.getvalue()


def test_a_partner_that_does_not_answer_needs_attention(tmp_path):
    state = _state()
    state["partners"]["stripe-api"].update(reachable=False, latency_seconds=None, link=None)
    code, text = run(tmp_path, state)
    assert code == 1
    row = next(line for line in text.splitlines() if line.split()[:1] == ["stripe-api"])
    assert row.split()[1:4] == ["-", "fiber", "unknown"] and "NO ANSWER" in row and "OFF" not in row


# Paths per family: the configuration's ``paths`` (the plan's verification probes) and the kernel's answers.
PATHS = [
    {
        "partner": "stripe-api",
        "family": 4,
        "address": "100.64.20.0",
        "mark": "0x100",
        "link": "fiber",
        "interface": "eth1",
        "failover_links": ["lte"],
    },
    {
        "partner": "stripe-api",
        "family": 6,
        "address": "2001:db8:20::",
        "mark": "0x100",
        "link": "fiber",
        "interface": "eth1",
        "failover_links": ["lte"],
    },
    {
        "partner": "ledger",
        "family": 4,
        "address": "100.64.21.0",
        "mark": "0x8100",
        "link": "fiber",
        "interface": "eth1",
        "failover_links": [],
    },
    {
        "partner": "batch",
        "family": 4,
        "address": "100.64.22.0",
        "mark": "0x200",
        "link": "lte",
        "interface": "wwan0",
        "failover_links": ["fiber"],
    },
]
FAMILIES = {"fiber": [4, 6], "lte": [4]}


class KernelRoutes:
    """Answers `ip -N -json route get ADDRESS mark MARK` from {(address, mark): device or None (prohibit)}."""

    def __init__(self, routes):
        self.routes, self.asked = routes, []

    def run(self, argv, stdin=None):
        from symroute_router.command import Result

        assert argv[0] == "ip" and "get" in argv and "mark" in argv, argv
        address, mark = argv[argv.index("get") + 1], argv[argv.index("mark") + 1]
        self.asked.append((address, mark))
        device = self.routes[(address, mark)]
        if device is None:
            return Result(2, "", "RTNETLINK answers: Permission denied")
        if device == "TIMEOUT":  # the Runner's answer for a command it killed
            return Result(124, "", "ip: killed after 5 s (timed out)")
        return Result(0, json.dumps([{"dst": address, "dev": device, "prefsrc": "198.51.100.2"}]), "")


def _paths_config():
    config = json.loads(json.dumps(CONFIG))
    for link in config["monitor"]["links"]:
        link["families"] = FAMILIES[link["name"]]
    config["monitor"]["partners"] = [config["monitor"]["partners"][0]]  # only stripe-api has a health check
    config["paths"] = PATHS
    return config


def run_with_kernel(tmp_path, state, routes, *args):
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "config.json").write_text(json.dumps(_paths_config()))
    out, kernel = io.StringIO(), KernelRoutes(routes)
    code = status.main(
        ["--state", str(tmp_path / "state.json"), "--config", str(tmp_path / "config.json"), *args],
        out=out,
        now=NOW,
        runner=kernel,
    )
    return code, out.getvalue(), kernel


IN_SERVICE = {
    ("100.64.20.0", "0x100"): "eth1",
    ("2001:db8:20::", "0x100"): "eth1",
    ("100.64.21.0", "0x8100"): "eth1",
    ("100.64.22.0", "0x200"): "wwan0",
}


def test_every_partner_has_its_path_per_family_from_the_kernel_health_check_or_not(tmp_path):
    code, text, kernel = run_with_kernel(tmp_path, _state(), IN_SERVICE)
    assert code == 0, text
    assert sorted(kernel.asked) == sorted(IN_SERVICE)  # one question per partner and family, with its mark
    rows = [line.split() for line in text.splitlines()]
    assert ["stripe-api", "IPv4", "fiber", "fiber", "answered", "in", "20.0", "ms"] in rows
    assert ["IPv6", "fiber", "fiber"] in rows
    assert ["ledger", "IPv4", "fiber", "fiber", "-"] in rows  # no health check, still shown
    assert ["batch", "IPv4", "lte", "lte", "-"] in rows
    document = json.loads(run_with_kernel(tmp_path, _state(), IN_SERVICE, "--format", "json")[1])
    batch = next(p for p in document["partners"] if p["name"] == "batch")
    assert batch["paths"] == [
        {
            "partner": "batch",
            "family": 4,
            "address": "100.64.22.0",
            "pinned_link": "lte",
            "link_now": "lte",
            "device": "wwan0",
            "planned_link": "lte",
            "as_planned": True,
            "pinned_carries_family": True,
            "unknown": None,
        }
    ]


def test_a_failover_shows_each_family_where_the_plan_wants_it_and_a_fail_closed_partner_rejected(tmp_path):
    state = _state(fiber=_link(up=False, gated=True, reason="3 rounds without an answer", transitions=1))
    state["partners"]["stripe-api"].update(link="lte", off_pinned_link=True)
    routes = {
        **IN_SERVICE,
        ("100.64.20.0", "0x100"): "wwan0",
        ("2001:db8:20::", "0x100"): None,
        ("100.64.21.0", "0x8100"): None,
    }
    code, text, _ = run_with_kernel(tmp_path, state, routes)
    assert code == 1  # a link out of service
    rows = {tuple(line.split()[:4]): line for line in text.splitlines()}
    rows.update({tuple(line.split()[:3]): line for line in text.splitlines()})
    assert "failed over (fiber not in service)" in rows[("stripe-api", "IPv4", "fiber", "lte")]
    assert "rejected: no link of its order in service" in rows[("IPv6", "fiber", "none")]  # lte has no IPv6
    assert "rejected: no link of its order in service" in rows[("ledger", "IPv4", "fiber", "none")]
    assert "NOT WHERE" not in text


def test_a_path_the_plan_does_not_want_is_called_out_and_needs_attention(tmp_path):
    routes = {**IN_SERVICE, ("100.64.22.0", "0x200"): "eth1"}  # batch leaves by fiber while lte is in service
    code, text, _ = run_with_kernel(tmp_path, _state(), routes)
    assert code == 1
    row = next(line for line in text.splitlines() if line.split()[:1] == ["batch"])
    assert row.split()[1:4] == ["IPv4", "lte", "fiber"] and "NOT WHERE THE PLAN WANTS IT (plan: lte)" in row


@pytest.mark.parametrize(
    "entry",
    [
        {"partner": "x", "family": 4, "address": "2001:db8::1", "mark": "0x1", "link": "fiber"},
        {"partner": "x", "family": 4, "address": "100.64.1.1; reboot", "mark": "0x1", "link": "fiber"},
        {"partner": "x", "family": 4, "address": "100.64.1.1", "mark": "nope", "link": "fiber"},
        {"partner": "x", "family": 4.0, "address": "100.64.1.1", "mark": "0x1", "link": "fiber"},
        {"partner": ["x"], "family": 4, "address": "100.64.1.1", "mark": "0x1", "link": "fiber"},
        "100.64.1.1",
        None,
    ],
)
def test_a_hostile_path_entry_is_never_asked_of_the_kernel(tmp_path, entry):
    config = _paths_config()
    config["paths"] = [entry]
    (tmp_path / "state.json").write_text(json.dumps(_state()))
    (tmp_path / "config.json").write_text(json.dumps(config))
    kernel = KernelRoutes({})
    status.main(
        ["--state", str(tmp_path / "state.json"), "--config", str(tmp_path / "config.json")],
        out=io.StringIO(),
        now=NOW,
        runner=kernel,
    )
    assert kernel.asked == []


RESOLVER = {
    "updated": NOW - 1,
    "failed_loads": 0,
    "names": [
        {
            "name": "api.partner.example",
            "family": 4,
            "sets": ["p4"],
            "addresses": ["100.64.30.10", "100.64.30.11"],
            "age_seconds": 12.4,
            "ttl": 60,
            "outcome": "ok",
            "refused": [],
        },
        {
            "name": "api.partner.example",
            "family": 6,
            "sets": ["p6"],
            "addresses": [],
            "age_seconds": None,
            "ttl": 30,
            "outcome": "no usable address",
            "refused": ["fd10::5 is in the router's own network fd10::/64 (refused: DNS rebinding)"],
        },
    ],
}


def test_partners_names_show_what_the_resolver_holds_and_a_lookup_that_did_not_end_well_needs_attention(tmp_path):
    (tmp_path / "resolver.json").write_text(json.dumps(RESOLVER))
    code, text = run(tmp_path, _state())
    assert code == 1  # the IPv6 lookup found no usable address
    rows = {tuple(line.split()[:2]): line for line in text.splitlines() if line.startswith("  api.")}
    assert (
        "100.64.30.10, 100.64.30.11" in rows[("api.partner.example", "IPv4")]
        and "12 s" in rows[("api.partner.example", "IPv4")]
        and rows[("api.partner.example", "IPv4")].rstrip().endswith("ok")
    )
    assert "no usable address; refused: fd10::5 is in the router's own network" in rows[("api.partner.example", "IPv6")]
    document = json.loads(run(tmp_path, _state(), CONFIG, "--format", "json")[1])
    assert [(n["family"], n["attention"]) for n in document["names"]] == [(4, False), (6, True)]
    (tmp_path / "resolver.json").write_text(json.dumps(dict(RESOLVER, names=RESOLVER["names"][:1])))
    assert run(tmp_path, _state())[0] == 0


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "[]",
        '{"names": 5}',
        '{"names": [1, {"family": true}]}',
        '{"names": [{"name": "\\u001b[31mx", "family": 4, "age_seconds": 1e400}]}',
    ],
)
def test_a_broken_or_hostile_resolver_file_never_raises(tmp_path, content):
    (tmp_path / "resolver.json").write_text(content)
    code, text = run(tmp_path, _state())
    assert code in (0, 1) and "\x1b" not in text


def test_a_router_without_names_has_no_names_section(tmp_path):
    code, text = run(tmp_path, _state())
    assert code == 0 and "Partners' names" not in text
    assert json.loads(run(tmp_path, _state(), CONFIG, "--format", "json")[1])["names"] == []


def test_an_ip_that_fails_is_unknown_and_needs_attention_never_a_rejection(tmp_path):
    routes = {**IN_SERVICE, ("100.64.21.0", "0x8100"): "TIMEOUT"}
    code, text, _ = run_with_kernel(tmp_path, _state(), routes)
    assert code == 1
    row = next(line for line in text.splitlines() if line.split()[:1] == ["ledger"])
    assert row.split()[1:4] == ["IPv4", "fiber", "?"] and "UNKNOWN: ip: killed after 5 s (timed out)" in row
    assert "rejected" not in row


def test_every_link_down_but_kept_in_service_is_where_the_plan_wants_it(tmp_path):
    """When every link fails its probes the monitor takes none out (it keeps its last decision): the kernel
    still routes by the pinned links, and that is where the plan wants the traffic, not 'rejected'."""
    state = _state(
        fiber=_link(up=False, reason="3 rounds without an answer"),
        lte=_link(up=False, reason="3 rounds without an answer"),
    )
    code, text, _ = run_with_kernel(tmp_path, state, IN_SERVICE)
    assert code == 1  # the links are down
    assert "NOT WHERE" not in text and "rejected" not in text
    assert any(line.split()[:4] == ["ledger", "IPv4", "fiber", "fiber"] for line in text.splitlines())
