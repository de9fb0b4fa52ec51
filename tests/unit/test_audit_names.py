"""The audit reports partners' names whose lookup failed, whose answer is stale or was refused (issue #23)."""

import json

from symroute_router import audit_names


def _resolver_json(tmp_path, names):
    (tmp_path / "resolver.json").write_text(json.dumps({"updated": 1.0, "failed_loads": 0, "names": names}))
    return str(tmp_path / "monitor.json")


def _entry(**fields):
    entry = {
        "name": "api.partner.example",
        "family": 4,
        "partner": "partner-dns",
        "sets": ["wan_b_failover_v4"],
        "addresses": ["100.64.60.10"],
        "age_seconds": 2.0,
        "ttl": 30,
        "outcome": "ok",
        "refused": [],
        "refused_total": 0,
    }
    return dict(entry, **fields)


def test_names_whose_lookups_are_well_give_no_finding_and_no_file_none(tmp_path):
    assert audit_names.findings(audit_names.read(_resolver_json(tmp_path, [_entry(), _entry(family=6)]))) == []
    assert audit_names.read(str(tmp_path / "elsewhere" / "monitor.json")) == []


def test_a_failed_lookup_is_reported_with_the_kept_answer_and_stale_once_older_than_its_ttl(tmp_path):
    failed = "failed: no reply from 203.0.113.53 within 2.0 s (last good answer kept)"
    names = audit_names.read(
        _resolver_json(
            tmp_path,
            [
                _entry(outcome=failed, age_seconds=12.0),
                _entry(family=6, outcome=failed, age_seconds=95.5, addresses=["2001:db8:60::10"]),
                _entry(name="new.partner.example", outcome="failed: SERVFAIL", addresses=[], age_seconds=None),
            ],
        )
    )
    assert [item["text"] for item in audit_names.findings(names)] == [
        f"partner partner-dns: name api.partner.example IPv4: last lookup: {failed}; the sets keep the last good "
        "answer (100.64.60.10), 12.0 s old",
        f"partner partner-dns: name api.partner.example IPv6: last lookup: {failed}; the sets keep the last good "
        "answer (2001:db8:60::10), 95.5 s old, stale (older than its TTL of 30 s)",
        "partner partner-dns: name new.partner.example IPv4: last lookup: failed: SERVFAIL; no address in the "
        "partner's sets: its traffic follows the main table",
    ]


def test_refused_answers_are_reported_even_when_the_lookup_was_otherwise_fine(tmp_path):
    refused = "203.0.113.10 is in the router's own network 203.0.113.0/24 (refused: DNS rebinding)"
    [finding] = audit_names.findings(audit_names.read(_resolver_json(tmp_path, [_entry(refused=[refused])])))
    assert finding == {
        "kind": "name",
        "partner": "partner-dns",
        "text": f"partner partner-dns: name api.partner.example IPv4: answers refused: {refused}",
    }


def test_a_hostile_state_file_gives_findings_never_a_traceback(tmp_path):
    names = audit_names.read(
        _resolver_json(
            tmp_path,
            [_entry(ttl="x", age_seconds=float("nan"), outcome="failed: x\nforged line"), {"family": True}, "garbage"],
        )
    )
    [finding] = audit_names.findings(names)
    assert "failed: x forged line" in finding["text"] and "\n" not in finding["text"]  # one line of the report


def test_the_audit_reads_the_resolvers_state_and_fails_on_a_name_that_needs_attention(tmp_path):
    from test_router_audit import Kernel, request_of  # the lab's kernel answers, as the audit's own tests use

    from paths import REPOSITORY
    from symroute.ansible_inventory import load_inventory
    from symroute.pipeline import plan_routers
    from symroute_router import audit, audit_report

    plan = plan_routers(load_inventory(REPOSITORY / "inventories" / "lab").routers)["edge"]
    state = tmp_path / "monitor.json"
    state.write_text(json.dumps({"updated": 1000.0, "links": {}}))
    _resolver_json(tmp_path, [_entry(outcome="failed: SERVFAIL (last good answer kept)", age_seconds=40.0)])
    request = dict(request_of(plan), monitor_state_file=str(state))
    request["verify"] = dict(request["verify"], monitor_state_file=str(state))
    report = audit.judge(request, audit.read(Kernel(plan), request), {}, now=1001.0)
    assert not report["passed"]
    [finding] = [item for item in report["findings"] if item["kind"] == "name"]
    assert finding["text"].startswith("partner partner-dns: name api.partner.example IPv4: last lookup: failed")
    assert "stale (older than its TTL of 30 s)" in finding["text"]
    assert f"- **name**: {finding['text']}" in audit_report.markdown("edge", report)
