"""The kernel's answers through ``ip -json``, read in one place with one failure policy.

Two ways to read, chosen by what a wrong answer would cost:

- ``answers``: for reads whose absence means "nothing there" (the audit, status, the doctor, link states):
  the JSON objects ``ip`` printed; [] when ip failed (a device or table that does not exist), printed
  nothing, or printed something that is not a JSON list. Learned addresses and the connected-network
  refusal read this way too, so a failed read there means "waiting" and "no refusal" (a known limit: they
  feed a change, and belong with ``required`` once an interface that does not exist is told apart).
- ``required``: for reads a change is computed from (the routing reconcile): a failure or an unreadable
  answer raises ``IpReadError``, so that an unread state is never taken for an empty one and undone.

``route_lookup`` (and ``route_get``, which reads a failure as no route) is the package's one ``ip route
get`` (verification, the audit, status, the doctor); a refusal by the kernel is told apart from a failure
of ip.
"""

import json

from .command import message


class IpReadError(Exception):
    """``ip`` failed, or printed something that is not a JSON list, where the answer is required."""


def _parsed(stdout):
    """The JSON objects of ``stdout`` (a JSON list), or None when it is not one. An empty answer is []."""
    if not stdout.strip():
        return []
    try:
        value = json.loads(stdout)
    except ValueError:
        return None
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else None


def answers(runner, args):
    """The objects ``ip ARGS`` printed (ARGS include ``-json``); [] when ip failed or printed no JSON list."""
    result = runner.run(["ip", *args])
    parsed = _parsed(result.stdout) if result.rc == 0 else None
    return parsed or []


def required(runner, args, absent_when=()):
    """The objects ``ip ARGS`` printed; raises IpReadError when ip failed or its answer is not a JSON list.
    A failure whose error text contains one of ``absent_when`` reads as [] (a table the kernel creates
    with its first route)."""
    result = runner.run(["ip", *args])
    if result.rc != 0:
        if any(text in (result.stderr or "") for text in absent_when):
            return []
        raise IpReadError(message(result, f"ip {' '.join(args)} failed"))
    parsed = _parsed(result.stdout)
    if parsed is None:
        raise IpReadError(f"ip {' '.join(args)}: unreadable output")
    return parsed


# What ip says when the kernel itself refuses to route (a prohibit, unreachable or blackhole rule or route).
ROUTING_REFUSALS = ("Permission denied", "Network is unreachable", "No route to host", "Invalid argument")


def route_lookup(runner, destination, family=None, source=None, mark=None):
    """(the first answer of ``ip [-4|-6] -json route get DST [from SRC] [mark MARK]``, None): {} when the
    kernel refuses to route it (prohibited, unreachable); (None, why) when ip itself failed (timed out, not
    there, unreadable output), so that a failed read is never taken for a refusal. ``mark``: a number, or its
    text as the plan writes it ("0x100")."""
    args = ([f"-{family}"] if family else []) + ["-json", "route", "get", destination]
    if source:
        args += ["from", source]
    if mark:
        args += ["mark", mark if isinstance(mark, str) else f"{mark:#x}"]
    result = runner.run(["ip", *args])
    if result.rc != 0:
        refused = any(text in (result.stderr or "") for text in ROUTING_REFUSALS)
        return ({}, None) if refused else (None, message(result, f"ip exited with status {result.rc}"))
    parsed = _parsed(result.stdout)
    if parsed is None:
        return None, "ip printed something that is not a JSON list"
    return (parsed[0] if parsed else {}), None


def route_get(runner, destination, family=None, source=None, mark=None):
    """The first answer of ``route_lookup``, or {} (unroutable, prohibited, or ip failed)."""
    return route_lookup(runner, destination, family, source, mark)[0] or {}
