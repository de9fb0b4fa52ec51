"""What a converge says: one line per part that changed (``summary``), and after a failure one sentence on
the state it left (``outcome``), in the failure it raises (``ConvergeFailed``, naming the step: ``TITLES``)."""


def _counted(changes):
    """ "rules +2 -1, routes +1 -0": what is added and removed, per kind."""
    return ", ".join(
        f"{kind} +{len(changes[f'add_{kind}'])} -{len(changes[f'remove_{kind}'])}"
        for kind in ("rules", "routes")
        if changes[f"add_{kind}"] or changes[f"remove_{kind}"]
    )


def _joined(items):
    return "; ".join(item for item in items if item)


def summary(parts):
    """One line per part that changed (or would): what a person reads in the run's output."""
    lines = []
    sysctl, nft, routing, monitor = (parts.get(name) or {} for name in ("sysctl", "nftables", "routing", "monitor"))
    if sysctl.get("changed"):
        lines.append("sysctl: " + ("; ".join(sysctl["changed_values"]) or "the sysctl.d file"))
    if nft.get("changed"):
        lines.append(
            "nftables: "
            + _joined([nft["reason"], "the include line" if nft.get("include_changed") else ""] + nft["services"])
        )
    if routing.get("changed"):
        package = routing["package"]["written"] + routing["package"]["removed"]
        lines.append(
            "routing: "
            + _joined(
                [
                    _counted(routing["changes"]),
                    ", ".join(routing["files"] + routing.get("networkd_dropin", [])),
                    f"{len(package)} router package files" if package else "",
                ]
                + routing["services"]
            )
        )
    if monitor.get("changed"):
        lines.append(
            "link monitor: "
            + _joined(
                [f"{len(monitor['code'])} router package files" if monitor["code"] else "", ", ".join(monitor["files"])]
                + monitor["services"]
            )
        )
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
    return (
        f"The previous state could not be restored whole ({error}); restored: "
        + ("; ".join(lines) if lines else "nothing")
        + "."
    )


# The step names a failure message gives (as the roles' tasks are named).
TITLES = {
    "lock": "One converge at a time",
    "confirm": "Confirmed commit",
    "contract": "Check the plan contract",
    "connected": "Partners outside the router's own networks",
    "capture": "Record how the management networks route",
    "snapshot": "Snapshot symroute's state",
    "sysctl": "Kernel settings",
    "nftables": "The nftables table",
    "routing": "Rules and routes",
    "verify": "Verify on the router",
    "monitor": "The link monitor",
    "ha": "The HA pair",
}


class ConvergeFailed(Exception):
    """``step`` failed; ``outcome`` says in one sentence what state that left (restored, unchanged, ...),
    ``restored`` lists what the restore put back, ``rolled_back`` whether it was restored whole."""

    def __init__(self, text, step, outcome, restored=(), rolled_back=False, fields=None):
        super().__init__(text)
        self.step, self.outcome, self.restored = step, outcome, list(restored)
        self.rolled_back, self.fields = rolled_back, fields or {}
