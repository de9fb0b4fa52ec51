"""The read-only audit of a router against its plan (playbooks/audit.yml): what the router does now.

The request is the plan's ``audit`` slice: the ``verify`` slice (link tables,
an address of each partner and family with its mark and pinned link, the
management addresses), the router's ``links`` (name, interface, mark) and each
partner's ``prefixes`` with its mode, plus the mark mask and the out-of-service
interface group. ``read`` asks the kernel; ``judge`` turns what was read (and
the converge roles' check-mode drift) into one finding per problem. Nothing
here writes anything.
"""

import ipaddress
import time

from . import audit_names, conntrack, linkstate, verify
from .audit_drift import drift_findings
from .iproute import route_get


def link_states(runner, request):
    """{link: {interface, present, carrier, out_of_service, in_service}} as the kernel holds them now."""
    return linkstate.read(
        runner,
        {link["name"]: link["interface"] for link in request["links"]},
        request.get("out_of_service_group", linkstate.OUT_OF_SERVICE_GROUP),
    )


def _route(first):
    return {"dev": first.get("dev", ""), "source": first.get("prefsrc", ""), "gateway": first.get("gateway", "")}


def paths(runner, request):
    """Per partner and family: how a new connection with the partner's mark is routed now."""
    found = []
    for probe in request["verify"]["partners"]:
        answer = route_get(runner, probe["address"], probe["family"], mark=probe["mark"])
        found.append(dict(_route(answer), partner=probe["partner"], family=probe["family"], address=probe["address"]))
    return found


def read(runner, request):
    """Everything the audit looks at, as read now."""
    observed = verify.read(
        runner,
        dict(
            request["verify"],
            partners=[],
            management=[],
            monitor_state_file=request.get("monitor_state_file", verify.MONITOR_STATE_FILE),
        ),
    )
    return {
        "links": link_states(runner, request),
        "paths": paths(runner, request),
        "tables": observed["tables"],
        "monitor": observed["monitor"],
        "names": audit_names.read(request.get("monitor_state_file", verify.MONITOR_STATE_FILE)),
        "conntrack": conntrack.read(
            runner, {family for family in (4, 6) if any(p["family"] == family for p in request["verify"]["partners"])}
        ),
    }


def _interfaces(request):
    return {link["interface"]: link["name"] for link in request["links"]}


def _link_of_mark(request, mark):
    """The link whose mark the connection carries (its SNAT binds the link's mark), else the mark."""
    mask = int(request["mark_mask"], 16)
    for link in request["links"]:
        if int(link["mark"], 16) & mask == mark & mask:
            return link["name"]
    return f"mark {mark:#x}" if mark else "unmarked"


def connections(request, entries):
    """{partner: {link: {state: count}}}: each partner's live connections by the link they are bound to."""
    networks = [
        (item["partner"], ipaddress.ip_network(prefix)) for item in request["prefixes"] for prefix in item["prefixes"]
    ]
    grouped = {item["partner"]: {} for item in request["prefixes"]}
    for entry in entries:
        try:
            destination = ipaddress.ip_address(entry["dst"])
        except ValueError:
            continue
        partner = next(
            (name for name, network in networks if network.version == destination.version and destination in network),
            None,
        )
        if partner is None:
            continue
        by_link = grouped[partner].setdefault(_link_of_mark(request, entry["mark"]), {})
        state = (entry["state"] or entry["protocol"]) + (" [UNREPLIED]" if entry["unreplied"] else "")
        by_link[state] = by_link.get(state, 0) + 1
    return grouped


def _expected(request, probe, states, waiting=frozenset()):
    """("pinned" | "failover" | "rejected", link or None) for the partner's probe with these link states;
    ``waiting``: (link, family) of dynamic families without their address yet (routed around)."""

    def usable(name):
        return states.get(name, {}).get("in_service") and (name, probe["family"]) not in waiting

    if usable(probe["link"]):
        return "pinned", probe["link"]
    for name in probe.get("failover_links", []):
        if usable(name) and any(
            table["link"] == name and table["family"] == probe["family"] for table in request["verify"]["tables"]
        ):
            return "failover", name
    return "rejected", None


def partner_rows(request, observed):
    """One row per partner and family: pinned link, expected and actual link, source, verdict."""
    interfaces, rows = _interfaces(request), []
    waiting = verify.waiting_families(observed)
    for probe, path in zip(request["verify"]["partners"], observed["paths"]):
        kind, expected = _expected(request, probe, observed["links"], waiting)
        now = interfaces.get(path["dev"], path["dev"] or "")
        ok = (now == expected) if expected else not path["dev"]
        rows.append(
            {
                "partner": probe["partner"],
                "family": probe["family"],
                "address": probe["address"],
                "pinned_link": probe["link"],
                "expected": kind,
                "expected_link": expected,
                "link_now": now or None,
                "interface_now": path["dev"] or None,
                "source_now": path["source"] or None,
                "ok": ok,
            }
        )
    return rows


def _path_findings(rows):
    findings = []
    for row in rows:
        if row["ok"]:
            continue
        where = f"partner {row['partner']} (IPv{row['family']}, {row['address']})"
        now = f"leaves by {row['link_now']}" if row["link_now"] else "is rejected"
        if row["expected"] == "pinned":
            text = f"{where} {now} while its link {row['pinned_link']} is in service"
        elif row["expected"] == "failover":
            text = (
                f"{where} {now}; with {row['pinned_link']} out of service it must leave by "
                f"{row['expected_link']}, the first link of its failover order in service"
            )
        else:
            text = (
                f"{where} {now}; with {row['pinned_link']} out of service it must be rejected "
                f"(fail-closed, or no link of its failover order in service)"
            )
        findings.append({"kind": "path", "partner": row["partner"], "text": text})
    return findings


def _failed_tables(request, observed):
    """[(table, message)] for each link table without its default route."""
    failed = []
    for index, table in enumerate(request["verify"]["tables"]):
        one = verify.table_failures(
            {"tables": [table]},
            {"tables": [observed["tables"][index]]},
            waiting=verify.waiting_families({"tables": [observed["tables"][index]]}),
        )
        failed.extend((table, text) for text in one)
    return failed


def _age(monitor, now):
    """Seconds since the monitor last wrote its state file, or None when it says nothing."""
    updated = monitor.get("updated")
    if not isinstance(updated, (int, float)) or isinstance(updated, bool):
        return None
    return round(max(0.0, (time.time() if now is None else now) - updated), 1)


def _drift_record(drift):
    """What the roles' check mode found, for the JSON report (not the rendered files' full text)."""
    routing, nft, sysctl = (drift.get(key) or {} for key in ("routing", "nftables", "sysctl"))
    return {
        "routing": {
            key: routing.get(key)
            for key in ("changes", "files", "links", "networkd_dropin", "services")
            if key in routing
        },
        "nftables": {
            key: nft.get(key) for key in ("changed", "reason", "include_changed", "elements", "services") if key in nft
        },
        "sysctl": {"changed_values": sysctl.get("changed_values", [])} if sysctl.get("changed") else {},
        "monitor": list(drift.get("monitor") or []),
        "confirm": drift.get("confirm"),
    }


STALE_AFTER_S = 30  # the monitor writes its state file at least every few seconds


def judge(request, observed, drift, now=None):
    """The report: links, partner paths, connections, monitor view, and every finding."""
    rows = partner_rows(request, observed)
    findings = (
        _path_findings(rows)
        + [
            {"kind": "drift", "link": table["link"], "text": text}
            for table, text in _failed_tables(request, observed)
            if observed["links"].get(table["link"], {}).get("in_service")
        ]
        + drift_findings(drift, observed["links"])
        + audit_names.findings(observed.get("names") or [])
    )  # partners by DNS name
    monitor = observed.get("monitor") or {}
    return {
        "links": observed["links"],
        "partners": rows,
        "connections": connections(request, observed["conntrack"]["entries"]),
        "conntrack": {"available": observed["conntrack"]["available"], "error": observed["conntrack"].get("error", "")},
        "monitor": {
            "running": _age(monitor, now) is not None and _age(monitor, now) < STALE_AFTER_S,
            "state_age_s": _age(monitor, now),
            "links": {
                name: {key: link.get(key) for key in ("up", "gated", "decided_gated", "reason")}
                for name, link in sorted((monitor.get("links") or {}).items())
                if isinstance(link, dict)
            },
            "partners": monitor.get("partners") if isinstance(monitor.get("partners"), dict) else {},
            "kernel_holds_decision": monitor.get("kernel_holds_decision"),
        },
        "drift": _drift_record(drift),
        "findings": findings,
        "passed": not findings,
    }
