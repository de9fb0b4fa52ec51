"""playbooks/failover-drill.yml on the router container: the drill, its refusals, and its dead-man switch."""

import json
import os
import signal
import subprocess
import time

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY


def _all_in_service(state):
    return all(link["up"] and not link["gated"] for link in state["links"].values()) and not state.get("drill")


def _drill(router, tmp_path, **extra):
    return router.playbook(
        playbook="playbooks/failover-drill.yml",
        extra_vars=dict(
            {"symroute_drill_link": "wan_a", "symroute_drill_seconds": 30, "symroute_report_dir": str(tmp_path)},
            **extra,
        ),
    )


def test_the_drill_moves_the_partners_off_the_link_and_back(router, tmp_path):
    router.wait_for_monitor(_all_in_service, 15, "every link in service")
    result = _drill(router, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    report = json.loads((tmp_path / f"drill-{router.name}.json").read_text())
    assert report["result"] == "passed" and report["link"] == "wan_a"
    assert report["during"]["links"]["wan_a"]["gated"] and report["during"]["drill"]["link"] == "wan_a"
    assert not report["after"]["links"]["wan_a"]["gated"] and report["after"]["drill"] is None
    # The verification during the drill ran against the link out of service (and passed).
    assert result.stdout.count("TASK [symroute_verify : Verify on the router") == 2
    assert _all_in_service(router.monitor_state())
    route = json.loads(router.sh("ip -json route get 100.64.20.10 mark 0x100").stdout)[0]
    assert route["dev"] == "wana"


def test_a_drill_is_refused_while_another_link_is_down(router, tmp_path):
    router.wait_for_monitor(_all_in_service, 15, "every link in service")
    router.sh("ip -n isp_b link set eth0 down")
    try:
        router.wait_for_monitor(lambda s: s["links"]["wan_b"]["gated"], 3, "wan_b out of service")
        result = _drill(router, tmp_path)
        assert result.returncode != 0
        assert "no drill of wan_a: wan_b already out of service or down" in result.stdout, result.stdout[-3000:]
        assert not router.monitor_state()["links"]["wan_a"]["gated"]
    finally:
        router.sh("ip -n isp_b link set eth0 up; ip -n isp_b -6 addr replace 2001:db8:b::1/64 dev eth0 nodad")
    router.wait_for_monitor(_all_in_service, 15, "every link back in service")


def test_a_controller_killed_mid_drill_leaves_the_link_out_only_until_the_deadline(router, tmp_path):
    router.wait_for_monitor(_all_in_service, 15, "every link in service")
    router.write_inventory()
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "symroute_drill_link": "wan_a",
                "symroute_drill_seconds": 8,
                "symroute_drill_hold_s": 120,
                "symroute_report_dir": str(tmp_path),
            }
        )
    )
    controller = subprocess.Popen(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(router.inventory),
            str(REPOSITORY / "playbooks" / "failover-drill.yml"),
            "-e",
            f"@{extra}",
        ],
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(PODMAN_ENVIRONMENT, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg")),
    )
    try:
        state = router.wait_for_monitor(
            lambda s: (s.get("drill") or {}).get("link") == "wan_a" and s["links"]["wan_a"]["gated"],
            60,
            "the drill in force",
        )
        deadline = state["drill"]["until"]
        time.sleep(1.5)  # into the hold: the controller is waiting, the link is out
        os.killpg(controller.pid, signal.SIGKILL)
        controller.wait()
        assert router.monitor_state()["links"]["wan_a"]["gated"]  # nobody ended the drill
        back = router.wait_for_monitor(_all_in_service, 15, "wan_a back in service without the controller")
        assert back["updated"] >= deadline  # not before the deadline the router kept
        assert back["updated"] - deadline < 3
    finally:
        if controller.poll() is None:
            os.killpg(controller.pid, signal.SIGKILL)
