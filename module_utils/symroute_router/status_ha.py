"""symroute status of a router in an HA pair: its role (what keepalived's notify command last recorded),
whether it yields the master and why, the peer over the sync link, and sync loss, said loudly.

Everything comes from the monitor's state file (its ``ha`` section, monitor/ha_yield.py). Only root writes
that file, but it may be truncated or hold anything after a crash or an edit: each field is taken only in
the shape the monitor writes, anything else is "unknown" and needs attention, never a traceback.

Split brain. A cut sync link leaves VRRP with one master (its advertisements cross the segments, not the
sync link), but conntrackd's replication stops: a switchover from then on loses the live connections. Two
masters happen only when a segment itself is partitioned, and then this router has no way to hear the
peer's claim except over the sync link, which is what failed (docs/design.md, "HA pair"): status reports
the sync loss on each router and says to compare the peer's status.
"""

import math

from .status_paths import mapping

ROLES = ("master", "backup", "fault", "stopped")


def _text(value, limit=64):
    return value[:limit] if isinstance(value, str) else None


def _until(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def view(state):
    """The pair as plain data, or None for a router alone (no ``ha`` in the state file)."""
    if "ha" not in state:
        return None
    ha = state["ha"]
    if not isinstance(ha, dict):
        return {"role": "unknown", "attention": True, "problems": ["the monitor's HA report is not readable"]}
    recorded = ha.get("vrrp_state")
    role = recorded if recorded in ROLES else "not recorded" if recorded is None else "unknown"
    sync = mapping(ha.get("sync"))
    reachable = sync.get("peer_reachable") if isinstance(sync.get("peer_reachable"), bool) else None
    yielding = ha.get("yield") if isinstance(ha.get("yield"), bool) else None
    reason = ha.get("yield_reason") if ha.get("yield_reason") in ("links", "drill") else None
    drill = mapping(ha.get("drill"))
    tracked = (
        [str(name)[:64] for name in ha.get("tracked_links", []) if isinstance(name, str)][:32]
        if isinstance(ha.get("tracked_links"), list)
        else []
    )
    problems = []
    if role not in ("master", "backup"):
        problems.append(f"this router is {role} in the pair: it cannot take the master")
    if reachable is not True:
        problems.append(
            "SYNC LOST: the peer does not answer over the sync link: conntrackd's replication has stopped, "
            "a switchover now loses the live connections; if the peer is the master too (a partitioned "
            "segment), this is a split brain: compare the peer's status"
            if reachable is False
            else "the peer's reachability over the sync link is unknown"
        )
    if yielding is not False:
        problems.append(
            "this router yields the master: a pair drill is in force"
            if reason == "drill"
            else "this router yields the master: every tracked link is out of service here"
            if yielding
            else "whether this router yields is unknown"
        )
    return {
        "role": role,
        "master": role == "master",
        "yield": yielding,
        "yield_reason": reason if yielding else None,
        "tracked_links": tracked,
        "drill_until": _until(drill.get("until")),
        "sync": {
            "interface": _text(sync.get("interface")),
            "peer": _text(sync.get("peer")),
            "peer_reachable": reachable,
        },
        "replication": "running" if reachable else "stopped" if reachable is False else "unknown",
        "attention": bool(problems),
        "problems": problems,
    }


def lines(pair, safe, when):
    """The pair's lines of text (``safe`` strips control characters, ``when`` prints a time)."""
    if pair is None:
        return []
    if "sync" not in pair:
        return ["", "HA pair: UNKNOWN (the monitor's HA report is not readable)"]
    sync = pair["sync"]
    reach = {True: "reachable", False: "NOT REACHABLE", None: "unknown"}[sync["peer_reachable"]]
    tracked = ", ".join(map(safe, pair["tracked_links"])) or "none"
    yields = {
        None: "unknown",
        False: f"no (tracked links: {tracked})",
        True: "YES: a pair drill is in force"
        if pair["yield_reason"] == "drill"
        else f"YES: every tracked link is out of service here ({tracked})",
    }[pair["yield"]]
    out = [
        "",
        f"HA pair: this router is {pair['role'].upper()}",
        f"  peer {safe(sync['peer'] or '?')} over {safe(sync['interface'] or '?')}: {reach}; "
        f"replication {pair['replication']}",
        f"  yields the master: {yields}",
    ]
    if pair["drill_until"] is not None:
        out.append(f"  pair drill in progress: this router yields until {when(pair['drill_until'])}")
    out += [f"  ! {problem}" for problem in pair["problems"] if problem.startswith("SYNC LOST")]
    return out
