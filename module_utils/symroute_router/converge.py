"""The whole converge of one router in one call: snapshot, kernel settings, the nftables table, rules and
routes, verification, the link monitor; on any failure, the snapshot restored whole.

``converge(request, check_mode, runner, warn)`` runs the parts the request selects, in the order of the
flow (docs/design.md), each through its step (``steps/``), and returns::

    {"changed": bool, "parts": {part: result without its diff}, "diff": [diffs, in order], "services": [...]}

or raises ``ConvergeFailed`` naming the step that failed and, when not in check mode, what the restore of
the snapshot put back. In check mode nothing is written, no snapshot is taken or restored, and nothing
is verified (nothing was applied). One call instead of a dozen Ansible tasks: a no-op converge costs one
round trip to the router.
"""

import os

from . import files, snapshot, verify
from .files import runs_systemd
from .locking import LOCK_FILE
from .steps import StepFailed, files_step, nftables_step, package_step, routing_step, services, sysctl_step

PARTS = ("sysctl", "nftables", "routing", "verify", "monitor")
# The step names a failure message gives (the tasks of the per-concern roles were named so).
TITLES = {"capture": "Record how the management networks route", "snapshot": "Snapshot symroute's state",
          "sysctl": "Kernel settings", "nftables": "The nftables table", "routing": "Rules and routes",
          "verify": "Verify on the router", "monitor": "The link monitor"}


class ConvergeFailed(Exception):
    """``step`` failed; ``restored`` lists what the restore put back, ``rolled_back`` whether it was whole."""

    def __init__(self, text, step, restored=(), rolled_back=False, fields=None):
        super().__init__(text)
        self.step, self.restored, self.rolled_back, self.fields = step, list(restored), rolled_back, fields or {}


def _nftables(request, check_mode, runner):
    result = nftables_step.run(request, check_mode, runner)
    result["services"] = []
    if request.get("enable_service") and result["systemd"]:
        result["services"] = services.enable(runner, "nftables.service", check_mode)
    return result


def _routing(request, check_mode, runner, warn, package_files, installed):
    package = package_step.run({"dest": request["package_dir"], "files": package_files}, check_mode)
    installed[request["package_dir"]] = package["changed"]
    result = routing_step.run(request, check_mode, runner, warn)
    result["package"] = {key: package[key] for key in ("written", "removed")}
    result["services"] = []
    diffs = [package["diff"], result["diff"]]
    if result["systemd"]:
        dropin = files_step.run([request["networkd_dropin"]] if request.get("networkd_dropin") else [], check_mode)
        diffs += dropin["diff"]
        if dropin["changed"]:
            result["services"] += services.try_restart(runner, "systemd-networkd.service", check_mode)
        if request.get("boot_unit"):
            if result["changed"]:
                result["services"] += services.daemon_reload(runner, check_mode)
            result["services"] += services.enable(runner, "symroute-routing.service", check_mode)
        result["networkd_dropin"] = dropin["written"]
    result["changed"] = result["changed"] or package["changed"] or bool(result["services"])
    result["diff"] = diffs
    return result


def _verify(request, check_mode, runner, management_before):
    if check_mode:
        return {"changed": False, "skipped": "check mode: nothing was applied, nothing to verify", "diff": []}
    checked = dict(request["verify"], monitor_state_file=request["monitor_state_file"])
    observed = verify.read(runner, checked)
    failures = verify.check(request["verify"], observed, management_before, verify.gated_links(observed))
    if failures:
        raise StepFailed("; ".join(failures), failures=failures, observed=observed)
    return {"changed": False, "observed": observed, "diff": []}


def _monitor(request, check_mode, runner, package_files, installed):
    """``installed``: package directory to whether this run changed the code there (a monitor that shares
    the routing part's directory restarts for the code that part installed)."""
    enabled = request["enabled"]
    result = {"code": [], "services": [], "diff": []}
    code_changed = False
    if enabled:
        package = package_step.run({"dest": request["install_dir"], "files": package_files}, check_mode)
        code_changed = package["changed"] or installed.get(request["install_dir"], False)
        result["code"], result["diff"] = package["written"] + package["removed"], [package["diff"]]
    written = files_step.run(request["files"] if enabled else [], check_mode)
    result["files"], result["diff"] = written["written"], result["diff"] + written["diff"]
    manager = request.get("service_manager", "auto")
    uses_systemd = manager == "systemd" or (manager == "auto" and runs_systemd())
    restart = code_changed or written["changed"]
    if uses_systemd:
        if written["changed"]:
            result["services"] += services.daemon_reload(runner, check_mode)
        result["services"] += (services.running(runner, "symroute-monitor.service", restart, check_mode) if enabled
                               else services.stopped(runner, "symroute-monitor.service", check_mode))
    else:
        ctl = request["ctl_command"]
        ctl_installed = not (check_mode and ctl in written["written"])
        result["services"] += services.background(runner, ctl, enabled, restart, check_mode, ctl_installed)
    result["changed"] = code_changed or written["changed"] or bool(result["services"])
    return result


def _counted(changes):
    """"rules +2 -1, routes +1 -0": what is added and removed, per kind."""
    return ", ".join(f"{kind} +{len(changes[f'add_{kind}'])} -{len(changes[f'remove_{kind}'])}"
                     for kind in ("rules", "routes") if changes[f"add_{kind}"] or changes[f"remove_{kind}"])


def summary(parts):
    """One line per part that changed (or would): what a person reads in the run's output."""
    lines = []
    sysctl, nft, routing, monitor = (parts.get(name) or {} for name in ("sysctl", "nftables", "routing", "monitor"))
    if sysctl.get("changed"):
        lines.append("sysctl: " + ("; ".join(sysctl["changed_values"]) or "the sysctl.d file"))
    if nft.get("changed"):
        lines.append("nftables: " + "; ".join([nft["reason"] or "the include line"] + nft["services"]))
    if routing.get("changed"):
        package = routing["package"]["written"] + routing["package"]["removed"]
        lines.append("routing: " + "; ".join(filter(None, [
            _counted(routing["changes"]), ", ".join(routing["files"] + routing.get("networkd_dropin", [])),
            f"{len(package)} router package files" if package else ""] + routing["services"])))
    if monitor.get("changed"):
        lines.append("link monitor: " + "; ".join(filter(None, [
            f"{len(monitor['code'])} router package files" if monitor["code"] else "", ", ".join(monitor["files"])]
            + monitor["services"])))
    return lines


def _rollback(runner, snapshot_path, step, error):
    """Restore the snapshot after ``step`` failed; ConvergeFailed either way."""
    fields = getattr(error, "fields", {})
    try:
        restored = snapshot.restore(runner, snapshot.load(snapshot_path), lock_path=LOCK_FILE)
    except (snapshot.RestoreError, OSError, ValueError) as restore_error:
        partial = getattr(restore_error, "restored", [])
        raise ConvergeFailed(f"{error}; the restore of the snapshot was incomplete: {restore_error}", step,
                             partial, rolled_back=False, fields=fields) from None
    raise ConvergeFailed(str(error), step, restored, rolled_back=True, fields=fields) from None


def _steps(request, runner, warn, management_before):
    """(part, function) in the order of the flow, for the parts the request selects."""
    selected, package_files, installed = request["parts"], request.get("package_files", {}), {}

    def warn_as(part):  # the warning names its step as the per-concern module does ("symroute_sysctl: ...")
        return lambda text: warn(f"symroute_{part}: {text}")

    table = {
        "sysctl": lambda check: sysctl_step.run(request["sysctl"], check, warn_as("sysctl")),
        "nftables": lambda check: _nftables(request["nftables"], check, runner),
        "routing": lambda check: _routing(request["routing"], check, runner, warn_as("routing"), package_files,
                                          installed),
        "verify": lambda check: _verify(request["verify"], check, runner, management_before),
        "monitor": lambda check: _monitor(request["monitor"], check, runner, package_files, installed),
    }
    return [(part, table[part]) for part in PARTS if part in selected]


def converge(request, check_mode, runner, warn):
    """Run the request's parts; see the module's docstring. ``warn(text)`` passes a warning on."""
    management_before, snapshot_path = {}, request["snapshot"]["path"]
    if not check_mode:
        # A snapshot of an earlier run must never be restored for this one (the playbook's rescue restores
        # the snapshot when the converge stopped without saying; before this run's, there is none).
        files.remove(snapshot_path)
    if "verify" in request["parts"] and not check_mode:
        try:
            management_before = verify.read_management(runner, request["verify"]["verify"]["management"])
        except (OSError, ValueError) as error:
            raise ConvergeFailed(str(error), TITLES["capture"]) from None
    if not check_mode:
        try:
            snapshot.save(snapshot_path, snapshot.take(runner, snapshot.router_scope(request["snapshot"]["scope"])))
        except (OSError, ValueError) as error:
            raise ConvergeFailed(f"taking the snapshot failed: {error}", TITLES["snapshot"]) from None
    parts, diffs = {}, []
    for part, step in _steps(request, runner, warn, management_before):
        try:
            result = step(check_mode)
        except Exception as error:  # noqa: BLE001 - whatever stops a step stops the converge, and is restored
            failure = error if isinstance(error, StepFailed) else StepFailed(f"{type(error).__name__}: {error}")
            if check_mode:
                raise ConvergeFailed(str(failure), TITLES[part], fields=failure.fields) from None
            _rollback(runner, snapshot_path, TITLES[part], failure)
        diff = result.pop("diff")
        diffs += diff if isinstance(diff, list) else [diff]
        parts[part] = result
    return {"changed": any(done["changed"] for done in parts.values()), "parts": parts, "diff": diffs,
            "summary": summary(parts),
            "snapshot": None if check_mode else os.path.abspath(snapshot_path)}
