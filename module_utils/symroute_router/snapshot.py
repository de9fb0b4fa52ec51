"""One snapshot of all of symroute's state before a change, and its restore on any failure.

``take(runner, scope)`` records, for the scope of a run::

    {"files": [paths], "nft_table": "inet symroute", "priority_band": [lo, hi],
     "monitor_bands": [[lo, hi], ...], "tables": [ids], "sysctls": [names], "run_id": "..."}

the files' contents and modes (or their absence), the live listing of the nft
table (or its absence), the rules in the band (except the monitor's
sub-bands) and the routes of the tables in routing's normalized forms, and
the sysctl values. ``tables`` must cover the new plan's tables and the tables
symroute owned before, so that every table a run may touch is restored: with
``"owned_tables_file"`` in the scope (routing.OWNED_TABLES_FILE), the tables
listed there are added. ``restore`` puts back what differs and says what it
restored. ``run_id`` names the run that took the snapshot: a restore for one run never puts back
another run's.

A snapshot is data, never trusted to say where to write: ``restore`` writes only the files the caller names
as symroute's (``owned_files``, the run's own scope) that are also plain absolute paths outside /proc, /sys
and /dev, with the saved mode narrowed to at most 0755 (no set-id bit, nobody else may write).
"""

import json
import os
import re

from . import files, nftables, routing, sysctl
from .locking import locked

SNAPSHOT_VERSION = 1


class RestoreError(Exception):
    """Part of the state could not be restored; ``restored`` lists what was."""

    def __init__(self, text, restored):
        super().__init__(text)
        self.restored = restored


def _file(path):
    text = files.read_text(path)
    return None if text is None else {"content": text, "mode": files.mode_of(path)}


def take(runner, scope):
    """The snapshot of ``scope`` (see the module's docstring); plain JSON data."""
    tables = [str(t) for t in scope.get("tables", [])] + routing.previously_owned(scope.get("owned_tables_file"))
    routing_scope = {
        "priority_band": list(scope["priority_band"]),
        "monitor_bands": list(scope.get("monitor_bands", [])),
        "tables": sorted(set(tables), key=lambda t: (len(t), t)),
    }
    live = routing.read_live(runner, routing_scope, owned_path=None)
    rules, routes = routing.owned(routing.target(dict(routing_scope, rules=[], routes=[])), live)
    table = scope.get("nft_table", nftables.DEFAULT_TABLE)
    root = scope.get("sysctl_root", sysctl.PROC_SYS)
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "run_id": scope.get("run_id"),
        "files": {path: _file(path) for path in scope.get("files", [])},
        "nft_table": table,
        "nft_listing": nftables.read_table(runner, table),
        "routing": dict(routing_scope, rules=list(rules.values()), routes=list(routes.values())),
        "sysctl_root": root,
        "sysctls": sysctl.read(scope.get("sysctls", []), root),
    }


def router_scope(scope):
    """``scope`` on a router: the tables and the file of what symroute owned before are part of it."""
    scope = dict(scope, owned_tables_file=routing.OWNED_TABLES_FILE)
    scope["files"] = list(scope.get("files", [])) + [routing.OWNED_TABLES_FILE]
    return scope


_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+@/-]+")
_NEVER_UNDER = ("/proc/", "/sys/", "/dev/")
MODE_MASK = 0o755


def file_problem(path, owned_files):
    """Why the snapshot's ``path`` must not be written by a restore, or None."""
    if not isinstance(path, str) or not _PLAIN_PATH.fullmatch(path) or os.path.normpath(path) != path:
        return f"{path!r:.200} is not a plain absolute path"
    if path.startswith(_NEVER_UNDER):
        return f"{path} is under {', '.join(_NEVER_UNDER)}"
    if owned_files is not None and path not in owned_files:
        return f"{path} is not one of symroute's files for this run"
    return None


def _saved_mode(path, saved):
    mode = saved.get("mode")
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
        raise ValueError(f"the saved mode of {path} is not a file mode: {mode!r:.50}")
    return mode & MODE_MASK


def _restore_files(snapshot, owned_files):
    restored, refused = [], []
    for path, saved in snapshot["files"].items():
        problem = file_problem(path, owned_files)
        if problem:
            refused.append(problem)
            continue
        if saved is None:
            if files.remove(path):
                restored.append(f"file {path} (removed: it did not exist before)")
        elif not isinstance(saved, dict) or not isinstance(saved.get("content"), str):
            refused.append(f"the saved content of {path} is not text")
        elif files.write_atomically(path, saved["content"], mode=_saved_mode(path, saved)):
            restored.append(f"file {path}")
    if refused:
        raise RestoreError("files not restored: " + "; ".join(refused), restored)
    return restored


def _restore_nft(runner, snapshot):
    table, listing = snapshot["nft_table"], snapshot["nft_listing"]
    if listing is None:
        deleted = nftables.delete_table(runner, table)
        return [f"nft table {table} (deleted: it did not exist before)"] if deleted else []
    if nftables.read_table(runner, table) == listing:
        return []
    nftables.load(runner, nftables.reload_listing(table, listing))
    return [f"nft table {table}"]


def _restore_routing(runner, snapshot, lock_path):
    saved = snapshot["routing"]
    with locked(lock_path):  # the monitor's repair re-applies routing.json under the same lock
        result = routing.reconcile(runner, saved, owned_path=None)
    rules = sum(1 for line in result["changes"] if line[2:].startswith("rule "))
    routes = len(result["changes"]) - rules
    bad = {table: status for table, status in result["links"].items() if status != routing.INSTALLED}
    if bad:
        raise routing.ApplyError("; ".join(f"table {t}: {s}" for t, s in bad.items()), result)
    return [f"{rules} rules, {routes} routes"] if result["changed"] else []


def _restore_sysctls(snapshot):
    saved = {name: value for name, value in snapshot["sysctls"].items() if value is not None}
    written = sysctl.apply(saved, snapshot.get("sysctl_root", sysctl.PROC_SYS))
    return [f"sysctl {name}={saved[name]}" for name in written]


def _check_shape(snapshot):
    if not isinstance(snapshot, dict):
        raise RestoreError("there is no snapshot to restore", [])
    missing = [key for key in ("files", "nft_table", "nft_listing", "routing", "sysctls") if key not in snapshot]
    if missing or not isinstance(snapshot["files"], dict):
        raise RestoreError(f"the snapshot is not one symroute took (missing {', '.join(missing) or 'files'})", [])


def restore(runner, snapshot, lock_path=None, owned_files=None):
    """Put back every part that differs from ``snapshot``; what was restored. Raises RestoreError
    (after trying every part) when a part could not be restored. ``lock_path``: the routing lock
    (routing.LOCK_FILE on a router), held while the files and the table, then the rules and routes are put
    back. ``owned_files``: the files this run names as symroute's; a file of the snapshot outside them is
    not written (None: any plain path outside /proc, /sys and /dev)."""
    _check_shape(snapshot)
    owned = None if owned_files is None else set(owned_files)
    restored, errors = [], []
    with locked(lock_path):  # files and table together: the monitor's nft repair compares the two
        for name, step in (
            ("files", lambda: _restore_files(snapshot, owned)),
            ("nftables", lambda: _restore_nft(runner, snapshot)),
        ):
            try:
                restored += step()
            except RestoreError as error:
                restored += error.restored
                errors.append(f"{name}: {error}")
            except (OSError, ValueError, nftables.NftError) as error:
                errors.append(f"{name}: {error}")
    for name, step in (
        ("rules and routes", lambda: _restore_routing(runner, snapshot, lock_path)),
        ("sysctls", lambda: _restore_sysctls(snapshot)),
    ):
        try:
            restored += step()
        except (OSError, ValueError, nftables.NftError, routing.ApplyError) as error:
            errors.append(f"{name}: {error}")
    if errors:
        raise RestoreError("could not restore " + "; ".join(errors), restored)
    return restored


def save(path, snapshot):
    """Write ``snapshot`` as JSON (mode 0600: it holds files' contents)."""
    return files.write_atomically(path, json.dumps(snapshot, indent=1, sort_keys=True) + "\n", mode=0o600)


def load(path):
    """The snapshot saved at ``path``, or None when there is none; ValueError when it is not a JSON object."""
    text = files.read_text(path)
    if text is None:
        return None
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a snapshot")
    return data
