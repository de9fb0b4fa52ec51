"""The pair-level audit of an HA pair (playbooks/audit.yml, after each router's own audit): exactly one
master, the peer reachable over the sync link, and the conntrack caches in sync (docs/design.md, "HA pair").

The master is the router that holds the shared addresses (what the routers' ``ip addr`` showed); the VRRP
states keepalived's notify command recorded are a cross-check, a disagreement a finding of its own.

In sync: every entry of symroute's traffic (a link's mark, or a shared address in its tuple) that is at least
audit_ha.SETTLE_S seconds old in the master's first read of its internal cache and still there in its second
read is in the backup's external cache, read in between (the play's linear strategy orders the three reads
across the routers), compared by original tuple (protocol, source, destination, ports). A connection that
ended between the reads is in neither the comparison nor the findings: its destroy may have reached the
backup before its read. The check is the same on both routers' reports.
"""

from .audit_ha import digest

LISTED = 10  # the missing entries listed by tuple; the rest is counted


def _ha(one):
    return (one.get("report") or {}).get("ha") or {}


def _held(one):
    addresses = _ha(one).get("addresses") or {}
    return sorted({a for entry in addresses.values() if isinstance(entry, dict) for a in entry.get("held") or []})


def _reads(one):
    """The master's two internal reads and the backup's external one ({tuples, young, errors}, or errors)."""
    missing = {"tuples": [], "young": 0}
    return {
        "first": one.get("first") or dict(missing, errors=["its internal cache was not read before the external"]),
        "last": one.get("last") or dict(missing, errors=["its internal cache was not read after the external"]),
        "external": one.get("entries") or dict(missing, errors=["its external cache was not read"]),
    }


def _caches(master, backup, names):
    """``first``: the tuples; ``last`` and the external read: their digests (audit_ha.digest)."""
    first, last = _reads(master)["first"], _reads(master)["last"]
    stable = set(last["tuples"])
    compared = [tuple_ for tuple_ in first["tuples"] if digest(tuple_) in stable]
    external = set(_reads(backup)["external"]["tuples"])
    missing = [tuple_ for tuple_ in compared if digest(tuple_) not in external]
    return {
        "compared": True,
        "master": names[0],
        "backup": names[1],
        "master_internal": len(compared),
        "master_internal_younger": first["young"],
        "master_internal_ended": len(first["tuples"]) - len(compared),
        "backup_external": len(external),
        "missing": len(missing),
        "missing_listed": missing[:LISTED],
        "in_sync": not missing,
    }


def _masters(names, states, held):
    """The findings on who is the master, from the shared addresses each router holds."""
    holders = [name for name in names if held[name]]
    texts = []
    if len(holders) == 2:
        both = sorted(set(held[names[0]]) & set(held[names[1]]))
        detail = (
            f"both hold {', '.join(both)}"
            if both
            else "; ".join(f"{name} holds {', '.join(held[name])}" for name in names)
        )
        texts.append(f"split brain: {' and '.join(names)} both hold shared addresses ({detail})")
    elif not holders:
        texts.append(
            "no master: neither router holds a shared address ("
            + ", ".join(f"{name} is {states[name] or 'unknown'}" for name in names)
            + ")"
        )
    recorded = [name for name in names if states[name] == "master"]
    if recorded != holders:
        texts.append(
            "the VRRP states keepalived recorded ("
            + ", ".join(f"{name} {states[name] or 'unknown'}" for name in names)
            + ") disagree with the shared addresses held ("
            + ("; ".join(f"{name} holds {', '.join(held[name])}" for name in holders) or "nobody holds any")
            + ")"
        )
    return holders, texts


def check(pair, routers):
    """The pair section and its findings. ``routers``: {name: {report, entries, first, last}} for the routers
    audited in this run (``entries``: the external cache's, ``first``/``last``: the internal cache's before
    and after it; audit_ha.cache_entries, ``entries`` and ``last`` as digests). A router of the pair absent
    from it: the pair was not checked, and the section says why."""
    names = sorted(routers)
    if len(names) != 2 or any("report" not in routers[name] for name in names):
        return {
            "checked": False,
            "reason": "both routers of the pair must be audited in the same run (one was left out with -l, "
            "was unreachable, or failed an earlier task): the pair-level checks (one master, caches in sync) "
            "were not done",
            "routers": names,
        }, []
    states = {name: _ha(routers[name]).get("vrrp_state") for name in names}
    held = {name: _held(routers[name]) for name in names}
    holders, texts = _masters(names, states, held)
    cut = [name for name in names if (_ha(routers[name]).get("sync") or {}).get("reachable") is not True]
    if cut:
        texts.append(f"the sync link is cut: {' and '.join(cut)} cannot reach the peer over it")
    caches = {"compared": False, "reason": "not exactly one router holds the shared addresses"}
    if len(holders) == 1:
        master, backup = holders[0], [name for name in names if name != holders[0]][0]
        reads = _reads(routers[master])
        errors = [f"{master}: {e}" for key in ("first", "last") for e in reads[key]["errors"]]
        errors += [f"{backup}: {e}" for e in _reads(routers[backup])["external"]["errors"]]
        if errors:
            caches = {"compared": False, "reason": "; ".join(dict.fromkeys(errors))}
            texts.append(f"the conntrack caches were not compared: {caches['reason']}")
        else:
            caches = _caches(routers[master], routers[backup], (master, backup))
            if caches["missing"]:
                texts.append(
                    f"the conntrack caches are not in sync: {caches['missing']} of the {caches['master_internal']} "
                    f"connections of {master} (its internal cache, both reads) are missing from {backup}'s "
                    "external cache: "
                    + ", ".join(caches["missing_listed"])
                    + (f" and {caches['missing'] - LISTED} more" if caches["missing"] > LISTED else "")
                )
    section = {
        "checked": True,
        "routers": names,
        "states": states,
        "held": held,
        "master": holders[0] if len(holders) == 1 else None,
        "caches": caches,
    }
    return section, [{"kind": "pair", "text": f"HA pair {pair}: {text}"} for text in texts]


def extend(report, pair, routers):
    """``report`` with the pair section and its findings."""
    section, found = check(pair, routers)
    report = dict(report, pair=section, findings=report["findings"] + found)
    report["passed"] = not report["findings"]
    return report
