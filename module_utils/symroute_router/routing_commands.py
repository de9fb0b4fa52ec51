"""The ip commands that change symroute's rules and routes: ``ip -batch`` per table and family, each line tried,
a table whose interface is missing or down reported as waiting for it, and routes removed one by one."""

from . import interfaces
from .ipforms import route_text, rule_text
from .routing_tables import sorted_tables


def batch(runner, family, lines):
    """Every line is tried (-force); the error text of the failed ones, or None."""
    result = runner.run(["ip", f"-{family}", "-force", "-batch", "-"], stdin="\n".join(lines) + "\n")
    if result.rc == 0:
        return None
    errors = [
        line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("Command failed")
    ]
    return "; ".join(errors) or f"ip -batch failed ({result.rc})"


def add_routes(runner, routes, sent):
    """Each table's routes on their own; {table: "waiting for interface X" | "failed: ..."} of the failed."""
    blocked = {}
    for table in sorted_tables(r["table"] for r in routes):
        for family in (4, 6):
            chosen = [r for r in routes if r["table"] == table and r["family"] == family]
            lines = [f"route replace {route_text(r)} proto {r.get('protocol') or 'static'}" for r in chosen]
            if not lines:
                continue
            sent += lines
            devices = dict.fromkeys(r["dev"] for r in chosen if r.get("dev"))
            error = batch(runner, family, lines)
            if error and not interfaces.waiting(runner, devices, chosen):  # the interface changed meanwhile
                error = batch(runner, family, lines)
            if error and table not in blocked:
                blocked[table] = interfaces.waiting(runner, devices, chosen) or f"failed: {error}"
    return blocked


def change_rules(runner, verb, rules, sent):
    errors = []
    for family in (4, 6):
        lines = [f"rule {verb} {rule_text(r)}" for r in rules if r["family"] == family]
        if lines:
            sent += lines
            error = batch(runner, family, lines)
            if error:
                errors.append(error)
    return errors


def remove_routes(runner, routes, blocked, sent):
    """Routes are removed one by one, except in tables whose additions failed (add first, then remove)."""
    for route in routes:
        if route["table"] in blocked:
            continue
        sent.append(f"route del {route_text(route)}")
        runner.run(["ip", f"-{route['family']}", "route", "del", *route_text(route).split()])
