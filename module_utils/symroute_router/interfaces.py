"""Why a link's routes cannot be installed yet: its interface is missing or down, or lacks an address."""

import json


def missing(runner, device):
    """True when ``device`` does not exist or is administratively down."""
    result = runner.run(["ip", "-json", "link", "show", "dev", device])
    if result.rc != 0:
        return True
    try:
        return "UP" not in json.loads(result.stdout)[0].get("flags", [])
    except (ValueError, IndexError, AttributeError):
        return False


def missing_source(runner, device, routes):
    """The first source address the routes use that ``device`` does not hold (yet), or None: a network
    manager still configuring the interface, or re-adding its addresses."""
    result = runner.run(["ip", "-json", "addr", "show", "dev", device])
    if result.rc != 0:
        return None
    try:
        # A tentative address (IPv6 duplicate address detection) is refused as a source until it is done.
        held = {info.get("local") for entry in json.loads(result.stdout) for info in entry.get("addr_info", [])
                if not (info.get("tentative") or info.get("dadfailed"))}
    except (ValueError, AttributeError, TypeError):
        return None
    return next((r["src"] for r in routes if r.get("dev") == device and r.get("src") and r["src"] not in held),
                None)


def waiting(runner, devices, routes):
    """ "waiting for interface X" (missing or down) or "waiting for interface X to get A", or None."""
    for device in devices:
        if missing(runner, device):
            return f"waiting for interface {device}"
        source = missing_source(runner, device, routes)
        if source:
            return f"waiting for interface {device} to get {source}"
    return None
