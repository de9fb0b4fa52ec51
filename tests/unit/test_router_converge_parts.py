"""symroute_router.steps.parts: the glue of the one-call converge's parts: services enabled and reported
as changes, the drop-in and the boot unit, the monitor restarted for code the routing part installed,
no verification in check mode, a disabled monitor without its control command."""

import pytest
from test_router_services import Systemd

from symroute_router.steps import parts

PACKAGE = {"__init__.py": '"""the package"""\n', "command.py": "# run a program\n"}


@pytest.fixture
def nft_unchanged(monkeypatch):
    monkeypatch.setattr(
        parts.nftables_step,
        "run",
        lambda request, check_mode, runner: {
            "changed": False,
            "reason": "",
            "elements": {},
            "systemd": True,
            "diff": {},
        },
    )


@pytest.mark.parametrize("check_mode", [True, False])
def test_enabling_nftables_service_is_a_change(nft_unchanged, check_mode):
    runner = Systemd()
    result = parts.nftables_part({"enable_service": True}, check_mode, runner)
    assert result["changed"] is True and result["services"] == ["enabled nftables.service"]
    assert runner.changes() == ([] if check_mode else [["systemctl", "enable", "nftables.service"]])


def test_an_enabled_nftables_service_changes_nothing(nft_unchanged):
    result = parts.nftables_part({"enable_service": True}, False, Systemd(enabled={"nftables.service"}))
    assert result["changed"] is False and result["services"] == []


def _routing_request(tmp_path, dropin=True):
    return {
        "package_dir": str(tmp_path / "lib"),
        "boot_unit": {"path": "/etc/x", "content": ""},
        "networkd_dropin": {
            "path": str(tmp_path / "networkd.conf.d" / "symroute.conf"),
            "content": "[Network]\n",
            "mode": "0644",
        }
        if dropin
        else {},
    }


@pytest.fixture
def routing_changed(monkeypatch):
    monkeypatch.setattr(
        parts.routing_step,
        "run",
        lambda request, check_mode, runner, warn: {
            "changed": True,
            "changes": {},
            "files": ["/etc/x"],
            "systemd": True,
            "check_mode": check_mode,
            "links": {},
            "diff": {"before": "", "after": "r\n"},
        },
    )


def test_routing_installs_the_package_writes_the_dropin_and_restarts_networkd_reloads_and_enables(
    tmp_path, routing_changed
):
    runner, installed = Systemd(), {}  # the fixture's routing step wrote the boot unit (/etc/x)
    result = parts.routing_part(_routing_request(tmp_path), False, runner, print, PACKAGE, installed)
    assert (tmp_path / "lib" / "symroute_router" / "command.py").read_text() == "# run a program\n"
    assert (tmp_path / "networkd.conf.d" / "symroute.conf").read_text() == "[Network]\n"
    assert installed == {str(tmp_path / "lib"): True}
    assert result["services"] == [
        "restarted systemd-networkd.service if it ran",
        "reloaded systemd's unit files",
        "enabled symroute-routing.service",
    ]
    assert runner.changes() == [
        ["systemctl", "try-restart", "systemd-networkd.service"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "symroute-routing.service"],
    ]
    assert len(result["diff"]) == 3  # the package, the rules and routes, the drop-in


def test_routing_in_check_mode_writes_nothing_and_runs_no_systemctl_change(tmp_path, routing_changed):
    runner = Systemd()
    result = parts.routing_part(_routing_request(tmp_path), True, runner, print, PACKAGE, {})
    assert result["changed"] is True and not (tmp_path / "lib").exists()
    assert not (tmp_path / "networkd.conf.d").exists() and runner.changes() == []


def _monitor_request(tmp_path, manager="systemd", enabled=True, directory="lib"):
    return {
        "enabled": enabled,
        "install_dir": str(tmp_path / directory),
        "service_manager": manager,
        "ctl_command": str(tmp_path / "ctl"),
        "files": [{"path": str(tmp_path / "monitor.json"), "content": "{}\n", "mode": "0644"}],
    }


def test_the_monitor_restarts_for_code_the_routing_part_installed_in_its_directory(tmp_path):
    request = _monitor_request(tmp_path, directory="lib/")  # the same directory, spelled differently
    parts.monitor_part(request, False, Systemd(), PACKAGE, {})  # first: files written, started
    unit = "symroute-monitor.service"
    runner = Systemd(enabled={unit}, active={unit})
    result = parts.monitor_part(request, False, runner, PACKAGE, {str(tmp_path / "lib"): True})
    assert result["services"] == [f"restarted {unit}"] and result["changed"] is True
    quiet = Systemd(enabled={unit}, active={unit})
    assert parts.monitor_part(request, False, quiet, PACKAGE, {str(tmp_path / "lib"): False})["changed"] is False
    assert quiet.changes() == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_disabled_background_monitor_without_its_control_command_needs_nothing(tmp_path, check_mode):
    runner = Systemd(monitor_running=None)  # its status would be an error if it were asked
    result = parts.monitor_part(
        _monitor_request(tmp_path, "background", enabled=False), check_mode, runner, PACKAGE, {}
    )
    assert result == {"code": [], "services": [], "diff": [], "files": [], "changed": False}
    assert runner.calls == []


def test_check_mode_on_a_fresh_router_reports_the_background_monitor_it_would_start(tmp_path):
    runner = Systemd()
    result = parts.monitor_part(_monitor_request(tmp_path, "background"), True, runner, PACKAGE, {})
    assert result["services"] == [f"started the background monitor ({tmp_path / 'ctl'})"]
    assert runner.calls == [] and not (tmp_path / "monitor.json").exists()


def test_nothing_is_verified_in_check_mode():
    class Refuses:
        def run(self, argv, stdin=None):
            raise AssertionError(f"check mode ran {argv}")

    result = parts.verify_part({"verify": {}, "monitor_state_file": "/run/x"}, True, Refuses(), {})
    assert result["changed"] is False and "nothing to verify" in result["skipped"]


def test_a_rule_change_alone_does_not_reload_systemd(tmp_path, monkeypatch):
    monkeypatch.setattr(
        parts.routing_step,
        "run",
        lambda request, check_mode, runner, warn: {
            "changed": True,
            "changes": {},
            "files": [],
            "systemd": True,
            "links": {},
            "diff": {},
        },
    )
    runner = Systemd(enabled={"symroute-routing.service"})
    result = parts.routing_part(_routing_request(tmp_path, dropin=False), False, runner, print, PACKAGE, {})
    assert result["services"] == [] and runner.changes() == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_the_metrics_directory_is_made_before_the_sandboxed_monitor_starts_and_a_second_run_changes_nothing(
    tmp_path, check_mode
):
    """ReadWritePaths= only opens a directory that exists when the unit starts: on a router without
    node_exporter the converge makes the textfile's directory first (check mode: reports it)."""
    request = dict(_monitor_request(tmp_path), directories=[str(tmp_path / "prometheus" / "node-exporter")])
    runner = Systemd()
    result = parts.monitor_part(request, check_mode, runner, PACKAGE, {})
    assert str(tmp_path / "prometheus" / "node-exporter") in result["files"] and result["changed"] is True
    assert (tmp_path / "prometheus" / "node-exporter").is_dir() is not check_mode
    if not check_mode:
        assert (tmp_path / "prometheus" / "node-exporter").stat().st_mode & 0o777 == 0o755
        unit = "symroute-monitor.service"
        quiet = Systemd(enabled={unit}, active={unit})
        assert parts.monitor_part(request, False, quiet, PACKAGE, {})["changed"] is False


@pytest.mark.parametrize("directory", ["relative/dir", "", None, ["/a"]])
def test_a_directory_that_is_not_an_absolute_path_fails_the_step(tmp_path, directory):
    request = dict(_monitor_request(tmp_path), directories=[directory])
    with pytest.raises(parts.StepFailed, match="absolute path"):
        parts.monitor_part(request, False, Systemd(), PACKAGE, {})
