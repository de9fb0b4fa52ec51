"""Partners' DNS names for symroute-status: what the router's resolver holds (monitor/resolving.py writes
``resolver.json`` beside the monitor's state file), never a lookup of its own.

Per name and family: the addresses in the partner's sets (the last good answer), how old that answer is,
the last lookup's outcome and the answers refused (DNS rebinding, special use, the cap). A lookup that did
not end well needs attention; a router without partners by name has no file and no section.
"""

import json
import math
import os

from . import files

RESOLVER_FILE = "resolver.json"


def resolver_file(state_file):
    """Where the resolver's state is, beside the monitor's state file."""
    return os.path.join(os.path.dirname(state_file), RESOLVER_FILE)


def _seconds(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return round(max(0.0, float(value)), 1)


def _texts(value):
    return [str(item) for item in value] if isinstance(value, list) else []


def names(path):
    """[{name, family, partner, ttl, addresses, age_seconds, outcome, refused, attention}], or [] without a
    readable file."""
    try:
        document = json.loads(files.read_text(path) or "{}")
    except (OSError, ValueError):
        return []
    entries = document.get("names") if isinstance(document, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("family") not in (4, 6) or isinstance(entry.get("family"), bool):
            continue
        outcome = str(entry.get("outcome", "unknown"))
        found.append(
            {
                "name": str(entry.get("name", "")),
                "family": entry["family"],
                "partner": str(entry.get("partner", "")),
                "ttl": _seconds(entry.get("ttl")),
                "addresses": _texts(entry.get("addresses")),
                "age_seconds": _seconds(entry.get("age_seconds")),
                "outcome": outcome,
                "refused": _texts(entry.get("refused")),
                "attention": outcome != "ok",
            }
        )
    return sorted(found, key=lambda item: (item["name"], item["family"]))
