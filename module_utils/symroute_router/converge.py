"""The whole converge of one router in one call: snapshot, kernel settings, the nftables table, rules and
routes, verification, the link monitor; on any failure, the snapshot restored whole.

``converge(request, check_mode, runner, warn)`` runs the parts the request selects, in the order of the
flow (docs/design.md), each through its step (``steps/``), and returns::

    {"changed": bool, "parts": {part: result without its diff}, "diff": [diffs, in order],
     "summary": [lines], "seconds": {part: seconds}, "snapshot": path}

or raises ``ConvergeFailed`` naming the step that failed and the state it left (``outcome``: nothing
changed, restored whole, or not restored whole). Before anything is read or changed, every selected
part's slice is checked against the plan contract, and no partner prefix may lie inside a network the
router is connected to (``connected``). In check mode nothing is written, no snapshot is
taken or restored, and nothing is verified (nothing was applied). One call instead of a dozen Ansible
tasks: a no-op converge costs one round trip to the router.

One converge at a time: outside check mode the whole call holds the converge lock
(``locking.CONVERGE_LOCK_FILE``); a second converge fails at once, before it reads or changes anything,
naming the run that holds it (run id, pid, start). A rollback restores this run's snapshot only (its
``run_id``), and only the files this run's scope names as symroute's.

Confirmed commit (``deadman``): with ``confirm`` in the request (``timeout_s``, ``python``), a run arms the
router's dead-man after its snapshot and before its first change; at its end the timeout counts again
from then and ``confirm`` in the result says the controller must confirm (``symroute_snapshot``
state=confirmed, from a new connection), or, when nothing changed, the dead-man is disarmed. A rollback
restored whole disarms it too. Before anything else, a run awaiting confirmation stops this one, and an
unconfirmed run the dead-man restored is reported once (a warning and ``previous_run``). Check mode arms
nothing and reports the last run's outcome (``confirm.last``).
"""

import contextlib
import os
import time

from . import connected, contract, deadman, deadman_record, deadman_services, files, locking, snapshot, verify
from .converge_confirm import (
    arm as _arm,
    confirm_result as _confirm_result,
    owned_files_of as _owned_files,
    record_path as _record_path,
    run_id_of as _run_id,
    settle as _settle,
)
from .converge_report import (
    CHECK_MODE,
    NOT_SNAPSHOT,
    NOTHING_CHANGED,
    TITLES,
    ConvergeFailed,
    not_restored,
    restored,
    summary,
)
from .locking import LOCK_FILE
from .steps import StepFailed, sysctl_step
from .steps.ha_step import ha_part
from .steps.parts import monitor_part, nftables_part, routing_part, verify_part

PARTS = ("sysctl", "nftables", "routing", "verify", "monitor", "ha")
# Each part's slice of the plan contract: (contract part, where the slice is in the part's request).
CONTRACT = {
    "sysctl": ("sysctls", "sysctls"),
    "nftables": ("nftables", "nftables"),
    "routing": ("routing", "routing"),
    "verify": ("verify", "verify"),
}
# The converge lock (tests point it elsewhere).
CONVERGE_LOCK = locking.CONVERGE_LOCK_FILE


def _own_snapshot(snapshot_path, run_id):
    """This run's snapshot; RestoreError when it is gone or another run's (never restored for this one)."""
    taken = snapshot.load(snapshot_path)
    if taken is None:
        raise snapshot.RestoreError(f"this run's snapshot {snapshot_path} is gone", [])
    if run_id and taken.get("run_id") != run_id:
        raise snapshot.RestoreError(
            f"the snapshot at {snapshot_path} is run {taken.get('run_id')}'s, not this "
            f"run's ({run_id}): it is never restored for this run",
            [],
        )
    return taken


def _rollback(runner, request, step, error):
    """Restore this run's snapshot after ``step`` failed; ConvergeFailed either way."""
    fields = getattr(error, "fields", {})
    snapshot_path = (request.get("snapshot") or {}).get("path")
    if not snapshot_path:
        raise ConvergeFailed(str(error), step, NOT_SNAPSHOT, fields=fields) from None
    try:
        lines = deadman_services.restore_then_follow(
            runner,
            lambda: snapshot.restore(
                runner,
                _own_snapshot(snapshot_path, _run_id(request)),
                lock_path=LOCK_FILE,
                owned_files=_owned_files(request),
            ),
            deadman_services.of_request(request.get("monitor")),
        )
    except (snapshot.RestoreError, OSError, ValueError) as restore_error:
        partial = getattr(restore_error, "restored", [])
        raise ConvergeFailed(str(error), step, not_restored(restore_error, partial), partial, fields=fields) from None
    raise ConvergeFailed(str(error), step, restored(lines), lines, rolled_back=True, fields=fields) from None


def _refusals(request):
    """Every selected part's slice against the plan contract, before anything is read or changed."""
    problems = []
    for part in request["parts"]:
        if part in CONTRACT:
            name, key = CONTRACT[part]
            refused = contract.refusal(name, (request.get(part) or {}).get(key))
            if refused:
                problems.append(f"{TITLES[part]}: {refused}")
    return problems


def _steps(request, runner, warn, management_before):
    """(part, function) in the order of the flow, for the parts the request selects."""
    selected, package_files, installed = request["parts"], request.get("package_files", {}), {}

    def warn_as(part):  # the warning names its part's role ("symroute_sysctl: ...")
        return lambda text: warn(f"symroute_{part}: {text}")

    table = {
        "sysctl": lambda check: sysctl_step.run(request["sysctl"], check, warn_as("sysctl")),
        "nftables": lambda check: nftables_part(request["nftables"], check, runner),
        "routing": lambda check: routing_part(
            request["routing"], check, runner, warn_as("routing"), package_files, installed
        ),
        "verify": lambda check: verify_part(request["verify"], check, runner, management_before),
        "monitor": lambda check: monitor_part(request["monitor"], check, runner, package_files, installed),
        "ha": lambda check: ha_part(request["ha"], check, runner),
    }
    return [(part, table[part]) for part in PARTS if part in selected]


def _prepare(request, check_mode, runner):
    """Before any change: the contract, the management routes, the snapshot (this run's, the earlier run's gone)."""
    unchanged = CHECK_MODE if check_mode else NOTHING_CHANGED
    problems = _refusals(request)
    if problems:
        raise ConvergeFailed("; ".join(problems), TITLES["contract"], unchanged)
    rendered = ((request.get("nftables") or {}).get("nftables") or {}).get("content", "")
    inside = connected.problems(runner, rendered) if "nftables" in request["parts"] else []
    if inside:
        raise ConvergeFailed("; ".join(inside), TITLES["connected"], unchanged)
    snapshot_path, management_before = (request.get("snapshot") or {}).get("path"), {}
    if not check_mode and snapshot_path:
        # A snapshot of an earlier run must never be restored for this one.
        files.remove(snapshot_path)
    try:
        if "verify" in request["parts"] and not check_mode:
            management_before = verify.read_management(runner, request["verify"]["verify"]["management"])
    except (OSError, ValueError) as error:
        raise ConvergeFailed(str(error), TITLES["capture"], unchanged) from None
    if not check_mode and snapshot_path:
        try:
            snapshot.save(snapshot_path, snapshot.take(runner, snapshot.router_scope(request["snapshot"]["scope"])))
        except (OSError, ValueError) as error:
            raise ConvergeFailed(f"taking the snapshot failed: {error}", TITLES["snapshot"], unchanged) from None
    return snapshot_path, management_before


def converge(request, check_mode, runner, warn):
    """Run the request's parts; see the module's docstring. ``warn(text)`` passes a warning on."""
    if check_mode:  # reads only: an audit may run beside a converge
        result = _converge(request, check_mode, runner, warn)
        path = _record_path(request)
        result["confirm"] = {"armed": False, "last": deadman_record.last_outcome(path) if path else None}
        return result
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(locking.converge_lock(CONVERGE_LOCK, {"run_id": _run_id(request), "what": "converge"}))
        except locking.LockBusy as error:
            raise ConvergeFailed(str(error), TITLES["lock"], NOTHING_CHANGED, fields={"holder": error.holder}) from None
        except OSError as error:
            raise ConvergeFailed(
                f"cannot take the converge lock {CONVERGE_LOCK}: {error}", TITLES["lock"], NOTHING_CHANGED
            ) from None
        previous = _settle(request, runner, warn)
        result = _converge(request, check_mode, runner, warn)
        if previous:
            result["previous_run"] = previous
        return result


def _converge(request, check_mode, runner, warn):
    started = time.monotonic()
    snapshot_path, management_before = _prepare(request, check_mode, runner)
    armed = None if check_mode else _arm(request, runner)
    parts, diffs, seconds = {}, [], {"before the parts": round(time.monotonic() - started, 3)}
    for part, step in _steps(request, runner, warn, management_before):
        begun = time.monotonic()
        try:
            result = step(check_mode)
        except Exception as error:  # noqa: BLE001 - whatever stops a step stops the converge, and is restored
            failure = error if isinstance(error, StepFailed) else StepFailed(f"{type(error).__name__}: {error}")
            if check_mode:
                raise ConvergeFailed(str(failure), TITLES[part], CHECK_MODE, fields=failure.fields) from None
            try:
                _rollback(runner, request, TITLES[part], failure)
            except ConvergeFailed as failed:
                if armed and failed.rolled_back:
                    deadman.disarm(_record_path(request), armed["run_id"], runner, "the converge restored it")
                raise
        diff = result.pop("diff")
        diffs += diff if isinstance(diff, list) else [diff]
        parts[part] = result
        seconds[part] = round(time.monotonic() - begun, 3)
    changed = any(done["changed"] for done in parts.values())
    return {
        "changed": changed,
        "parts": parts,
        "diff": diffs,
        "summary": summary(parts),
        "seconds": seconds,
        "snapshot": None if check_mode or not snapshot_path else os.path.abspath(snapshot_path),
        "confirm": None if check_mode else _confirm_result(request, armed, changed, runner),
    }
