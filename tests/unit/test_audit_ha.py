"""The audit of an HA pair (symroute_router.audit_ha, audit_pair; playbooks/audit.yml): each router's `ha`
section and findings, and the pair's checks on both routers' audits: one master (two are split brain, none
fails), the peer reachable, and the conntrack caches in sync by original tuple, settled entries only."""

import copy

import hasamples
from hasamples import HA_SECTION

from symroute_router import audit_ha, audit_pair, audit_report, ha_read
from symroute_router.command import Result

REQUEST = {"mark_mask": "0x7f00", "links": [{"name": "wan_a", "mark": "0x100"}, {"name": "wan_b", "mark": "0x200"}]}
EMPTY_REPORT = {"findings": [], "passed": True, "drift": {}}


def observed(tmp_path, state="master", **changes):
    path = tmp_path / f"state-{state}"
    path.write_text(f"{state} 1796613085.1\n")
    return ha_read.read(hasamples.router(state, **changes), HA_SECTION, state_file=str(path))


def audited(tmp_path, state, **changes):
    found = observed(tmp_path, state, **changes)
    report = audit_ha.extend(EMPTY_REPORT, found, {}, {"ha": {"yield": False}})
    internal = audit_ha.cache_entries(found["dumps"]["internal"], REQUEST, HA_SECTION, "internal")
    last = audit_ha.cache_entries(found["dumps"]["internal"], REQUEST, HA_SECTION, "internal", digests=True)
    external = audit_ha.cache_entries(found["dumps"]["external"], REQUEST, HA_SECTION, "external", digests=True)
    return {"report": report, "entries": external, "first": internal, "last": last}


def texts(report):
    return [finding["text"] for finding in report["findings"]]


def test_a_healthy_master_has_its_section_and_no_finding(tmp_path):
    report = audited(tmp_path, "master")["report"]
    assert report["passed"] and texts(report) == []
    ha = report["ha"]
    assert (ha["vrrp_state"], ha["yield"], ha["services"]) == (
        "master",
        False,
        {"keepalived": "active", "conntrackd": "active"},
    )
    assert ha["caches"]["internal"]["active"] == 1 and ha["dumps"]["internal"]["entries"] == 1
    assert report["drift"]["ha"] == {"files": [], "services": []}


def test_the_ha_part_s_drift_is_reported(tmp_path):
    drift = {"files": ["/etc/keepalived/keepalived.conf"], "services": ["started conntrackd.service"]}
    report = audit_ha.extend(EMPTY_REPORT, observed(tmp_path), drift, {})
    assert texts(report) == [
        "HA pair: file /etc/keepalived/keepalived.conf differs from the plan",
        "HA pair: a converge would have started conntrackd.service",
    ]
    assert not report["passed"] and report["drift"]["ha"] == drift


def test_a_router_s_own_problems_are_each_one_finding(tmp_path):
    found = observed(
        tmp_path,
        "backup",
        ping_rc=1,
        answers={("systemctl", "is-active", "conntrackd.service"): Result(3, "failed\n", "")},
    )
    report = audit_ha.extend(EMPTY_REPORT, found, {}, {})
    assert texts(report) == [
        "HA pair edge-pair: conntrackd is failed (systemctl is-active), not active",
        "HA pair edge-pair: the peer edge-2 (10.255.0.2) does not answer over the sync link sync0: conntrackd's "
        "replication is cut, a switchover now loses the live connections",
        "HA pair edge-pair: it is backup but holds the shared address(es) 198.51.100.4/29, 2001:db8:5::1/64, "
        "203.0.113.1/24 (split brain)",
    ]


def test_a_master_without_its_addresses_and_an_unknown_state(tmp_path):
    report = audit_ha.extend(EMPTY_REPORT, observed(tmp_path, "master", held=()), {}, {})
    assert any("it is the master but does not hold" in text for text in texts(report))
    state = tmp_path / "truncated"
    state.write_text("mas")
    found = ha_read.read(hasamples.router("master"), HA_SECTION, state_file=str(state))
    assert any("its VRRP state is unknown" in t for t in texts(audit_ha.extend(EMPTY_REPORT, found, {}, {})))


def test_entries_keep_symroute_s_settled_connections_only(tmp_path):
    young = hasamples.INTERNAL_MASTER.replace("active since 5s", "active since 1s").replace("37034", "40000")
    foreign = "udp 17 src=10.9.9.9 dst=10.8.8.8 sport=1 dport=2 src=10.8.8.8 dst=10.9.9.9 sport=2 dport=1 mark=0 [active since 50s]\n"
    found = observed(
        tmp_path, "master", answers={("conntrackd", "-i"): Result(0, hasamples.INTERNAL_MASTER + young + foreign, "")}
    )
    entries = audit_ha.cache_entries(found["dumps"]["internal"], REQUEST, HA_SECTION, "internal")
    assert entries == {"tuples": [hasamples.TUPLE], "young": 1, "errors": []}
    external = audit_ha.cache_entries(found["dumps"]["external"], REQUEST, HA_SECTION, "external")
    assert external == {"tuples": [], "young": 0, "errors": []}


def pair(tmp_path, master_changes=None, backup_changes=None):
    routers = {
        "edge-1": audited(tmp_path, "master", **(master_changes or {})),
        "edge-2": audited(tmp_path, "backup", held=(), **(backup_changes or {})),
    }
    return audit_pair.check("edge-pair", routers)


def test_the_pair_in_sync_one_master(tmp_path):
    section, found = pair(tmp_path)
    assert found == []
    assert section["states"] == {"edge-1": "master", "edge-2": "backup"} and section["master"] == "edge-1"
    assert section["caches"] == {
        "compared": True,
        "master": "edge-1",
        "backup": "edge-2",
        "master_internal": 1,
        "master_internal_younger": 0,
        "master_internal_ended": 0,
        "backup_external": 1,
        "missing": 0,
        "missing_listed": [],
        "in_sync": True,
    }


def test_a_connection_missing_from_the_backup_is_listed_and_bounded(tmp_path):
    lines = "".join(
        hasamples.INTERNAL_MASTER.replace("37034", str(41000 + number)).replace("5s", "30s") for number in range(14)
    )
    section, found = pair(tmp_path, master_changes={"answers": {("conntrackd", "-i"): Result(0, lines, "")}})
    assert section["caches"]["missing"] == 14 and len(section["caches"]["missing_listed"]) == audit_pair.LISTED
    assert len(found) == 1 and found[0]["kind"] == "pair"
    assert "14 of the 14 connections of edge-1 (its internal cache, both reads)" in found[0]["text"] and found[0][
        "text"
    ].endswith("and 4 more")


def test_two_masters_are_split_brain_and_none_fails(tmp_path):
    routers = {"edge-1": audited(tmp_path, "master"), "edge-2": audited(tmp_path / "..", "master")}
    _section, found = audit_pair.check("edge-pair", routers)
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: split brain: edge-1 and edge-2 both hold shared addresses (both hold 198.51.100.4/29, "
        "2001:db8:5::1/64, 203.0.113.1/24)"
    ]
    routers = {"edge-1": audited(tmp_path, "backup", held=()), "edge-2": audited(tmp_path, "fault", held=())}
    section, found = audit_pair.check("edge-pair", routers)
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: no master: neither router holds a shared address (edge-1 is backup, edge-2 is fault)"
    ]
    assert section["caches"] == {"compared": False, "reason": "not exactly one router holds the shared addresses"}


def test_a_cut_sync_link_fails_the_pair(tmp_path):
    _section, found = pair(tmp_path, master_changes={"ping_rc": 1}, backup_changes={"ping_rc": 1})
    assert "the sync link is cut: edge-1 and edge-2 cannot reach the peer over it" in found[0]["text"]


def test_unreadable_caches_are_not_compared_and_say_why(tmp_path):
    changes = {"answers": {("conntrackd", "-e"): Result(1, "", "can't connect")}}
    section, found = pair(tmp_path, backup_changes=changes)
    assert section["caches"]["compared"] is False and "conntrackd -e failed (rc 1)" in section["caches"]["reason"]
    assert "were not compared" in found[0]["text"]


def test_a_peer_left_out_of_the_run_is_said_and_not_failed(tmp_path):
    report = audit_pair.extend(copy.deepcopy(EMPTY_REPORT), "edge-pair", {"edge-1": audited(tmp_path, "master")})
    assert report["passed"] and report["pair"]["checked"] is False
    assert "both routers of the pair must be audited in the same run" in report["pair"]["reason"]


def test_the_markdown_shows_the_pair(tmp_path):
    routers = {"edge-1": audited(tmp_path, "master"), "edge-2": audited(tmp_path, "backup", held=())}
    base = {
        "passed": True,
        "findings": [],
        "links": {},
        "partners": [],
        "conntrack": {"available": True, "error": ""},
        "connections": {},
        "monitor": {"state_age_s": None, "running": False},
    }
    report = audit_pair.extend(dict(base, ha=routers["edge-1"]["report"]["ha"]), "edge-pair", routers)
    text = audit_report.markdown("edge-1", report)
    assert "## HA pair edge-pair (peer edge-2)" in text and "- VRRP state: master; yields: no" in text
    assert "Shared addresses held: edge-1 198.51.100.4/29, 2001:db8:5::1/64, 203.0.113.1/24; edge-2 none" in text
    assert "1 settled connection(s) in both reads of edge-1's internal cache" in text and text.rstrip().endswith(
        "in sync."
    )


def test_the_caches_compare_only_connections_alive_across_the_backup_s_read(tmp_path):
    """The master's internal cache is read before and after the backup's external one: a connection that ended
    in between (its destroy replicated before the backup's read) or began in between is not flagged; one in
    both reads and absent from the external cache is."""
    routers = {"edge-1": audited(tmp_path, "master"), "edge-2": audited(tmp_path, "backup", held=())}
    ended, born, lost = (f"tcp 203.0.113.50 100.64.20.10 {port} 9000" for port in (41001, 41002, 41003))
    first, last = routers["edge-1"]["first"], routers["edge-1"]["last"]
    routers["edge-1"]["first"] = dict(first, tuples=sorted([*first["tuples"], ended, lost]))
    routers["edge-1"]["last"] = dict(
        last, tuples=sorted([*last["tuples"], audit_ha.digest(born), audit_ha.digest(lost)])
    )
    section, found = audit_pair.check("edge-pair", routers)
    caches = section["caches"]
    assert (caches["master_internal"], caches["master_internal_ended"], caches["missing"]) == (2, 1, 1)
    assert caches["missing_listed"] == [lost] and len(found) == 1 and lost in found[0]["text"]
    routers["edge-1"]["last"] = last
    section, found = audit_pair.check("edge-pair", routers)
    assert section["caches"]["in_sync"] and found == []


def test_the_reads_only_looked_up_in_travel_as_digests(tmp_path):
    """L5: the second internal read and the external one are digests (16 hex digits), not tuples."""
    routers = {"edge-1": audited(tmp_path, "master"), "edge-2": audited(tmp_path, "backup", held=())}
    assert routers["edge-1"]["last"]["tuples"] == [audit_ha.digest(hasamples.TUPLE)]
    assert routers["edge-2"]["entries"]["tuples"] == [audit_ha.digest(hasamples.TUPLE)]
    assert len(audit_ha.digest(hasamples.TUPLE)) == 16 and routers["edge-1"]["first"]["tuples"] == [hasamples.TUPLE]


def test_a_read_that_did_not_happen_is_not_compared(tmp_path):
    routers = {"edge-1": audited(tmp_path, "master"), "edge-2": audited(tmp_path, "backup", held=())}
    routers["edge-1"]["last"] = None
    section, found = audit_pair.check("edge-pair", routers)
    assert section["caches"] == {
        "compared": False,
        "reason": "edge-1: its internal cache was not read after the external",
    }
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: the conntrack caches were not compared: edge-1: its internal cache was not read "
        "after the external"
    ]


def test_the_master_is_who_holds_the_shared_addresses_not_the_state_file(tmp_path):
    """A stale "master" state file on a router without the addresses is no split brain: the router holding
    them is the master, and the disagreement is its own finding."""
    routers = {"edge-1": audited(tmp_path, "master", held=()), "edge-2": audited(tmp_path / "..", "master")}
    routers["edge-1"]["first"], routers["edge-1"]["last"] = routers["edge-2"]["first"], routers["edge-2"]["last"]
    routers["edge-2"]["entries"] = audited(tmp_path, "backup", held=())["entries"]
    routers["edge-1"]["entries"] = audited(tmp_path, "backup", held=())["entries"]
    section, found = audit_pair.check("edge-pair", routers)
    assert section["master"] == "edge-2" and section["caches"]["master"] == "edge-2"
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: the VRRP states keepalived recorded (edge-1 master, edge-2 master) disagree with the "
        "shared addresses held (edge-2 holds 198.51.100.4/29, 2001:db8:5::1/64, 203.0.113.1/24)"
    ]
    routers = {"edge-1": audited(tmp_path, "backup"), "edge-2": audited(tmp_path / "..", "backup", held=())}
    master = audited(tmp_path, "master")
    routers["edge-1"]["first"], routers["edge-1"]["last"] = master["first"], master["last"]
    section, found = audit_pair.check("edge-pair", routers)
    assert section["master"] == "edge-1" and section["caches"]["compared"] and section["caches"]["in_sync"]
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: the VRRP states keepalived recorded (edge-1 backup, edge-2 backup) disagree with the "
        "shared addresses held (edge-1 holds 198.51.100.4/29, 2001:db8:5::1/64, 203.0.113.1/24)"
    ]


def test_a_dump_the_audit_cannot_read_is_never_in_sync(tmp_path):
    """M3: a dump in a format the parser does not know (every line unparsed), or cut at MAX_ENTRIES, leaves the
    caches "not compared" (a finding), never "in sync" with 0 connections."""
    foreign = "conntrackd 2.0 new format: 1 entry\n" + hasamples.INTERNAL_MASTER.replace("tcp      6", "TCP/6")
    section, found = pair(tmp_path, master_changes={"answers": {("conntrackd", "-i"): Result(0, foreign, "")}})
    assert section["caches"] == {
        "compared": False,
        "reason": "edge-1: conntrackd -i printed 2 line(s) that are not cache entries",
    }
    assert [f["text"] for f in found] == [
        "HA pair edge-pair: the conntrack caches were not compared: edge-1: conntrackd -i printed 2 line(s) that "
        "are not cache entries"
    ]
    cut = audit_ha.cache_entries({"entries": [], "unparsed": 0, "truncated": 3, "error": None}, REQUEST, {}, "external")
    assert cut["errors"] == [f"conntrackd -e printed 3 entries beyond the {ha_read.MAX_ENTRIES} read"]


def test_an_entry_without_its_age_is_settled_and_compared(tmp_path):
    """M3: an entry whose age conntrackd did not print cannot be called young: it is compared, and missing."""
    ageless = hasamples.INTERNAL_MASTER.replace(" [active since 5s]", "").replace("37034", "41000")
    lines = hasamples.INTERNAL_MASTER + ageless
    section, found = pair(tmp_path, master_changes={"answers": {("conntrackd", "-i"): Result(0, lines, "")}})
    assert section["caches"]["master_internal"] == 2 and section["caches"]["master_internal_younger"] == 0
    assert section["caches"]["missing_listed"] == ["tcp 203.0.113.50 100.64.20.10 41000 9000"]
