"""The parts of the one-call converge (``..converge``), each one or more steps with the services they need:
the nftables table (and nftables.service), rules and routes (with the router package, the
systemd-networkd drop-in and the boot unit), the verification, and the link monitor (its package copy,
files and service)."""

import os

from .. import verify
from ..files import runs_systemd
from . import StepFailed, files_step, nftables_step, package_step, routing_step, services


def _same_directory(installed, directory):
    return installed.get(os.path.normpath(directory), False)


def nftables_part(request, check_mode, runner):
    result = nftables_step.run(request, check_mode, runner)
    result["services"] = []
    if request.get("enable_service") and result["systemd"]:
        result["services"] = services.enable(runner, "nftables.service", check_mode)
    result["changed"] = result["changed"] or bool(result["services"])
    return result


def routing_part(request, check_mode, runner, warn, package_files, installed):
    """``installed``: package directory to whether this run changed the code there (filled in here)."""
    package = package_step.run({"dest": request["package_dir"], "files": package_files}, check_mode)
    installed[os.path.normpath(request["package_dir"])] = package["changed"]
    result = routing_step.run(request, check_mode, runner, warn)
    result["package"] = {key: package[key] for key in ("written", "removed")}
    result["services"], diffs = [], [package["diff"], result["diff"]]
    if result["systemd"]:
        dropin = files_step.run([request["networkd_dropin"]] if request.get("networkd_dropin") else [], check_mode)
        diffs += dropin["diff"]
        if dropin["changed"]:
            result["services"] += services.try_restart(runner, "systemd-networkd.service", check_mode)
        if request.get("boot_unit"):
            if request["boot_unit"]["path"] in result["files"]:
                result["services"] += services.daemon_reload(runner, check_mode)
            result["services"] += services.enable(runner, "symroute-routing.service", check_mode)
        result["networkd_dropin"] = dropin["written"]
    result["changed"] = result["changed"] or package["changed"] or bool(result["services"])
    result["diff"] = diffs
    return result


def verify_part(request, check_mode, runner, management_before):
    if check_mode:
        return {"changed": False, "skipped": "check mode: nothing was applied, nothing to verify", "diff": []}
    observed, failures = verify.run(runner, request["verify"], request["monitor_state_file"], management_before)
    if failures:
        raise StepFailed("; ".join(failures), failures=failures, observed=observed)
    return {"changed": False, "observed": observed, "diff": []}


def monitor_part(request, check_mode, runner, package_files, installed):
    """The monitor restarts for new code, its own or what the routing part installed in its directory."""
    enabled = request["enabled"]
    result: dict = {"code": [], "services": [], "diff": []}
    code_changed = False
    if enabled:
        package = package_step.run({"dest": request["install_dir"], "files": package_files}, check_mode)
        code_changed = package["changed"] or _same_directory(installed, request["install_dir"])
        result["code"], result["diff"] = package["written"] + package["removed"], [package["diff"]]
    written = files_step.run(request["files"] if enabled else [], check_mode)
    made = files_step.directories(request.get("directories", []) if enabled else [], check_mode)
    result["files"], result["diff"] = written["written"] + made, result["diff"] + written["diff"]
    manager = request.get("service_manager", "auto")
    restart = code_changed or written["changed"] or bool(made)
    if manager == "systemd" or (manager == "auto" and runs_systemd()):
        if written["changed"]:
            result["services"] += services.daemon_reload(runner, check_mode)
        result["services"] += (
            services.running(runner, "symroute-monitor.service", restart, check_mode)
            if enabled
            else services.stopped(runner, "symroute-monitor.service", check_mode)
        )
    else:
        ctl = request["ctl_command"]
        result["services"] += services.background(runner, ctl, enabled, restart, check_mode, os.path.exists(ctl))
    result["changed"] = code_changed or written["changed"] or bool(made) or bool(result["services"])
    return result
