"""The symroute_ha role renders keepalived's and conntrackd's configuration and the notify command from the
plan's `ha` section (real Ansible, the role's request task); the notify command commits conntrackd's cache in
the order docs/design.md argues (run for real with a stand-in conntrackd); the nftables table of a pair
drops unsynced mid-stream TCP to the shared addresses (checked by nft) and a router without `ha` renders
exactly as before."""

import json
import os
import subprocess

import pytest
import yaml
from hafixture import ha_plan

from paths import REPOSITORY
from rendering import environment, role_variables

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.import_role: {name: symroute_ha, tasks_from: request}
    - ansible.builtin.copy: {content: "{{ symroute_ha_request | to_json }}", dest: "{{ out }}", mode: "0644"}
"""


def _request(tmp_path, plan, **settings):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    variables = dict(settings, symroute_ha_plan=plan, out=str(tmp_path / "request.json"))
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_ROLES_PATH=str(REPOSITORY / "roles"))
    result = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            "localhost,",
            str(tmp_path / "play.yml"),
            "-e",
            f"@{tmp_path / 'vars.json'}",
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    request = json.loads((tmp_path / "request.json").read_text())
    files = {item["path"]: item for part in ("conntrackd", "keepalived") for item in request[part]["files"]}
    return request, files


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return _request(tmp_path_factory.mktemp("ha"), ha_plan())


def _block(text, header):
    """The lines of the brace block that starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    depth, block = 0, []
    for line in lines[start:]:
        depth += line.count("{") - line.count("}")
        block.append(line.strip())
        if depth == 0:
            return block
    raise AssertionError(f"{header} is not closed")


def test_one_vrrp_instance_per_entry_all_in_one_sync_group(rendered):
    conf = rendered[1]["/etc/keepalived/keepalived.conf"]["content"]
    assert "vrrp_version 3" in conf
    assert conf.count("vrrp_sync_group ") == 1
    assert _block(conf, "vrrp_sync_group edge-pair")[1:7] == ["group {", "lan4", "lan6", "wan_a4", "wan_b4", "}"]
    for name, interface, vrid, address in (
        ("lan4", "lan0", 10, "203.0.113.1/24"),
        ("lan6", "lan0", 10, "2001:db8:5::1/64"),
        ("wan_a4", "wana", 21, "198.51.100.4/29"),
        ("wan_b4", "wanb", 22, "198.51.100.12/29"),
    ):
        block = _block(conf, f"vrrp_instance {name} ")
        assert f"interface {interface}" in block and f"virtual_router_id {vrid}" in block
        assert "state BACKUP" in block and "priority 150" in block and "advert_int 0.10" in block
        assert "nopreempt" in block
        assert f"{address} dev {interface}" in block
        assert "symroute_yield weight 0" in block  # a non-zero yield file puts the group in FAULT


def test_the_yield_file_and_the_notify_command_are_keepalived_s(rendered):
    conf = rendered[1]["/etc/keepalived/keepalived.conf"]["content"]
    assert "file /run/symroute/ha-yield" in _block(conf, "vrrp_track_file symroute_yield")
    group = _block(conf, "vrrp_sync_group edge-pair")
    for state in ("master", "backup", "fault", "stop"):
        assert f'notify_{state} "/usr/local/sbin/symroute-ha-notify {state}"' in group
    assert rendered[1]["/usr/local/sbin/symroute-ha-notify"]["mode"] == "0755"


def test_preempt_and_the_interval_come_from_the_plan(tmp_path):
    _, files = _request(tmp_path, ha_plan(preempt=True, advert_interval_ms=250, priority=100))
    conf = files["/etc/keepalived/keepalived.conf"]["content"]
    assert "nopreempt" not in conf
    assert conf.count("advert_int 0.25") == 4 and conf.count("priority 100") == 4


def test_conntrackd_syncs_over_the_sync_link_and_ignores_the_router_s_own_addresses(rendered):
    conf = rendered[1]["/etc/conntrackd/conntrackd.conf"]["content"]
    assert "Mode FTFW {" in conf and "DisableExternalCache off" in conf
    udp = _block(conf, "UDP {")
    assert "IPv4_address 10.255.0.1" in udp and "IPv4_Destination_Address 10.255.0.2" in udp
    assert "Interface sync0" in udp and "Port 3780" in udp
    ignored = _block(conf, "Address Ignore {")
    # The sync link's two ends, each link's own and shared address, the LAN's shared addresses, loopback.
    assert ignored[1:-1] == [
        "IPv4_address 10.255.0.1",
        "IPv4_address 10.255.0.2",
        "IPv4_address 127.0.0.1",
        "IPv4_address 198.51.100.10",
        "IPv4_address 198.51.100.12",
        "IPv4_address 198.51.100.2",
        "IPv4_address 198.51.100.4",
        "IPv4_address 203.0.113.1",
        "IPv6_address 2001:db8:5::1",
        "IPv6_address ::1",
    ]
    assert "Systemd on" in conf  # Debian's conntrackd.service is Type=notify


def test_the_request_makes_the_state_and_yield_directories(rendered):
    assert rendered[0]["directories"] == ["/run/symroute", "/run/symroute"]


@pytest.mark.parametrize(
    ("state", "calls"),
    [
        ("master", ["-c", "-f internal", "-R", "-B"]),
        ("backup", ["-n", "-B"]),
        ("fault", ["-n", "-B"]),
    ],
)
def test_the_notify_command_commits_before_it_flushes_and_records_the_state(rendered, tmp_path, state, calls):
    """Run for real (sh) with a stand-in conntrackd that logs its arguments."""
    log, state_file = tmp_path / "calls", tmp_path / "run" / "ha-state"
    stand_in = tmp_path / "conntrackd"
    stand_in.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    stand_in.chmod(0o755)
    script = rendered[1]["/usr/local/sbin/symroute-ha-notify"]["content"]
    script = script.replace("/usr/sbin/conntrackd", str(stand_in)).replace("/run/symroute/ha-state", str(state_file))
    (tmp_path / "notify").write_text(script)
    result = subprocess.run(["sh", str(tmp_path / "notify"), state], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    config = "-C /etc/conntrackd/conntrackd.conf"
    assert log.read_text().splitlines() == [f"{config} {call}" for call in calls]
    assert state_file.read_text().split()[0] == state


def _nft(plan):
    variables = dict(role_variables("symroute_nftables", plan), symroute_nftables_plan=plan)
    return environment("symroute_nftables").get_template("symroute.nft.j2").render(variables)


def test_a_pair_s_table_drops_unsynced_mid_stream_tcp_to_the_shared_addresses():
    text = _nft(ha_plan())
    chain = _block(text, "chain ha_unsynced")
    assert "type filter hook input priority filter; policy accept;" in chain
    assert (
        "ip daddr { 198.51.100.12, 198.51.100.4, 203.0.113.1 } tcp flags & (syn | ack) != syn ct state { new, invalid } counter drop"
        in chain
    )
    assert "ip6 daddr { 2001:db8:5::1 } tcp flags & (syn | ack) != syn ct state { new, invalid } counter drop" in chain


def test_nft_accepts_the_pair_s_table(tmp_path):
    # nft -c needs root and nftables, as `bin/run test` has them: run elsewhere, this fails rather than skip.
    path = tmp_path / "symroute.nft"
    path.write_text(_nft(ha_plan()))
    result = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_router_without_ha_renders_its_table_as_before():
    plan = ha_plan()
    del plan["ha"]
    assert "ha_unsynced" not in _nft(plan)
    before = subprocess.run(
        ["git", "show", "HEAD:roles/symroute_nftables/templates/symroute.nft.j2"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=False,
    )
    if before.returncode == 0 and "ha_unsynced" not in before.stdout:
        import jinja2

        env = environment("symroute_nftables")
        env.loader = jinja2.DictLoader({"symroute.nft.j2": before.stdout})
        variables = dict(role_variables("symroute_nftables", plan), symroute_nftables_plan=plan)
        assert env.get_template("symroute.nft.j2").render(variables) == _nft(plan)


def test_the_playbook_wires_the_role_only_for_a_router_with_ha():
    play = next(
        play
        for play in yaml.safe_load((REPOSITORY / "symmetric-routing.yml").read_text())
        if "__symroute_converge_parts" in play.get("vars", {})
    )
    task = next(
        task for task in play["tasks"] if task.get("ansible.builtin.import_role", {}).get("name") == "symroute_ha"
    )
    assert task["when"] == "symroute_plan.ha is defined"
    assert "ha" in play["vars"]["__symroute_converge_parts"]


def test_a_shared_link_s_snat_leaves_the_router_s_own_address_alone():
    """The monitor's probes leave from the router's own address and must keep it (the backup does not hold
    the shared address); a link the pair does not share (``mode: own``) is SNATed as on a router alone."""
    chain = _block(_nft(ha_plan()), "chain source_nat")
    wana = [line for line in chain if line.startswith('oifname "wana" meta nfproto ipv4')]
    wanb = [line for line in chain if line.startswith('oifname "wanb" meta nfproto ipv4')]
    assert len(wana) == 1 and "ip saddr != { 198.51.100.2 } ct mark set" in wana[0]
    assert len(wanb) == 1 and "ip saddr != { 198.51.100.10 } ct mark set" in wanb[0]
    own_b = ha_plan(links={"wan_a": {"mode": "shared", "address": "198.51.100.4/29"}, "wan_b": {"mode": "own"}})
    chain = _block(_nft(own_b), "chain source_nat")
    wanb = [line for line in chain if line.startswith('oifname "wanb" meta nfproto ipv4')]
    assert len(wanb) == 1 and "saddr" not in wanb[0]
