"""What a converge says: one line per part that changed (``summary``), and after a failure one sentence on
the state it left (``outcome``)."""


def _counted(changes):
    """"rules +2 -1, routes +1 -0": what is added and removed, per kind."""
    return ", ".join(f"{kind} +{len(changes[f'add_{kind}'])} -{len(changes[f'remove_{kind}'])}"
                     for kind in ("rules", "routes") if changes[f"add_{kind}"] or changes[f"remove_{kind}"])


def _joined(items):
    return "; ".join(item for item in items if item)


def summary(parts):
    """One line per part that changed (or would): what a person reads in the run's output."""
    lines = []
    sysctl, nft, routing, monitor = (parts.get(name) or {} for name in ("sysctl", "nftables", "routing", "monitor"))
    if sysctl.get("changed"):
        lines.append("sysctl: " + ("; ".join(sysctl["changed_values"]) or "the sysctl.d file"))
    if nft.get("changed"):
        lines.append("nftables: " + _joined([nft["reason"], "the include line" if nft.get("include_changed") else ""]
                                            + nft["services"]))
    if routing.get("changed"):
        package = routing["package"]["written"] + routing["package"]["removed"]
        lines.append("routing: " + _joined([_counted(routing["changes"]),
                                            ", ".join(routing["files"] + routing.get("networkd_dropin", [])),
                                            f"{len(package)} router package files" if package else ""]
                                           + routing["services"]))
    if monitor.get("changed"):
        lines.append("link monitor: " + _joined([f"{len(monitor['code'])} router package files" if monitor["code"]
                                                 else "", ", ".join(monitor["files"])] + monitor["services"]))
    pair = parts.get("ha") or {}
    if pair.get("changed"):
        lines.append("HA pair: " + _joined([", ".join(pair["files"])] + pair["services"]))
    return lines


CHECK_MODE = "Check mode: nothing was changed, nothing was restored."
NOTHING_CHANGED = "Nothing was changed."
NOT_SNAPSHOT = "Nothing was restored: this converge was asked to take no snapshot."


def restored(lines):
    return "The previous state was restored: " + ("; ".join(lines) if lines else "nothing had changed") + "."


def not_restored(error, lines):
    return (f"The previous state could not be restored whole ({error}); restored: "
            + ("; ".join(lines) if lines else "nothing") + ".")
