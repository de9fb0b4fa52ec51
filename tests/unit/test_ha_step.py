"""symroute_router.steps.ha_step: the HA pair's files written only when they differ, conntrackd restarted
for a new configuration, keepalived reloaded (never restarted: that would switch the pair over), both
enabled and started; nothing changed in check mode; refused without systemd."""

import pytest
from test_router_services import Systemd

from symroute_router.steps import StepFailed, ha_step

UNITS = {"conntrackd.service", "keepalived.service"}


def _request(tmp_path, keepalived="vrrp 1\n", conntrackd="sync 1\n"):
    return {
        "directories": [str(tmp_path / "run")],
        "conntrackd": {"files": [{"path": str(tmp_path / "conntrackd.conf"), "content": conntrackd, "mode": "0644"}]},
        "keepalived": {"files": [{"path": str(tmp_path / "keepalived.conf"), "content": keepalived, "mode": "0644"}]},
    }


@pytest.fixture(autouse=True)
def systemd(monkeypatch):
    monkeypatch.setattr(ha_step, "runs_systemd", lambda: True)


def test_a_first_run_writes_the_files_then_enables_and_starts_conntrackd_before_keepalived(tmp_path):
    runner = Systemd()
    result = ha_step.ha_part(_request(tmp_path), False, runner)
    assert result["changed"] and (tmp_path / "run").is_dir()
    assert (tmp_path / "keepalived.conf").read_text() == "vrrp 1\n"
    assert runner.changes() == [
        ["systemctl", "enable", "conntrackd.service"],
        ["systemctl", "restart", "conntrackd.service"],
        ["systemctl", "enable", "keepalived.service"],
        ["systemctl", "restart", "keepalived.service"],
    ]
    assert result["services"][1] == "started conntrackd.service"


def test_a_second_run_changes_nothing(tmp_path):
    ha_step.ha_part(_request(tmp_path), False, Systemd())
    runner = Systemd(enabled=UNITS, active=UNITS)
    result = ha_step.ha_part(_request(tmp_path), False, runner)
    assert not result["changed"] and runner.changes() == [] and result["diff"] == []


def test_a_new_keepalived_configuration_reloads_keepalived_and_leaves_conntrackd(tmp_path):
    ha_step.ha_part(_request(tmp_path), False, Systemd())
    runner = Systemd(enabled=UNITS, active=UNITS)
    result = ha_step.ha_part(_request(tmp_path, keepalived="vrrp 2\n"), False, runner)
    assert runner.changes() == [["systemctl", "reload", "keepalived.service"]]
    assert result["services"] == ["reloaded keepalived.service"]
    assert result["diff"][0]["before"] == "vrrp 1\n" and result["diff"][0]["after"] == "vrrp 2\n"


def test_a_new_conntrackd_configuration_restarts_conntrackd(tmp_path):
    ha_step.ha_part(_request(tmp_path), False, Systemd())
    runner = Systemd(enabled=UNITS, active=UNITS)
    ha_step.ha_part(_request(tmp_path, conntrackd="sync 2\n"), False, runner)
    assert runner.changes() == [["systemctl", "restart", "conntrackd.service"]]


def test_check_mode_reports_and_changes_nothing(tmp_path):
    runner = Systemd()
    result = ha_step.ha_part(_request(tmp_path), True, runner)
    assert result["changed"] and runner.changes() == []
    assert not (tmp_path / "keepalived.conf").exists() and not (tmp_path / "run").exists()
    assert result["diff"][0]["after"] == "sync 1\n"


def test_a_router_without_systemd_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(ha_step, "runs_systemd", lambda: False)
    with pytest.raises(StepFailed, match="needs systemd"):
        ha_step.ha_part(_request(tmp_path), False, Systemd())
    assert not (tmp_path / "keepalived.conf").exists()


def test_a_failed_reload_stops_the_part_with_systemctl_s_message(tmp_path):
    ha_step.ha_part(_request(tmp_path), False, Systemd())
    runner = Systemd(enabled=UNITS, active=UNITS, refuse={"reload"})
    with pytest.raises(StepFailed, match="systemctl reload keepalived.service failed: Failed to reload"):
        ha_step.ha_part(_request(tmp_path, keepalived="vrrp 3\n"), False, runner)
