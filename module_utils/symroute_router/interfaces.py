"""Why a link's routes cannot be installed yet: its interface is missing or down, or lacks an address."""

from .iproute import answers


def missing_or_down(runner, device):
    """True when ``device`` does not exist or is administratively down."""
    shown = answers(runner, ["-json", "link", "show", "dev", device])
    return not shown or "UP" not in shown[0].get("flags", [])


def missing_source(runner, device, routes):
    """The first source address the routes use that ``device`` does not hold (yet), or None: a network
    manager still configuring the interface, or re-adding its addresses."""
    shown = answers(runner, ["-json", "addr", "show", "dev", device])
    if not shown:
        return None
    # A tentative address (IPv6 duplicate address detection) is refused as a source until it is done.
    held = {
        info.get("local")
        for entry in shown
        for info in entry.get("addr_info", [])
        if isinstance(info, dict) and not (info.get("tentative") or info.get("dadfailed"))
    }
    return next((r["src"] for r in routes if r.get("dev") == device and r.get("src") and r["src"] not in held), None)


def waiting(runner, devices, routes):
    """ "waiting for interface X" (missing or down) or "waiting for interface X to get A", or None."""
    for device in devices:
        if missing_or_down(runner, device):
            return f"waiting for interface {device}"
        source = missing_source(runner, device, routes)
        if source:
            return f"waiting for interface {device} to get {source}"
    return None
