"""The pair-level audit of an HA pair (playbooks/audit.yml, after each router's own audit): exactly one
master, the peer reachable over the sync link, and the conntrack caches in sync (docs/design.md, "HA pair").

In sync: every entry of the master's internal cache that is symroute's traffic (a link's mark, or a shared
address in its tuple) and at least audit_ha.SETTLE_S seconds old is in the backup's external cache, compared
by original tuple (protocol, source, destination, ports). The check is the same on both routers' reports.
"""

LISTED = 10  # the missing entries listed by tuple; the rest is counted


def _state(one):
    return (one.get("report") or {}).get("ha", {}).get("vrrp_state")


def _holders(one):
    addresses = (one.get("report") or {}).get("ha", {}).get("addresses") or {}
    return any(entry.get("held") for entry in addresses.values())


def _caches(master, backup, names):
    settled = master["entries"]["internal"]
    external = set(backup["entries"]["external"])
    missing = [tuple_ for tuple_ in settled if tuple_ not in external]
    return {
        "compared": True,
        "master": names[0],
        "backup": names[1],
        "master_internal": len(settled),
        "master_internal_younger": master["entries"]["young"],
        "backup_external": len(external),
        "missing": len(missing),
        "missing_listed": missing[:LISTED],
        "in_sync": not missing,
    }


def check(pair, routers):
    """The pair section and its findings. ``routers``: {name: {report, entries}} for the routers audited in
    this run (a router of the pair absent from it: the pair was not checked, and the section says why)."""
    names = sorted(routers)
    if len(names) != 2 or any("report" not in routers[name] for name in names):
        return {
            "checked": False,
            "reason": "both routers of the pair must be audited in the same run (one was left out with -l, "
            "or was unreachable): the pair-level checks (one master, caches in sync) were not done",
            "routers": names,
        }, []
    states = {name: _state(routers[name]) for name in names}
    masters = [name for name in names if states[name] == "master"]
    texts = []
    if len(masters) == 2 or all(_holders(routers[name]) for name in names):
        texts.append(f"split brain: {' and '.join(names)} are both the master (both hold shared addresses)")
    elif not masters:
        texts.append(
            "no master: "
            + ", ".join(f"{name} is {states[name] or 'unknown'}" for name in names)
            + " (nobody holds the shared addresses)"
        )
    cut = [
        name for name in names if (routers[name]["report"].get("ha", {}).get("sync") or {}).get("reachable") is not True
    ]
    if cut:
        texts.append(f"the sync link is cut: {' and '.join(cut)} cannot reach the peer over it")
    caches = {"compared": False, "reason": "not exactly one master"}
    if len(masters) == 1:
        master, backup = masters[0], [name for name in names if name != masters[0]][0]
        errors = routers[master]["entries"]["errors"] + routers[backup]["entries"]["errors"]
        if errors:
            caches = {"compared": False, "reason": "; ".join(errors)}
            texts.append(f"the conntrack caches were not compared: {caches['reason']}")
        else:
            caches = _caches(routers[master], routers[backup], (master, backup))
            if caches["missing"]:
                texts.append(
                    f"the conntrack caches are not in sync: {caches['missing']} of the {caches['master_internal']} "
                    f"connections of {master} (its internal cache) are missing from {backup}'s external cache: "
                    + ", ".join(caches["missing_listed"])
                    + (f" and {caches['missing'] - LISTED} more" if caches["missing"] > LISTED else "")
                )
    section = {"checked": True, "routers": names, "states": states, "master": masters[0] if len(masters) == 1 else None}
    section["caches"] = caches
    return section, [{"kind": "pair", "text": f"HA pair {pair}: {text}"} for text in texts]


def extend(report, pair, routers):
    """``report`` with the pair section and its findings."""
    section, found = check(pair, routers)
    report = dict(report, pair=section, findings=report["findings"] + found)
    report["passed"] = not report["findings"]
    return report
