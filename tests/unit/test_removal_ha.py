"""Removing symroute from a router of an HA pair (symroute_router.removal, playbooks/remove.yml): the notify
command goes first, then keepalived and conntrackd are stopped and disabled and their configuration files go,
only files carrying symroute's header; check mode lists them; a second run finds nothing."""

import base64

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
    return {"files": [], "directories": [], "ha": dict(pair_files, header_line=f"# {HEADER}")}


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
    assert removal._ha_files({"ha": {"keepalived_config": str(directory), "header_line": f"# {HEADER}"}}) == {}


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


def _remove_play():
    import yaml

    from paths import REPOSITORY

    return yaml.safe_load((REPOSITORY / "playbooks" / "remove.yml").read_text())[1]


def _template(expression, variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def _holds(held, recorded="master"):
    """remove.yml's master decision for edge-1 holding ``held`` (ip -json addr), its state file ``recorded``."""
    plan = {"ha": dict(HA_PLAN, peer="edge-2")}
    return _template(
        _remove_play()["vars"]["__symroute_remove_holds"],
        {
            "symroute_plan": plan,
            "__symroute_remove_ip": {"stdout": hasamples.addresses(held)},
            "__symroute_remove_vrrp": {"content": base64.b64encode(f"{recorded} 1796613085.1\n".encode()).decode()},
        },
    )


HA_PLAN = {"pair": "edge-pair", "instances": [{"addresses": ["198.51.100.4/29"]}, {"addresses": ["2001:db8:5::1/64"]}]}


def test_remove_decides_the_master_by_the_shared_addresses_not_the_state_file():
    """M1: a router whose state file says backup (notify never ran) but holds the addresses is the master; one
    whose file still says master (keepalived killed) without them is not."""
    assert _holds([("wana", "198.51.100.4/29")], recorded="backup") is True
    assert _holds([("lan0", "2001:db8:5::1/64")]) is True
    assert _holds([], recorded="master") is False
    assert _holds([("wana", "198.51.100.5/29")]) is False


@pytest.mark.parametrize(
    ("mine", "peers", "running", "passes"),
    [
        (True, False, True, True),
        (True, True, True, False),  # split brain: which one goes last?
        (False, False, True, False),  # keepalived runs and nobody holds the addresses: not clear
        (False, False, False, True),  # keepalived runs on neither: a pair removed already (a second run)
    ],
)
def test_remove_fails_a_pair_without_exactly_one_master(mine, peers, running, passes):
    play = _remove_play()
    task = next(t for t in play["tasks"] if t["name"].startswith("Each pair in the run has exactly one master"))
    variables = {
        "__symroute_remove_master": mine,
        "__symroute_remove_running": False,
        "__symroute_remove_peer": "edge-2",
        "hostvars": {"edge-2": {"__symroute_remove_master": peers, "__symroute_remove_running": running}},
    }
    assert bool(_template("{{ " + task["ansible.builtin.assert"]["that"] + " }}", variables)) is passes
    assert _template(
        "{{ " + task["ansible.builtin.assert"]["that"] + " }}", dict(variables, __symroute_remove_peer=None)
    )


def test_remove_keeps_the_master_when_its_peer_s_removal_failed():
    play = _remove_play()
    names = [task["name"] for task in play["tasks"]]
    guard = next(t for t in play["tasks"] if t["name"] == "A pair's master stays when its peer's removal failed")
    assert (
        names.index(guard["name"])
        == names.index("Remove everything symroute installed (a pair's master, once its backup is removed)") - 1
    )
    variables = {
        "__symroute_remove_master": True,
        "symroute_plan": {"ha": {"peer": "edge-2", "pair": "edge-pair"}},
        "ansible_play_hosts_all": ["edge-1", "edge-2"],
    }
    condition = "{{ " + guard["when"] + " }}"
    assert _template(condition, dict(variables, ansible_play_hosts=["edge-1"])) is True
    assert _template(condition, dict(variables, ansible_play_hosts=["edge-1", "edge-2"])) is False


@pytest.mark.parametrize(
    "content",
    [
        "# Managed by symroute\nglobal_defs {\n}\n",  # an older or shorter header: a substring of it
        f"# operator's file, mentions # {HEADER}\n",  # the header inside another line
        f"# operator's file\n# more\n# {HEADER}\n",  # not at the top
        f"#!/bin/sh\n#!/bin/sh\n# {HEADER}\n",
        f"   # {HEADER}\n",
    ],
)
def test_only_the_exact_header_line_at_the_top_is_symroute_s_and_the_rest_is_said(pair_files, content):
    """L3: a file is symroute's only when its first line (after a #! line) is exactly the rendered header;
    one that is not stays with its service, and check mode and the removal both say so."""
    with open(pair_files["keepalived_config"], "w") as handle:
        handle.write(content)
    paths = request(pair_files)
    said = f"left keepalived.service: {pair_files['keepalived_config']} has no symroute header"
    assert "keepalived.service (stopped and disabled)" not in removal.present(paths)
    assert removal.left(paths) == [said]
    runner, done = hasamples.Runner({("systemctl",): Result(0, "inactive\n", "")}), []
    removal._ha(runner, True, removal._ha_files(paths), done)
    assert ["systemctl", "disable", "--now", "keepalived.service"] not in runner.calls
    assert removal.left(paths) == [said] and "conntrackd.service" in " ".join(done)


def test_the_notify_command_s_header_is_its_second_line_and_a_foreign_one_is_said(pair_files):
    assert removal._ha_files(request(pair_files))["notify_command"] == pair_files["notify_command"]
    with open(pair_files["notify_command"], "w") as handle:
        handle.write("#!/bin/sh\n# my own notify script, Managed by symroute? no\n")
    assert removal.left(request(pair_files)) == [f"left {pair_files['notify_command']} has no symroute header"]
