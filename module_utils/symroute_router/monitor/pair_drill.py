"""A pair drill on a router of an HA pair (docs/design.md, "HA pair"): the master hands the master to its peer
exactly as for a real failure, until a deadline the router enforces itself.

The request is drill.py's file with ``{"pair": true, "until": ...}``; while it is in force the monitor writes
1 to the yield file (ha_yield.py), keepalived puts the sync group in FAULT and the peer, a healthy backup,
takes the shared addresses after committing the connections conntrackd replicated. At the deadline, or when
the file goes, the monitor writes 0 again and the router comes back as the backup (nopreempt). The checks
here read only the monitor's state file (its ``ha`` section, what keepalived's notify command recorded and
whether the peer answers over the sync link): the same facts on the master (may it start?) and on the peer
(is it a healthy backup, or during the drill the master?).
"""

import ipaddress

from . import drill

ROLES = ("master", "backup")


def _monitor(state, now):
    """Why the state file cannot be trusted now (not readable, stale), or None."""
    if not isinstance(state, dict) or not isinstance(state.get("links"), dict):
        return "the link monitor's state is not readable: is the monitor running?"
    updated = state.get("updated")
    if isinstance(updated, bool) or not isinstance(updated, (int, float)) or not abs(now - updated) <= 10:
        return "the link monitor's state is older than 10 s: is the monitor running?"
    return None


def health(state, now, role):
    """Why this router is not a healthy ``role`` (master or backup) of its pair now, given its monitor's state
    file content (or None), or None when it is."""
    problem = _monitor(state, now)
    if problem is not None:
        return problem
    ha = state.get("ha")
    if not isinstance(ha, dict):
        return "this router is not in an HA pair (its monitor reports no `ha`)"
    vrrp = ha.get("vrrp_state")
    if vrrp != role:
        shown = vrrp if isinstance(vrrp, str) and vrrp.isalpha() and len(vrrp) <= 16 else "unknown"
        return f"this router is {shown} in the pair, not the {role}"
    if ha.get("yield") is not False:
        return "this router yields the master (its pinned links are out of service, or a pair drill runs)"
    sync = ha.get("sync")
    sync = sync if isinstance(sync, dict) else {}
    if sync.get("peer_reachable") is not True:
        return (
            f"the peer does not answer over the sync link ({_short(sync.get('interface'))}): conntrackd's "
            "replication has stopped, so a handover now would lose the live connections"
        )
    links = state["links"]
    out = sorted(
        str(name)
        for name, entry in links.items()
        if not isinstance(entry, dict) or entry.get("gated") or not entry.get("up")
    )
    if out:
        return f"{', '.join(out)} out of service or down: a drill now would test a double failure"
    return None


def refusal(seconds, state, now):
    """Why a pair drill of ``seconds`` must not start on this router (it must be the pair's healthy master,
    with no drill running), or None."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not drill.MIN_SECONDS <= seconds <= drill.PAIR_MAX_SECONDS
    ):
        return f"a pair drill lasts {drill.MIN_SECONDS} to {drill.PAIR_MAX_SECONDS} seconds, not {seconds!r}"
    problem = _monitor(state, now)
    if problem is None and (state.get("drill") or (isinstance(state.get("ha"), dict) and state["ha"].get("drill"))):
        return "a drill is already running on this router"
    problem = problem or health(state, now, "master")
    if problem is not None and "not the master" in problem:
        return problem + ": run the pair drill on the pair's master"
    return problem


def in_force(state):
    """Whether the state file shows this router yielding for a pair drill, in FAULT (the peer holds the
    master)."""
    ha = state.get("ha") if isinstance(state, dict) else None
    return (
        isinstance(ha, dict)
        and isinstance(ha.get("drill"), dict)
        and ha.get("yield") is True
        and ha.get("vrrp_state") == "fault"
    )


def ended(state):
    """Whether the state file shows the drill over and this router back in the pair as the backup (or the
    master again, when the pair preempts)."""
    ha = state.get("ha") if isinstance(state, dict) else None
    return isinstance(ha, dict) and not ha.get("drill") and ha.get("yield") is False and ha.get("vrrp_state") in ROLES


def missing_addresses(addresses, ip_json):
    """The shared addresses (``a.b.c.d/len`` or ``x::y/len``) that ``ip -json addr show`` does not list here."""
    held = set()
    for interface in ip_json if isinstance(ip_json, list) else []:
        for info in interface.get("addr_info", []) if isinstance(interface, dict) else []:
            if isinstance(info, dict):
                held.add(_interface(f"{info.get('local', '')}/{info.get('prefixlen', '')}"))
    # The address with its prefix length (the same address on lo, as a /32, is not the shared one).
    return [address for address in addresses if _interface(str(address)) not in held | {None}]


def _interface(text):
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _short(value):
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text[:40]
