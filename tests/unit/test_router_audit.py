"""The read-only audit (symroute_router.audit, playbooks/audit.yml) on recorded kernel answers.

The lab's plan (three links; partner-api fails over to wan_b then wan_c, partner-ledger
is fail-closed); the kernel's answers are what `ip -json` and `conntrack -L` print.
tests/integration/test_verify_audit.py runs the playbook on a router container.
"""

import copy
import json

import pytest

from paths import REPOSITORY
from symroute.ansible_inventory import load_inventory
from symroute.pipeline import plan_routers
from symroute_router import audit, audit_report, conntrack, contract
from symroute_router.command import Result

INTERFACES = {"wan_a": "wana", "wan_b": "wanb", "wan_c": "wanc"}
SOURCES = {
    ("wana", 4): "198.51.100.2",
    ("wanb", 4): "198.51.100.6",
    ("wanc", 4): "198.51.100.10",
    ("wana", 6): "2001:db8:a::2",
    ("wanb", 6): "2001:db8:b::2",
}
CONNTRACK4 = (
    "tcp      6 431990 ESTABLISHED src=203.0.113.10 dst=100.64.20.10 sport=40001 dport=80 src=100.64.20.10 "
    "dst=198.51.100.2 sport=80 dport=40001 [ASSURED] mark=33024 use=1\n"
    "tcp      6 110 SYN_SENT src=203.0.113.10 dst=100.64.20.10 sport=40002 dport=80 [UNREPLIED] src=100.64.20.10 "
    "dst=198.51.100.6 sport=80 dport=40002 mark=512 use=1\n"
    "udp      17 20 src=203.0.113.10 dst=100.64.21.10 sport=5353 dport=53 [UNREPLIED] src=100.64.21.10 "
    "dst=198.51.100.2 sport=53 dport=5353 mark=33024 use=1\n"
    "tcp      6 50 TIME_WAIT src=203.0.113.10 dst=192.0.2.1 sport=1 dport=2 src=192.0.2.1 dst=203.0.113.10 "
    "sport=2 dport=1 [ASSURED] mark=0 use=1\n"
)


@pytest.fixture(scope="module")
def plan():
    return plan_routers(load_inventory(REPOSITORY / "inventories" / "lab").routers)["edge"]


def request_of(plan):
    """The audit slice as roles/symroute_verify/vars/main.yml builds it."""
    return copy.deepcopy(
        {
            "contract_version": 1,
            "monitor_state_file": "/nonexistent/monitor.json",
            "verify": {
                "contract_version": 1,
                "tables": plan["verify_tables"],
                "partners": plan["verify"],
                "management": plan["management_probes"],
            },
            **plan["audit"],
        }
    )


class Kernel:
    """Answers the audit's commands: links (carrier, group), partner routes by link, tables, conntrack."""

    def __init__(self, plan, out=(), unplugged=(), routes=None, conntrack_text=CONNTRACK4, conntrack_rc=0):
        self.plan, self.out, self.unplugged = plan, set(out), set(unplugged)
        self.routes = routes or {}  # partner address -> interface ("" = rejected)
        self.conntrack_text, self.conntrack_rc = conntrack_text, conntrack_rc

    def _links(self):
        return [
            {
                "ifname": interface,
                "group": "21337" if link in self.out else "default",
                "flags": ["BROADCAST", "UP"] + ([] if link in self.unplugged else ["LOWER_UP"]),
            }
            for link, interface in INTERFACES.items()
        ]

    def _route_get(self, family, address):
        dev = self.routes.get(address, "wana")
        if not dev:
            return Result(2, "", "RTNETLINK answers: Permission denied\n")
        return Result(0, json.dumps([{"dst": address, "dev": dev, "prefsrc": SOURCES[(dev, family)]}]), "")

    def _table(self, family, table):
        tables = [t for t in self.plan["verify_tables"] if t["table"] == table and t["family"] == family]
        if not tables or tables[0]["link"] in self.unplugged:
            return Result(0, "[]", "")
        return Result(
            0, json.dumps([{"dst": "default", "gateway": tables[0]["gateway"], "dev": tables[0]["interface"]}]), ""
        )

    def run(self, argv, stdin=None):
        argv = [str(word) for word in argv]
        if argv[:4] == ["ip", "-json", "link", "show"]:
            return Result(0, json.dumps(self._links()), "")
        if argv[0] == "ip" and argv[3:5] == ["route", "get"]:
            return self._route_get(int(argv[1][1]), argv[5])
        if argv[0] == "ip" and argv[4:6] == ["route", "show"]:
            return self._table(int(argv[1][1]), int(argv[-1]))
        if argv[0] == "conntrack":
            if self.conntrack_rc:
                return Result(self.conntrack_rc, "", "conntrack: not found")
            return Result(0, self.conntrack_text if argv[-1] == "ipv4" else "", "0 flow entries have been shown.\n")
        raise AssertionError(f"unexpected command {argv}")


def _audit(plan, kernel, drift=None):
    request = request_of(plan)
    assert contract.check("audit", request) == []
    return audit.judge(request, audit.read(kernel, request), drift or {})


def _texts(report):
    return [finding["text"] for finding in report["findings"]]


def test_a_converged_router_with_every_link_in_service_passes(plan):
    report = _audit(plan, Kernel(plan))
    assert report["passed"] and report["findings"] == []
    assert {(row["partner"], row["family"], row["link_now"], row["source_now"]) for row in report["partners"]} == {
        ("partner-api", 4, "wan_a", "198.51.100.2"),
        ("partner-api", 6, "wan_a", "2001:db8:a::2"),
        ("partner-ledger", 4, "wan_a", "198.51.100.2"),
        ("partner-ledger", 6, "wan_a", "2001:db8:a::2"),
    }
    assert all(state["in_service"] for state in report["links"].values())


def test_connections_are_grouped_by_partner_and_the_link_their_mark_names(plan):
    report = _audit(plan, Kernel(plan))
    assert report["connections"] == {
        "partner-api": {"wan_a": {"ESTABLISHED": 1}, "wan_b": {"SYN_SENT [UNREPLIED]": 1}},
        "partner-ledger": {"wan_a": {"udp [UNREPLIED]": 1}},
    }


def test_a_partner_off_its_link_while_the_link_is_in_service_is_a_finding(plan):
    report = _audit(plan, Kernel(plan, routes={"100.64.20.1": "wanb"}))
    assert not report["passed"]
    assert _texts(report) == [
        "partner partner-api (IPv4, 100.64.20.1) leaves by wan_b while its link wan_a is in service"
    ]


@pytest.mark.parametrize("how", ["out", "unplugged"])
def test_with_link_a_out_the_api_fails_over_to_b_and_the_ledger_is_rejected(plan, how):
    routes = {"100.64.20.1": "wanb", "2001:db8:20::1": "wanb", "100.64.21.1": "", "2001:db8:21::1": ""}
    kernel = Kernel(
        plan, out=["wan_a"] if how == "out" else [], unplugged=["wan_a"] if how == "unplugged" else [], routes=routes
    )
    report = _audit(plan, kernel)
    assert report["passed"], _texts(report)
    ledger = [row for row in report["partners"] if row["partner"] == "partner-ledger"]
    assert all(row["expected"] == "rejected" and row["link_now"] is None for row in ledger)


def test_a_fail_closed_partner_routable_while_its_link_is_out_is_a_finding(plan):
    routes = {"100.64.20.1": "wanb", "2001:db8:20::1": "wanb", "100.64.21.1": "wanb", "2001:db8:21::1": ""}
    report = _audit(plan, Kernel(plan, out=["wan_a"], routes=routes))
    assert _texts(report) == [
        "partner partner-ledger (IPv4, 100.64.21.1) leaves by wan_b; with wan_a out of "
        "service it must be rejected (fail-closed, or no link of its failover order in service)"
    ]


def test_two_links_out_the_api_must_take_the_third_for_ipv4_and_is_rejected_for_ipv6(plan):
    routes = {"100.64.20.1": "wanc", "2001:db8:20::1": "", "100.64.21.1": "", "2001:db8:21::1": ""}
    report = _audit(plan, Kernel(plan, out=["wan_a", "wan_b"], routes=routes))
    assert report["passed"], _texts(report)
    wrong = _audit(plan, Kernel(plan, out=["wan_a", "wan_b"], routes=dict(routes, **{"100.64.20.1": "wanb"})))
    assert _texts(wrong) == [
        "partner partner-api (IPv4, 100.64.20.1) leaves by wan_b; with wan_a out of service "
        "it must leave by wan_c, the first link of its failover order in service"
    ]


def test_drift_from_the_roles_check_mode_results_is_one_finding_each(plan):
    drift = {
        "routing": {
            "changed": True,
            "files": ["/etc/symroute/routing.json"],
            "changes": {
                "add_rules": ["ipv4 pref 10200 fwmark 0x100/0x7f00 lookup 200"],
                "remove_rules": [],
                "remove_routes": [],
                "add_routes": ["ipv4 default via 198.51.100.9 dev wanc table 202"],
            },
        },
        "nftables": {
            "changed": True,
            "reason": "the live table inet symroute was changed by hand",
            "elements": {"added": [], "removed": ["100.64.99.0/24"]},
        },
        "sysctl": {"changed": True, "changed_values": ["net.ipv4.conf.wanb.rp_filter: 1 -> 2"]},
        "monitor": ["symroute-monitor.service (not running or not enabled)"],
    }
    report = _audit(plan, Kernel(plan, unplugged=["wan_c"], routes={}), drift)
    assert _texts(report) == [
        "rule missing: ipv4 pref 10200 fwmark 0x100/0x7f00 lookup 200",
        "file /etc/symroute/routing.json differs from the plan",
        "nftables: the live table inet symroute was changed by hand (- 100.64.99.0/24)",
        "sysctl net.ipv4.conf.wanb.rp_filter: 1 -> 2",
        "link monitor: symroute-monitor.service (not running or not enabled) would change",
    ]
    # wanc has no carrier: its missing default route is the kernel's doing, not drift.


def test_a_link_table_without_its_default_route_is_drift_only_while_the_link_is_in_service(plan):
    class Emptied(Kernel):
        def _table(self, family, table):
            return Result(0, "[]", "") if table == 201 else super()._table(family, table)

    report = _audit(plan, Emptied(plan))
    assert _texts(report) == [
        "table 201 has no ipv4 default route via 198.51.100.5 dev wanb",
        "table 201 has no ipv6 default route via 2001:db8:b::1 dev wanb",
    ]
    assert _audit(plan, Emptied(plan, out=["wan_b"]))["passed"]


def test_without_conntrack_the_report_says_so_and_still_judges_the_paths(plan):
    report = _audit(plan, Kernel(plan, conntrack_rc=127))
    assert report["passed"] and report["conntrack"] == {
        "available": False,
        "error": "conntrack (conntrack-tools) is not installed",
    }
    assert "Not read: conntrack (conntrack-tools) is not installed." in audit_report.markdown("edge", report)


def test_the_markdown_report_has_the_verdict_findings_and_one_row_per_partner_and_family(plan):
    report = _audit(plan, Kernel(plan, routes={"100.64.20.1": "wanb"}))
    text = audit_report.markdown("edge", report)
    assert text.startswith("# symroute audit of edge: FAILED: 1 finding(s)\n")
    assert "- **path**: partner partner-api (IPv4, 100.64.20.1) leaves by wan_b" in text
    assert "| partner-api | IPv4 | 100.64.20.1 | wan_a | wan_a (pinned) | wan_b | 198.51.100.6 | **no** |" in text
    assert text.count("| partner-") == 4 + 3  # four paths, three partner/link connection rows
    assert "No state file (or one without its time): the link monitor is not running." in text


def test_conntrack_lines_parse_with_their_original_direction_state_and_mark():
    entries = conntrack.parse(CONNTRACK4 + "conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.\n")
    assert len(entries) == 4
    assert entries[1] == {
        "protocol": "tcp",
        "state": "SYN_SENT",
        "unreplied": True,
        "mark": 512,
        "src": "203.0.113.10",
        "dst": "100.64.20.10",
        "sport": "40002",
        "dport": "80",
    }
    assert entries[2]["state"] == "" and entries[2]["unreplied"]


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda r: r["links"][0].update(name="wan_a\nx"), "links[0].name"),
        (lambda r: r.update(mark_mask="0x7f00; drop"), "mark_mask"),
        (lambda r: r.update(out_of_service_group=21337.0), "out_of_service_group"),
        (lambda r: r["prefixes"][0]["prefixes"].append("{{ lookup('pipe', 'id') }}"), "prefixes[0].prefixes[2]"),
        (lambda r: r["verify"].pop("tables"), "verify: tables is missing"),
        (lambda r: r.update(extra=1), "unknown key 'extra'"),
    ],
)
def test_a_hostile_audit_slice_is_refused_naming_the_field(plan, edit, fragment):
    request = request_of(plan)
    edit(request)
    problems = contract.check("audit", request)
    assert problems and any(fragment in problem for problem in problems), problems


def test_a_stale_monitor_state_file_says_the_monitor_is_not_running(plan, tmp_path):
    state = tmp_path / "monitor.json"
    state.write_text(
        json.dumps(
            {
                "updated": 1000.0,
                "links": {"wan_a": {"up": True, "gated": False, "decided_gated": False, "reason": "ok"}},
            }
        )
    )
    request = dict(request_of(plan), monitor_state_file=str(state))
    request["verify"] = dict(request["verify"], monitor_state_file=str(state))
    observed = audit.read(Kernel(plan), request)
    fresh = audit.judge(request, observed, {}, now=1005.0)["monitor"]
    stale = audit.judge(request, observed, {}, now=1100.0)
    assert (fresh["running"], fresh["state_age_s"]) == (True, 5.0)
    assert (stale["monitor"]["running"], stale["monitor"]["state_age_s"]) == (False, 100.0)
    assert "The state file is 100.0 s old: the link monitor is not running." in audit_report.markdown("edge", stale)


def test_services_a_converge_would_start_or_enable_are_drift_named_by_their_part(plan):
    drift = {
        "routing": {
            "changed": True,
            "files": [],
            "services": ["enabled symroute-routing.service"],
            "changes": {"add_rules": [], "remove_rules": [], "add_routes": [], "remove_routes": []},
        },
        "nftables": {"changed": True, "reason": "", "elements": {}, "services": ["enabled nftables.service"]},
        "sysctl": {"changed": False, "changed_values": []},
        "monitor": ["its service (started symroute-monitor.service)"],
    }
    report = _audit(plan, Kernel(plan), drift)
    assert _texts(report) == [
        "routing: a converge would have enabled symroute-routing.service",
        "nftables: a converge would have enabled nftables.service",
        "link monitor: its service (started symroute-monitor.service) would change",
    ]
    drift["nftables"]["reason"] = "the file changed"
    assert "nftables: the file changed" in _texts(_audit(plan, Kernel(plan), drift))


def test_a_missing_include_line_is_drift_even_when_the_service_needs_enabling_too(plan):
    drift = {
        "nftables": {
            "changed": True,
            "reason": "",
            "include_changed": True,
            "elements": {},
            "services": ["enabled nftables.service"],
        }
    }
    assert _texts(_audit(plan, Kernel(plan), drift)) == [
        "nftables: the include line is missing",
        "nftables: a converge would have enabled nftables.service",
    ]
