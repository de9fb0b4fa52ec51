"""symroute's routing at boot, and by hand:

  python3 -m symroute_router diff  --state /etc/symroute/routing.json   # what apply would do (read-only)
  python3 -m symroute_router apply --state /etc/symroute/routing.json   # add first, then remove
  python3 -m symroute_router expire --record /var/lib/symroute/confirm.json --run-id RUN   # the dead-man

Prints JSON ({"changed", "changes", "links": {table: status}, ...}) and one
line per link table on stderr. Exit status 0 when every rule is installed and
each link's table is installed or waits for its interface (a degraded boot is
a working boot: that link's traffic fails over); 1 on a real failure (ip
refused a rule, a link's routes failed for another reason, the state file is
unusable), or with --strict when a link is not installed.
"""

import argparse
import json
import sys

from . import contract, deadman, deadman_restore, routing
from .command import Runner


def _state(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _routes_by_table(state):
    """Each table's interfaces: its static routes' and its dynamic link's (learned entries)."""
    devices = {}
    for route in state.get("routes", []):
        devices.setdefault(str(route.get("table")), set()).add(str(route.get("dev")))
    for entry in state.get("learned", []):
        devices.setdefault(str(entry.get("table")), set()).add(str(entry.get("interface")))
    return devices


def _summary(state, result, out):
    devices = _routes_by_table(state)
    for table, status in result.get("links", {}).items():
        names = ", ".join(sorted(devices.get(str(table), ()))) or "no routes"
        out.write(f"symroute-routing: table {table} ({names}): {status}\n")
    if result.get("error"):
        out.write(f"symroute-routing: error: {result['error']}\n")


def _ok(result):
    if result.get("error") or not result.get("rules_installed", True):
        return False
    return all(
        status == routing.INSTALLED or status.startswith("waiting for ") for status in result.get("links", {}).values()
    )


def run(command, state, runner, owned_path, strict=False, lock_path=None):
    """The outcome of ``command`` ("diff" or "apply") as printed."""
    problems = contract.check("routing", state)
    if problems:
        return {"changed": False, "error": "; ".join(problems), "converged": False, "links": {}}
    if command == "diff":
        resolved = routing.resolve(runner, state)
        changes = routing.diff(resolved, routing.read_live(runner, resolved, owned_path))
        return {
            "changed": not routing.is_empty(changes),
            "changes": routing.describe(changes),
            "links": routing.pending(runner, resolved, changes),
        }
    try:
        return routing.apply(runner, state, strict=strict, owned_path=owned_path, lock_path=lock_path)
    except routing.ApplyError as error:
        return error.result or {"changed": False, "error": str(error), "converged": False, "links": {}}


def expire(argv, runner):
    """The dead-man of one run (deadman_restore.expire): exit 0 whatever it found (it logs what it did)."""
    parser = argparse.ArgumentParser(prog="python3 -m symroute_router expire")
    parser.add_argument("--record", required=True, help="the confirmation record (confirm.json)")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--lock", default=deadman.locking.CONVERGE_LOCK_FILE, help="the converge lock")
    parser.add_argument("--routing-lock", default=routing.LOCK_FILE, help="the routing lock")
    args = parser.parse_args(argv)
    record = deadman_restore.expire(
        args.record, args.run_id, runner or Runner(), lock_path=args.lock, routing_lock=args.routing_lock
    )
    return 1 if record and record.get("state") == "restore failed" else 0


def main(argv=None, runner=None, out=None, err=None):
    out, err = out or sys.stdout, err or sys.stderr
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["expire"]:
        return expire(argv[1:], runner)
    parser = argparse.ArgumentParser(prog="python3 -m symroute_router", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("diff", "apply"))
    parser.add_argument("--state", default="/etc/symroute/routing.json", help="state file, or - for stdin")
    parser.add_argument(
        "--owned-tables",
        default=routing.OWNED_TABLES_FILE,
        help="where the tables of the last applied state are remembered",
    )
    parser.add_argument("--strict", action="store_true", help="fail unless every link's table is installed")
    parser.add_argument(
        "--lock",
        default=routing.LOCK_FILE,
        help="lock shared with the Ansible module and the monitor's repair ('' for none)",
    )
    args = parser.parse_args(argv)
    try:
        state = _state(args.state)
        result = run(
            args.command, state, runner or Runner(), args.owned_tables, strict=args.strict, lock_path=args.lock or None
        )
    except (OSError, ValueError) as error:
        state, result = {}, {"changed": False, "error": f"{args.state}: {error}", "converged": False, "links": {}}
    except routing.ApplyError as error:
        result = {"changed": False, "error": str(error), "converged": False, "links": {}}
    json.dump(result, out, indent=2, sort_keys=True)
    out.write("\n")
    _summary(state, result, err)
    if args.command == "diff":
        return 1 if result.get("error") else 0
    return 0 if _ok(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
