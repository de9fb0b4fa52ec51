"""symroute doctor's findings on replays of real routers: the incident, symroute installed, and the
situations a test makes from them by changing what a connect or a sysctl answers."""

import copy

import yaml
from test_doctor_fakes import replayed

from symroute.validate import validate_router
from symroute_router.doctor import diagnose, options

LINKS = {"wana": "wan_a", "wanb": "wan_b"}
NOW = 1_800_000_000  # 2027-01-15T08:00:00Z


def run(name, targets, links=None, connects=None, sysctl=None, **settings):
    recording, replay, connector, read = replayed(name)
    connector.outcomes.update(connects or {})
    values = dict(recording["sysctl"], **(sysctl or {}))
    report = diagnose(
        replay,
        dict(
            {
                "targets": options.targets(targets),
                "links": LINKS if links is None else links,
                "monitor_config": "/nonexistent/monitor.json",
            },
            **settings,
        ),
        read_sysctl=values.get,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=NOW,
    )
    return report, replay


def ids(report, severity=None):
    return [f["id"] for f in report["findings"] if severity in (None, f["severity"])]


def finding(report, identifier):
    return next(f for f in report["findings"] if f["id"] == identifier)


def test_the_incident_is_one_asymmetric_return_path_with_a_paste_ready_entry():
    report, _ = run("incident", ["100.64.20.10:80"])
    asymmetric = [f for f in report["findings"] if f["kind"] == "asymmetric-return-path"]
    assert [f["subject"] for f in asymmetric] == ["100.64.20.10:80"]
    found = asymmetric[0]
    assert found["severity"] == "problem"
    assert "100.64.20.10:80" in found["title"] and "wan_a" in found["title"]
    assert "answered by wan_b" in found["title"]
    assert found["evidence"]["site_via_egress"] == "no answer"
    assert found["evidence"]["own_address_via_egress"] == "answered (connected)"
    assert found["evidence"]["site_answered_by"] == ["wan_b"]
    assert "confirm the partner's published address ranges" in found["fix"]
    entry = found["partner_entry"]
    assert entry["entry"] == {
        "name": "changeme-100-64-20-0-24",
        "description": "found by symroute doctor on edge-lab at 2027-01-15T08:00:00Z",
        "prefixes": ["100.64.20.0/24"],
        "link": "wan_a",
        "on_link_failure": "failover",
        "health_check": "tcp://100.64.20.10:80",
    }
    assert entry["yaml"] == (
        "symroute_partners:\n"
        "  - name: changeme-100-64-20-0-24\n"
        "    description: found by symroute doctor on edge-lab at 2027-01-15T08:00:00Z\n"
        "    prefixes: [100.64.20.0/24]\n"
        "    link: wan_a\n"
        "    on_link_failure: failover\n"
        "    health_check: tcp://100.64.20.10:80\n"
    )
    assert yaml.safe_load(entry["yaml"]) == {"symroute_partners": [entry["entry"]]}


def test_the_proposed_entries_pass_the_plans_validation(router_vars):
    report, _ = run("incident", ["100.64.20.10:80", "[2001:db8:20::10]:80"])
    entries = [
        yaml.safe_load(f["partner_entry"]["yaml"])["symroute_partners"][0]
        for f in report["findings"]
        if "partner_entry" in f and f["kind"] == "asymmetric-return-path"
    ]
    assert [e["prefixes"] for e in entries] == [["100.64.20.0/24"], ["2001:db8:20::/48"]]
    assert entries[1]["health_check"] == "tcp://[2001:db8:20::10]:80"
    variables = copy.deepcopy(router_vars)
    variables["symroute_partners"] = [p for p in variables["symroute_partners"] if p["name"] == "partner-b"] + entries
    validate_router("edge-lab", variables)  # raises InventoryError on any problem


def test_the_prefix_length_options_decide_the_proposed_prefix():
    report, _ = run("incident", ["100.64.20.10:80"], prefix_length4=28)
    assert finding(report, "asymmetric-return-path/100.64.20.10:80")["partner_entry"]["entry"]["prefixes"] == [
        "100.64.20.0/28"
    ]


def test_pinned_and_answered_is_no_problem():
    report, replay = run("symroute", ["100.64.20.10:80", "[2001:db8:20::10]:80"], links={})
    assert ("ip", "-json", "route", "get", "100.64.20.10", "mark", "0x100") in replay.calls
    pinned = finding(report, "pinned-symmetric/100.64.20.10:80")
    assert pinned["severity"] == "info" and "pinned to wana" in pinned["title"]
    assert pinned["evidence"]["pinned_set"] == "wan_a_failover_v4"
    assert not [i for i in ids(report, "problem") if "100.64.20.10" in i or "2001:db8:20" in i]


def test_pinned_links_take_their_names_from_symroutes_monitor_configuration():
    from test_doctor_fakes import SAMPLES

    report, _ = run("symroute", ["100.64.20.10:80"], links={}, monitor_config=str(SAMPLES / "monitor.json"))
    assert [(link["name"], link["named_by"]) for link in report["links"]] == [
        ("wan_a", "monitor configuration"),
        ("wan_b", "monitor configuration"),
    ]
    assert report["links"][0]["symroute"] == {"mark": "0x100", "table": 200}
    assert finding(report, "pinned-symmetric/100.64.20.10:80")["evidence"]["pinned_link"] == "wan_a"
    assert report["symroute"]["installed"] is True


def test_pinned_but_unanswered_is_a_problem():
    report, _ = run("symroute", ["100.64.21.10:80"])
    found = finding(report, "pinned-link-unanswered/100.64.21.10:80")
    assert found["severity"] == "problem"
    assert found["evidence"]["mark"] == "0x8100"
    assert found["evidence"]["own_address_via_pinned_link"] == "error (Network is unreachable)"


def test_nothing_answered_is_unreachable_not_asymmetric():
    silent = {
        (source, interface, "100.64.20.10", 80): ("no answer", "")
        for source in ("198.51.100.2", "198.51.100.6", "203.0.113.1")
        for interface in ("wana", "wanb")
    }
    report, _ = run("incident", ["100.64.20.10:80"], connects=silent)
    found = finding(report, "unreachable/100.64.20.10:80")
    assert found["severity"] == "problem" and "partner_entry" not in found
    assert not [f for f in report["findings"] if f["kind"] == "asymmetric-return-path"]


def test_a_site_answered_by_its_egress_link_is_symmetric_today():
    report, _ = run(
        "incident", ["100.64.20.10:80"], connects={("203.0.113.1", "wana", "100.64.20.10", 80): ("answered", "refused")}
    )
    found = finding(report, "symmetric-not-pinned/100.64.20.10:80")
    assert found["severity"] == "info" and "symmetric today, not pinned" in found["title"]


def test_an_egress_link_that_answers_nothing_proposes_the_link_that_does():
    report, _ = run(
        "incident", ["100.64.20.10:80"], connects={("198.51.100.2", "wana", "100.64.20.10", 80): ("no answer", "")}
    )
    found = finding(report, "egress-link-unanswered/100.64.20.10:80")
    assert found["partner_entry"]["entry"]["link"] == "wan_b"


def test_strict_rp_filter_on_a_wan_link_is_a_problem_with_the_sysctl_to_set():
    report, _ = run("symroute", [])  # recorded with wanb's rp_filter 1, wana's 2, all 0
    found = finding(report, "rp-filter-strict/wanb")
    assert found["severity"] == "problem"
    assert found["evidence"] == {"link": "wan_b", "interface": "wanb", "all": 0, "interface_value": 1, "effective": 1}
    assert "`sysctl -w net.ipv4.conf.wanb.rp_filter=2`" in found["fix"]
    assert "rp-filter-strict/wana" not in ids(report)


def test_rp_filter_takes_the_larger_of_all_and_the_interface():
    strict = run("incident", [], sysctl={"net/ipv4/conf/all/rp_filter": "1"})[0]
    assert {"rp-filter-strict/wana", "rp-filter-strict/wanb"} <= set(ids(strict))
    loose = run(
        "incident",
        [],
        sysctl={
            "net/ipv4/conf/all/rp_filter": "1",
            "net/ipv4/conf/wana/rp_filter": "2",
            "net/ipv4/conf/wanb/rp_filter": "2",
        },
    )[0]
    assert not [i for i in ids(loose) if i.startswith("rp-filter")]


def test_ignore_routes_with_linkdown_off_is_a_problem_per_link():
    report, _ = run("incident", [])  # a plain Linux router: 0 everywhere
    found = finding(report, "routes-used-without-carrier/wana")
    assert found["evidence"]["ignore_routes_with_linkdown"] == {"ipv4": 0, "ipv6": 0}
    assert (
        "net.ipv4.conf.wana.ignore_routes_with_linkdown=1 net.ipv6.conf.wana.ignore_routes_with_linkdown=1"
        in found["fix"]
    )
    assert not [i for i in ids(run("symroute", [])[0]) if i.startswith("routes-used")]  # symroute sets 1


def test_findings_are_ordered_problems_first_and_identically_every_time():
    first, _ = run("incident", ["100.64.20.10:80", "[2001:db8:20::10]:80"])
    second, _ = run("incident", ["100.64.20.10:80", "[2001:db8:20::10]:80"])
    assert ids(first) == ids(second)
    severities = [f["severity"] for f in first["findings"]]
    assert severities == sorted(severities, key=("problem", "info").index)
    assert first["problems"] == severities.count("problem")


def test_attempts_that_could_not_leave_are_not_probed_never_unreachable():
    cannot = {
        (source, interface, "100.64.20.10", 80): ("error", "cannot bind: Operation not permitted")
        for source in ("198.51.100.2", "198.51.100.6", "203.0.113.1")
        for interface in ("wana", "wanb")
    }
    report, _ = run("incident", ["100.64.20.10:80"], connects=cannot)
    found = finding(report, "not-probed/100.64.20.10:80")
    assert found["evidence"]["details"] == ["cannot bind: Operation not permitted"]
    assert "as root" in found["fix"]
    assert not [f for f in report["findings"] if f["kind"] in ("unreachable", "asymmetric-return-path")]


def test_a_real_connect_without_privilege_says_it_could_not_bind():
    from symroute_router.doctor import probe

    result, detail = probe.connect(4, "192.0.2.1", "sdoc-nonexistent", "192.0.2.2", 9, 0.1)
    assert result == "error" and detail.startswith("cannot bind: ")
