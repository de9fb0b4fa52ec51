"""A run summary from ansible-runner's event stream (what AWX / Automation Platform record).

``summarize(events)`` takes the events of one ``symmetric-routing.yml`` run (the
dicts of ``ansible_runner.Runner.events``, or of the ``job_events`` AWX keeps) and
returns, per router: changed, failed, unreachable and rolled back (the converge
failed and restored its snapshot whole, or the rescue's restore of the snapshot
ran and succeeded on it), and the plan digest the
plan step printed (``playbooks/plan.yml``). ``describe(summary)`` renders it as one
line per router, names quoted, so a hostile router name cannot forge a line.

Pure: no I/O, no Ansible import. Events may lack any field (a run that was cut
off, an older runner): what is missing counts as not having happened. When the
run ended, its ``playbook_on_stats`` event is authoritative for changed, failed
and unreachable (a failure rescued inside a block is not a failed router there);
without it the per-task events decide.
"""

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# playbooks/plan.yml: "Show the plan digest (the pull request's review shows the same)" prints this.
DIGEST_TASK = "Show the plan digest (the pull request's review shows the same)"
DIGEST = re.compile(r"symroute plan digest (sha256:[0-9a-f]{64})\Z")
# symmetric-routing.yml's rescue "Restore all of symroute's state from the snapshot" imports the
# symroute_snapshot role's restore.yml, whose one task is this (events name the task, not the import).
RESTORE_ROLE = "symroute_snapshot"
RESTORE_TASK = "Restore the snapshot taken before this run"
# symmetric-routing.yml's one-call converge: when it fails, its result says whether it restored the snapshot whole.
CONVERGE_TASK = "Converge the router in one call (snapshot, sysctls, nftables, rules and routes, verify, link monitor)"

_STATS = {"changed": "changed", "failed": "failures", "unreachable": "dark"}


def _router(summary, host):
    return summary["routers"].setdefault(
        host, {"changed": False, "failed": False, "rolled_back": False, "unreachable": False}
    )


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _is_restore(data):
    role = data.get("role")
    return (
        data.get("task") == RESTORE_TASK
        and isinstance(role, str)
        and (role == RESTORE_ROLE or role.endswith("." + RESTORE_ROLE))
    )


def _digest(data):
    if data.get("task") != DIGEST_TASK:
        return None
    message = _mapping(data.get("res")).get("msg")
    match = DIGEST.match(message) if isinstance(message, str) else None
    return match[1] if match else None


def _task_event(summary, name, data):
    """One runner_on_* event: what it says about its host (and the digest, when it printed it)."""
    host = data.get("host")
    if not isinstance(host, str):
        return
    router = _router(summary, host)
    if name == "runner_on_ok":
        if _mapping(data.get("res")).get("changed") is True:
            router["changed"] = True
        if _is_restore(data):
            router["rolled_back"] = True
        summary["digest"] = _digest(data) or summary["digest"]
    elif name == "runner_on_failed" and not data.get("ignore_errors"):
        router["failed"] = True
        if data.get("task") == CONVERGE_TASK and _mapping(data.get("res")).get("rolled_back") is True:
            router["rolled_back"] = True
    elif name == "runner_on_unreachable":
        router["unreachable"] = True


def _apply_stats(summary, data):
    """The run's final counts replace what the task events said about changed, failed, unreachable."""
    for field in _STATS:
        for router in summary["routers"].values():
            router[field] = False
    for field, key in _STATS.items():
        for host, count in _mapping(data.get(key)).items():
            if isinstance(host, str) and isinstance(count, int) and count > 0:
                _router(summary, host)[field] = True
    for key in ("ok", "processed", "skipped", "rescued", "ignored"):
        for host in _mapping(data.get(key)):
            if isinstance(host, str):
                _router(summary, host)


def summarize(events: Iterable[Any]) -> dict[str, Any]:
    """``{"digest": str or None, "complete": bool, "routers": {name: {changed, failed, rolled_back,
    unreachable}}}`` from an iterable of ansible-runner event dicts; ``complete`` tells whether the
    run's final statistics were among them."""
    summary: dict = {"digest": None, "complete": False, "routers": {}}
    stats = None
    for event in events:
        if not isinstance(event, dict):
            continue
        name = event.get("event")
        data = _mapping(event.get("event_data"))
        if name == "playbook_on_stats":
            stats = data
        elif isinstance(name, str) and name.startswith("runner_on_"):
            _task_event(summary, name, data)
    if stats is not None:
        _apply_stats(summary, stats)
        summary["complete"] = True
    summary["routers"] = dict(sorted(summary["routers"].items()))
    return summary


def describe(summary: Mapping[str, Any]) -> str:
    """The summary as text: the digest, then one line per router (its name as a JSON string)."""
    lines = [
        f"plan digest: {summary['digest'] or 'not printed'}"
        + ("" if summary["complete"] else " (the run did not finish: no final statistics)")
    ]
    for host, router in summary["routers"].items():
        flags = [flag for flag in ("changed", "failed", "rolled_back", "unreachable") if router[flag]]
        lines.append(f"{json.dumps(host)}: {', '.join(flags) or 'unchanged'}")
    return "\n".join(lines) + "\n"
