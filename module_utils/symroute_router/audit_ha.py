"""The audit of a router of an HA pair (playbooks/audit.yml): the report's ``ha`` section (VRRP state, yield,
keepalived and conntrackd, the peer over the sync link, the shared addresses held, conntrackd's cache counts),
its findings, the ha part's drift, and the cache entries the pair-level check compares (audit_pair).

Which entries count: those of symroute's traffic, a connection whose mark is a link's (under the mark mask)
or whose tuple touches a shared address, and, in an internal cache, only those at least SETTLE_S seconds old
(conntrackd replicates a new connection within a fraction of a second; a younger one may be on its way, and
is counted apart rather than flagged). The internal cache is read twice, before and after the external one
(playbooks/audit.yml, symroute_ha_cache): audit_pair compares only what both internal reads hold.
"""

import hashlib

from .ha_read import MAX_ENTRIES

SETTLE_S = 2


def _shared(ha):
    addresses = [address for instance in ha.get("instances", []) for address in instance.get("addresses", [])]
    addresses += [link.get("address") or "" for link in (ha.get("links") or {}).values()]
    return {address.split("/")[0] for address in addresses if address}


def _marks(request):
    try:
        mask = int(request.get("mark_mask", "0"), 16)
        return mask, {int(link["mark"], 16) & mask for link in request.get("links", [])} - {0}
    except (TypeError, ValueError, KeyError):
        return 0, set()


def symroute_s(found, marks, mask, shared):
    """Whether a cache entry is symroute's traffic: a link's mark, or a shared address in its tuple."""
    if mask and found["mark"] & mask in marks:
        return True
    return found.get("reply_dst") in shared or any(word in shared for word in found["tuple"].split()[1:3])


def digest(tuple_):
    """A tuple's short digest (64 bits): the reads only tested for membership travel as these."""
    return hashlib.sha256(tuple_.encode()).hexdigest()[:16]


def cache_entries(dump, request, ha, cache, digests=False):
    """{tuples, young, errors}: the sorted original tuples of one cache's dump (``ha_read.dump``) the
    pair-level check compares: in the internal cache symroute's settled connections only (``young``: how many
    were left out as too new), in the external cache every entry. ``errors``: why the dump cannot be trusted.
    ``digests``: the tuples' digests instead (a read the check only looks tuples up in: a third the size)."""
    dump = dump or {}
    mask, marks = _marks(request)
    found = list(dump.get("entries") or [])
    if cache == "internal":
        shared = _shared(ha)
        found = [e for e in found if symroute_s(e, marks, mask, shared)]
        tuples = sorted({e["tuple"] for e in found if e["age_s"] is None or e["age_s"] >= SETTLE_S})
        young = len({e["tuple"] for e in found}) - len(tuples)
    else:
        tuples, young = sorted({e["tuple"] for e in found}), 0
    if digests:
        tuples = sorted({digest(tuple_) for tuple_ in tuples})
    flag = "-i" if cache == "internal" else "-e"
    errors = [dump["error"]] if dump.get("error") else []
    if not isinstance(dump.get("entries"), list):
        errors.append(f"conntrackd {flag} was not read")
    if dump.get("unparsed"):
        errors.append(f"conntrackd {flag} printed {dump['unparsed']} line(s) that are not cache entries")
    if dump.get("truncated"):
        errors.append(f"conntrackd {flag} printed {dump['truncated']} entries beyond the {MAX_ENTRIES} read")
    return {"tuples": tuples, "young": young, "errors": errors}


def section(observed, monitor):
    """The report's ``ha`` section (no cache entries: their counts)."""
    dumps = observed.get("dumps") or {}
    return {
        "pair": observed["pair"],
        "peer": observed["peer_router"],
        "vrrp_state": observed["vrrp"]["state"],
        "vrrp_error": observed["vrrp"]["error"],
        "yield": (monitor.get("ha") or {}).get("yield") if isinstance(monitor.get("ha"), dict) else None,
        "services": {name: entry["state"] for name, entry in observed["services"].items()},
        "sync": observed["sync"],
        "addresses": observed["addresses"],
        "caches": observed["caches"],
        "dumps": {
            name: {key: dump[key] for key in ("unparsed", "truncated", "error")} | {"entries": len(dump["entries"])}
            for name, dump in sorted(dumps.items())
        },
    }


def _address_findings(state, held_addresses):
    held = [address for entry in held_addresses.values() for address in entry["held"]]
    wanted = [address for entry in held_addresses.values() for address in entry["addresses"]]
    if state == "master" and sorted(held) != sorted(wanted):
        missing = sorted(set(wanted) - set(held))
        return [f"it is the master but does not hold the shared address(es) {', '.join(missing)}"]
    if state in ("backup", "fault", "stopped") and held:
        return [f"it is {state} but holds the shared address(es) {', '.join(sorted(held))} (split brain)"]
    return []


def findings(observed):
    """The router's own HA findings (the pair's are audit_pair's)."""
    texts = [
        f"{name} is {entry['state'] or 'unknown'} ({entry['error'] or 'systemctl is-active'}), not active"
        for name, entry in sorted(observed["services"].items())
        if entry["state"] != "active"
    ]
    state = observed["vrrp"]["state"]
    if state is None:
        texts.append(f"its VRRP state is unknown: {observed['vrrp']['error']}")
    elif state in ("fault", "stopped"):
        texts.append(f"its VRRP state is {state}: it cannot take the master over")
    sync = observed["sync"]
    if sync["reachable"] is not True:
        texts.append(
            f"the peer {observed['peer_router']} ({sync['peer']}) does not answer over the sync link "
            f"{sync['interface']}"
            + (f" ({sync['error']})" if sync["error"] else "")
            + ": conntrackd's replication is cut, a switchover now loses the live connections"
        )
    texts += _address_findings(state, observed["addresses"])
    if observed["caches"]["error"]:
        texts.append(f"conntrackd's caches were not read: {observed['caches']['error']}")
    return [{"kind": "ha", "text": f"HA pair {observed['pair']}: {text}"} for text in texts]


def drift(part):
    """The ha part's check-mode result (files, services) as drift findings."""
    part = part or {}
    found = [{"kind": "drift", "text": f"HA pair: file {path} differs from the plan"} for path in part.get("files", [])]
    return found + [
        {"kind": "drift", "text": f"HA pair: a converge would have {line}"} for line in part.get("services", [])
    ]


def extend(report, observed, ha_drift, monitor):
    """``report`` (audit.judge's) with the ``ha`` section, its findings and the ha part's drift."""
    extra = drift(ha_drift) + findings(observed)
    report = dict(report, ha=section(observed, monitor), findings=report["findings"] + extra)
    report["drift"] = dict(report["drift"], ha={k: (ha_drift or {}).get(k, []) for k in ("files", "services")})
    report["passed"] = not report["findings"]
    return report


def _yes(value):
    return "unknown" if value is None else ("yes" if value else "**no**")


def markdown_lines(report):
    """The ``ha`` and ``pair`` sections for people ([] for a router alone)."""
    ha, lines = report.get("ha"), []
    if not ha:
        return lines
    caches = ha["caches"]
    counts = ", ".join(
        f"{name} {caches[name]['active']}" if caches.get(name) else f"{name} unknown"
        for name in ("internal", "external")
    )
    yields = "unknown" if ha["yield"] is None else "yes" if ha["yield"] else "no"
    state = ha["vrrp_state"] or f"unknown ({ha['vrrp_error']})"
    lines += [
        "",
        f"## HA pair {ha['pair']} (peer {ha['peer']})",
        "",
        f"- VRRP state: {state}; yields: {yields}",
        "- services: " + ", ".join(f"{name} {state or 'unknown'}" for name, state in sorted(ha["services"].items())),
        f"- peer reachable over {ha['sync']['interface']} ({ha['sync']['peer']}): {_yes(ha['sync']['reachable'])}",
        "- shared addresses held: "
        + "; ".join(f"{name}: {', '.join(e['held']) or 'none'}" for name, e in sorted(ha["addresses"].items())),
        f"- conntrackd's caches (active connections): {counts}",
    ]
    pair = report.get("pair")
    if pair is None:
        return lines
    lines += ["", "## The pair", ""]
    if not pair["checked"]:
        return lines + [f"Not checked: {pair['reason']}."]
    lines.append("VRRP states: " + ", ".join(f"{name} {state}" for name, state in sorted(pair["states"].items())))
    lines.append(
        "Shared addresses held: "
        + "; ".join(f"{name} {', '.join(held) or 'none'}" for name, held in sorted(pair.get("held", {}).items()))
    )
    caches = pair["caches"]
    if not caches["compared"]:
        return lines + [f"Caches not compared: {caches['reason']}."]
    return lines + [
        f"Caches: {caches['master_internal']} settled connection(s) in both reads of {caches['master']}'s "
        f"internal cache ({caches['master_internal_younger']} younger left out, "
        f"{caches['master_internal_ended']} ended between the reads), {caches['backup_external']} in "
        f"{caches['backup']}'s external cache, {caches['missing']} missing: "
        + ("in sync." if caches["in_sync"] else "NOT in sync (" + ", ".join(caches["missing_listed"]) + ").")
    ]
