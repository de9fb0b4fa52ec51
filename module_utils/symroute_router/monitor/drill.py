"""A failover drill: one link taken out of service on request, until a deadline the router enforces itself.

The request is a small file (``/run/symroute/drill.json``: the link and the
wall-clock deadline). The monitor reads it on every turn of its loop and
treats the link as down, exactly as for a real failure (out of service,
conntrack entries deleted), until the deadline passes or the file goes: the
dead-man switch lives on the router, so a controller that disappears in the
middle of a drill cannot leave a link out of service. The file is under
/run, so a reboot ends any drill too.

The same file asks for a *pair* drill on a router of an HA pair (``{"pair": true, "until": ...}``,
pair_drill.py): the monitor then writes 1 to the yield file until the deadline, so keepalived puts the
sync group in FAULT and the peer takes the master, exactly as when every pinned link fails. One file, so a
link drill and a pair drill never run at once.
"""

import json
import math
import os

from .. import files

DRILL_FILE = "/run/symroute/drill.json"
MIN_SECONDS, MAX_SECONDS = 5, 3600
# A pair drill leaves the pair one router short: a peer failing meanwhile must not meet a long one.
PAIR_MAX_SECONDS = 300


def _request(path, now):
    """The request file's content and its deadline when that deadline is still ahead (and sane), else
    ``(None, None)``."""
    try:
        with open(path, encoding="utf-8") as handle:
            request = json.load(handle)
    except (OSError, ValueError):
        return None, None
    if not isinstance(request, dict):
        return None, None
    until = request.get("until")
    if isinstance(until, bool) or not isinstance(until, (int, float)):
        return None, None
    if not math.isfinite(until) or until <= now or until > now + MAX_SECONDS + 60:
        return None, None
    return request, float(until)


def read(path, links, now):
    """``(link, until)`` of the drill in force at ``now``, or ``(None, None)``; a file that is not a valid
    drill of a known link (or has expired) is no drill."""
    request, until = _request(path, now)
    link = request.get("link") if request is not None else None
    if not isinstance(link, str) or link not in links:
        return None, None
    return link, until


def read_pair(path, now):
    """The deadline of the pair drill in force at ``now``, or None (no request, another drill's, expired, or
    further ahead than a pair drill may last)."""
    request, until = _request(path, now)
    if request is None or request.get("pair") is not True or "link" in request:
        return None
    return until if until <= now + PAIR_MAX_SECONDS + 60 else None


def refusal(link, seconds, state, now):
    """Why a drill of ``link`` for ``seconds`` must not start, given the monitor's state file content (or None)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return f"the drill lasts {MIN_SECONDS} to {MAX_SECONDS} seconds, not {seconds!r}"
    if not isinstance(state, dict) or not isinstance(state.get("links"), dict):
        return "the link monitor's state is not readable: is the monitor running?"
    updated = state.get("updated")
    if isinstance(updated, bool) or not isinstance(updated, (int, float)) or now - updated > 10:
        return "the link monitor's state is older than 10 s: is the monitor running?"
    links = state["links"]
    if link not in links:
        return f"{link!r} is not a link of this router (links: {', '.join(sorted(links))})"
    if state.get("drill"):
        return f"a drill of {state['drill'].get('link')} is already running"
    if isinstance(state.get("ha"), dict) and state["ha"].get("drill"):
        return "a pair drill is already running (this router yields the master until its deadline)"
    out = sorted(name for name, entry in links.items() if entry.get("gated") or not entry.get("up"))
    if out:
        return f"{', '.join(out)} already out of service or down: a drill now would test a double failure"
    if len(links) < 2:
        return f"{link} is the router's only link"
    return None


def start(path, link, seconds, now):
    """Write the request (``link`` None: a pair drill); returns the deadline."""
    until = round(now + seconds, 3)
    request = {"pair": True} if link is None else {"link": link}
    request.update(until=until, requested=round(now, 3))
    files.write_atomically(path, json.dumps(request, sort_keys=True) + "\n", mode=0o600)
    return until


def stop(path):
    """End the drill (True when there was a request to remove)."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
