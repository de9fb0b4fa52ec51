"""The converge's confirmed commit (``deadman``): the run's id and the files it names as symroute's, a run
awaiting confirmation or an unconfirmed one settled before this run, this run's dead-man armed before its first
change, and at its end the confirmation asked for (or the dead-man disarmed when nothing changed)."""

from . import deadman, deadman_record, deadman_services, snapshot
from .converge_report import NOTHING_CHANGED, TITLES, ConvergeFailed


def run_id_of(request):
    return ((request.get("snapshot") or {}).get("scope") or {}).get("run_id") or None


def owned_files_of(request):
    """The files this run names as symroute's: the only ones its restore writes."""
    return snapshot.router_scope((request.get("snapshot") or {}).get("scope") or {})["files"]


def record_path(request):
    snapshot_path = (request.get("snapshot") or {}).get("path")
    return deadman_record.record_path(snapshot_path) if snapshot_path else None


def settle(request, runner, warn):
    """Before this run: another run awaiting confirmation stops it; an unconfirmed run is reported once."""
    path = record_path(request)
    if path is None:
        return None
    try:
        previous = deadman.settle(path, runner)
    except deadman.DeadmanError as error:
        raise ConvergeFailed(str(error), TITLES["confirm"], NOTHING_CHANGED) from None
    if previous:
        warn(f"the previous converge was not confirmed: {deadman_record.describe(previous)}")
    return previous


def arm(request, runner):
    """Arm this run's dead-man (after the snapshot, before the first change); its record, or None."""
    confirm = request.get("confirm") or {}
    if not confirm:
        return None
    snapshot_path, run_id = (request.get("snapshot") or {}).get("path"), run_id_of(request)
    if not snapshot_path or not run_id:
        raise ConvergeFailed(
            "a confirmed converge needs a snapshot named by its run id (snapshot.path and snapshot.scope.run_id)",
            TITLES["confirm"],
            NOTHING_CHANGED,
        )
    try:
        return deadman.arm(
            deadman_record.record_path(snapshot_path),
            run_id,
            snapshot_path,
            owned_files_of(request),
            confirm.get("timeout_s"),
            runner,
            request.get("package_files") or {},
            python=confirm.get("python") or "/usr/bin/python3",
            services=deadman_services.of_request(request.get("monitor")),
        )
    except (deadman.DeadmanError, OSError) as error:
        raise ConvergeFailed(str(error), TITLES["confirm"], NOTHING_CHANGED) from None


def confirm_result(request, armed, changed, runner):
    """After the parts: the controller must confirm a run that changed the router; otherwise disarmed."""
    if armed is None:
        return {"armed": False}
    path, run_id = record_path(request), armed["run_id"]
    if not changed:
        deadman.disarm(path, run_id, runner, "nothing changed")
        return {"armed": False, "run_id": run_id}
    record = deadman.restart_clock(path, run_id) or armed
    return {
        "armed": True,
        "run_id": run_id,
        "timeout_s": record["timeout_s"],
        "deadline": record["deadline"],
        "mechanism": record.get("mechanism"),
        "record": path,
    }
