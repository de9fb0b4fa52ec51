"""symroute's ip rules and link-table routes (add first, then remove; each link on its own), with the
state file the boot unit applies, the table names and the boot unit itself."""

import json

from .. import contract, routing
from ..files import read_text, runs_systemd, write_atomically
from ..ipforms import route_text, rule_text
from . import StepFailed


def _texts(changes):
    """The changes as the lines a person reads: "ipv4 pref 10200 fwmark ... lookup 200"."""
    return {
        key: [
            f"ipv{item['family']} " + (rule_text(item) if key.endswith("rules") else route_text(item)) for item in items
        ]
        for key, items in changes.items()
    }


def _lines(texts):
    return "".join(f"{text}\n" for text in sorted(texts))


def _files(request):
    state_text = json.dumps(request["routing"], indent=2, sort_keys=True) + "\n"
    files = [(request["state_path"], state_text, 0o600), (request["table_names_path"], request["table_names"], 0o644)]
    if request.get("boot_unit"):
        files.append((request["boot_unit"]["path"], request["boot_unit"]["content"], 0o644))
    return files


def run(request, check_mode, runner, warn):
    """``request``: ``routing`` (the plan's slice), ``state_path``, ``table_names_path``, ``table_names`` and
    ``boot_unit`` (``path`` and ``content``, or empty)."""
    state = request["routing"]
    refused = contract.refusal("routing", state)
    if refused:
        raise StepFailed(refused)
    resolved = routing.resolve(runner, state)
    raw_changes = routing.diff(resolved, routing.read_live(runner, resolved))
    pending = routing.pending(runner, resolved, raw_changes)
    waiting = {str(table) for table, status in pending.items() if status.startswith("waiting for interface")}
    changes = _texts(
        {
            key: [item for item in items if not (key.endswith("routes") and str(item["table"]) in waiting)]
            for key, items in raw_changes.items()
        }
    )
    files = _files(request)
    files_changed = [path for path, text, _mode in files if read_text(path) != text]
    result = {
        "changed": bool(files_changed) or any(changes.values()),
        "changes": changes,
        "files": files_changed,
        "systemd": runs_systemd(),
        "check_mode": check_mode,
        "links": pending,
    }
    if not check_mode:
        for path, text, mode in files:
            write_atomically(path, text, mode=mode)
        try:
            applied = routing.apply(runner, state, lock_path=routing.LOCK_FILE)
        except routing.ApplyError as error:
            raise StepFailed(str(error), changes=changes) from None
        result["links"] = applied["links"]
        for table, status in sorted(applied["links"].items(), key=lambda item: str(item[0])):
            if str(status).startswith("waiting for "):
                warn(f"table {table} is {status} (the link monitor installs it as soon as it is there)")
    result["diff"] = {
        "before": _lines(changes["remove_rules"] + changes["remove_routes"]),
        "after": _lines(changes["add_rules"] + changes["add_routes"]),
        "before_header": "rules and routes removed",
        "after_header": "rules and routes added",
    }
    return result
