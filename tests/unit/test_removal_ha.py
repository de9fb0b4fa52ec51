"""Removing symroute from a router of an HA pair (symroute_router.removal, playbooks/remove.yml): the notify
command goes first, then keepalived and conntrackd are stopped and disabled and their configuration files go,
only files carrying symroute's header; check mode lists them; a second run finds nothing."""

import hasamples
import pytest

from symroute_router import removal
from symroute_router.command import Result

HEADER = "Managed by symroute (ansible-playbook symmetric-routing.yml); local edits are overwritten."


@pytest.fixture
def pair_files(tmp_path):
    paths = {
        "keepalived_config": tmp_path / "keepalived.conf",
        "conntrackd_config": tmp_path / "conntrackd.conf",
        "notify_command": tmp_path / "symroute-ha-notify",
    }
    paths["keepalived_config"].write_text(f"# {HEADER}\nglobal_defs {{\n}}\n")
    paths["conntrackd_config"].write_text(f"# {HEADER}\nSync {{\n}}\n")
    paths["notify_command"].write_text(f"#!/bin/sh\n# {HEADER}\nexit 0\n")
    return {key: str(path) for key, path in paths.items()}


def request(pair_files):
    return {"files": [], "directories": [], "ha": dict(pair_files, marker=HEADER)}


def test_check_mode_lists_the_services_and_files(pair_files):
    assert removal.present(request(pair_files)) == [
        "keepalived.service (stopped and disabled)",
        "conntrackd.service (stopped and disabled)",
        *sorted(pair_files.values()),
    ]


def test_the_notify_command_goes_first_then_keepalived_then_conntrackd(pair_files):
    runner, done = hasamples.Runner({("systemctl",): Result(0, "inactive\n", "")}), []
    removal._ha(runner, True, removal._ha_files(request(pair_files)), done)
    assert done == [
        f"removed {pair_files['notify_command']}",
        "stopped and disabled keepalived.service",
        f"removed {pair_files['keepalived_config']}",
        "stopped and disabled conntrackd.service",
        f"removed {pair_files['conntrackd_config']}",
    ]
    assert runner.calls == [
        ["systemctl", "disable", "--now", "keepalived.service"],
        ["systemctl", "is-active", "keepalived.service"],
        ["systemctl", "disable", "--now", "conntrackd.service"],
        ["systemctl", "is-active", "conntrackd.service"],
    ]
    assert removal._ha_files(request(pair_files)) == {} and removal.present(request(pair_files)) == []


def test_a_file_symroute_did_not_write_stays_with_its_service(pair_files, tmp_path):
    with open(pair_files["conntrackd_config"], "w") as handle:
        handle.write("# the distribution's sample\nSync {\n}\n")
    runner, done = hasamples.Runner({("systemctl",): Result(0, "", "")}), []
    removal._ha(runner, True, removal._ha_files(request(pair_files)), done)
    assert "stopped and disabled conntrackd.service" not in done
    assert ["systemctl", "disable", "--now", "conntrackd.service"] not in runner.calls
    with open(pair_files["conntrackd_config"]) as handle:
        assert handle.read().startswith("# the distribution's")


def test_a_router_alone_and_unreadable_files_are_left_alone(tmp_path):
    assert removal._ha_files({"files": [], "directories": []}) == {}
    directory = tmp_path / "keepalived.conf"
    directory.mkdir()  # not a file: not symroute's
    assert removal._ha_files({"ha": {"keepalived_config": str(directory), "marker": HEADER}}) == {}


@pytest.mark.parametrize(
    "answers",
    [
        {("systemctl", "disable"): Result(1, "", "Failed to stop keepalived.service: Connection timed out")},
        {("systemctl", "disable"): Result(0, "", ""), ("systemctl", "is-active"): Result(0, "active\n", "")},
    ],
    ids=["disable-failed", "still-active"],
)
def test_a_keepalived_that_did_not_stop_keeps_its_configuration_and_fails(pair_files, answers):
    runner, done = hasamples.Runner({**answers, ("systemctl",): Result(3, "inactive\n", "")}), []
    with pytest.raises(removal.RemovalError) as raised:
        removal._ha(runner, True, removal._ha_files(request(pair_files)), done)
    assert str(raised.value).startswith("keepalived.service did not stop (systemctl disable --now: rc ")
    assert f"{pair_files['keepalived_config']} is left in place for another run" in str(raised.value)
    assert done == [f"removed {pair_files['notify_command']}"]
    assert removal._ha_files(request(pair_files)) == {
        "keepalived_config": pair_files["keepalived_config"],
        "conntrackd_config": pair_files["conntrackd_config"],
    }
    assert ["systemctl", "disable", "--now", "conntrackd.service"] not in runner.calls
