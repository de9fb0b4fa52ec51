"""symroute doctor on a router of an HA pair (symroute_router.doctor.ha): keepalived and conntrackd running,
keepalived's configuration test, the VRRP state, the peer over the sync link, the shared addresses held by
exactly the master, conntrackd's caches; each finding with its evidence and a fix. A router alone gets none.
The answers are the HA lab's (hasamples), and hostile ones."""

import json

import hasamples
import pytest
from hasamples import HA_SECTION

from symroute_router.command import Result
from symroute_router.doctor import diagnose, ha, markdown


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A monitor configuration of the pair's edge-1 and its VRRP state file (master), in a directory the
    doctor reads state files from (as /run/symroute on a router)."""
    monkeypatch.setattr(ha, "STATE_DIRS", (str(tmp_path),))
    state = tmp_path / "ha-state"
    state.write_text("master 1796613085.1\n")
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps({"monitor": {"links": []}, "settings": {"ha_state_file": str(state)}, "ha": HA_SECTION}))
    return path, state


def ids(found):
    return [(item["id"], item["severity"]) for item in found]


def test_a_healthy_master_has_only_the_caches_note(config):
    section = ha.read(hasamples.router(), str(config[0]))
    assert section["vrrp"]["state"] == "master" and section["keepalived_config_test"]["passed"] is True
    found = ha.findings(section)
    assert ids(found) == [("ha-conntrackd-caches/conntrackd", "info")]
    assert found[0]["evidence"]["internal"]["active"] == 1


def test_a_router_alone_or_a_hostile_configuration_has_no_ha_section(tmp_path):
    for content in ("{}", "not json", '{"ha": "x"}', '{"ha": {"sync": 1, "instances": []}}', "[]"):
        path = tmp_path / "monitor.json"
        path.write_text(content)
        assert ha.read(hasamples.router(), str(path)) is None and ha.findings(None) == []
    assert ha.read(hasamples.router(), str(tmp_path / "missing.json")) is None


def test_every_problem_of_a_broken_backup_is_one_finding_with_evidence_and_fix(config):
    path, state = config
    state.write_text("backup 1")
    runner = hasamples.router(
        "backup",
        ping_rc=1,
        answers={
            ("systemctl", "is-active", "conntrackd.service"): Result(3, "failed\n", ""),
            ("keepalived", "-t"): Result(1, "", "Unknown keyword 'vrrp_instanc'\n"),
            ("conntrackd", "-s"): Result(1, "", "[ERROR] can't connect: is conntrackd running?"),
        },
    )
    found = ha.findings(ha.read(runner, str(path)))
    assert ids(found) == [
        ("ha-service/conntrackd", "problem"),
        ("ha-keepalived-config/keepalived", "problem"),
        ("ha-sync-peer/sync0", "problem"),
        ("ha-shared-addresses/edge-1", "problem"),
        ("ha-conntrackd-caches/conntrackd", "problem"),
    ]
    assert all(item["fix"] and item["evidence"] for item in found)
    assert found[1]["evidence"]["detail"] == "Unknown keyword 'vrrp_instanc'"
    assert "may have two masters" in found[3]["title"]


def test_missing_programs_and_a_truncated_state_file(config):
    path, state = config
    state.write_text("mast")
    found = ha.findings(ha.read(hasamples.Runner({}), str(path)))
    assert ids(found) == [
        ("ha-service/conntrackd", "problem"),
        ("ha-service/keepalived", "problem"),
        ("ha-vrrp-state/edge-1", "problem"),
        ("ha-sync-peer/sync0", "problem"),
        ("ha-conntrackd-caches/conntrackd", "problem"),
    ]
    assert found[0]["evidence"]["error"] == "systemctl is not installed"
    assert "holds no VRRP state (4 characters" in found[2]["evidence"]["error"]


def test_the_doctor_s_report_has_the_pair_its_findings_and_markdown(config):
    report = diagnose(hasamples.router(), {"monitor_config": str(config[0])}, hostname="edge-1", now=0)
    assert report["ha"]["vrrp"]["state"] == "master"
    assert ("ha-conntrackd-caches/conntrackd", "info") in ids(report["findings"])
    text = markdown.render(report)
    assert "## HA pair edge-pair" in text and "`reachable`" in text


def test_a_state_file_outside_symroute_s_run_directory_is_not_read_nor_shown(config, tmp_path):
    """L2: a monitor configuration naming /etc/shadow (or a path with ..) as the state file: the doctor does
    not read it, says why, and shows nothing of it."""
    path, _state = config
    secret = tmp_path.parent / "shadow"
    secret.write_text("root:$y$j9T$secret:19000:0:99999:7:::\n")
    for named in (str(secret), f"{tmp_path}/../shadow", "ha-state", 7):
        path.write_text(json.dumps({"settings": {"ha_state_file": named}, "ha": HA_SECTION}))
        section = ha.read(hasamples.router(), str(path))
        assert section["vrrp"]["state"] is None and "secret" not in json.dumps(section), named
        assert section["vrrp"]["error"] == (
            f"not read: the monitor configuration's ha_state_file is not a plain path in {tmp_path}"
        )
        assert ("ha-monitor-config/monitor.json", "problem") in ids(ha.findings(section))


def test_malformed_instances_are_one_finding_each_never_a_traceback(config):
    path, _state = config
    instances = [7, {"name": "lan4"}, {"name": "x", "interface": "lan0", "addresses": "203.0.113.1/24"}]
    section = dict(HA_SECTION, instances=[*instances, HA_SECTION["instances"][2]])
    path.write_text(json.dumps({"settings": {"ha_state_file": str(_state)}, "ha": section}))
    found = ha.findings(ha.read(hasamples.router(), str(path)))
    assert [item["title"] for item in found if item["id"] == "ha-monitor-config/monitor.json"] == [
        "the monitor configuration's pair section is malformed: ha.instances[0] is not a mapping",
        "the monitor configuration's pair section is malformed: ha.instances[1] has no name or interface",
        "the monitor configuration's pair section is malformed: ha.instances[2] (x) has no list of addresses",
    ]


def test_a_peer_whose_reachability_is_unknown_is_not_shown_unreachable(config):
    """L5: ping not installed: the peer's reachability is unknown, and the Markdown says so."""
    report = diagnose(hasamples.router(answers={}), {"monitor_config": str(config[0])}, hostname="edge-1", now=0)
    report["ha"]["sync"]["reachable"] = None
    text = markdown.render(report)
    assert "over `sync0`: `unknown`" in text and "unreachable" not in text
