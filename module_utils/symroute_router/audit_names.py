"""The audit's findings for partners by DNS name (issue #23): what the router's resolver holds, judged.

Read from ``resolver.json`` beside the monitor's state file (status_names.py reads it for symroute-status
too); never a lookup of its own. One finding per name and family whose last lookup failed or gave no usable
address (the sets keep the last good answer: stale once it is older than its TTL, and gone when its
elements expire), that was never answered, or whose last answer had addresses refused (DNS rebinding,
special use, the cap). A router without partners by name has no file and no finding.
"""

from . import status_names


def read(monitor_state_file):
    """The resolver's names as status_names reads them ([] without a file)."""
    return status_names.names(status_names.resolver_file(monitor_state_file))


def _kept(entry):
    if not entry["addresses"]:
        return "no address in the partner's sets: its traffic follows the main table"
    age, ttl = entry["age_seconds"], entry["ttl"]
    stale = age is not None and ttl is not None and age > ttl
    return f"the sets keep the last good answer ({', '.join(entry['addresses'])}), {age} s old" + (
        f", stale (older than its TTL of {ttl:g} s)" if stale else ""
    )


def _one_line(text):
    """A finding is one line of the report: control characters (a newline in a hostile file) become spaces."""
    return "".join(" " if ord(character) < 32 or ord(character) == 127 else character for character in text)


def findings(names):
    """[{kind: "name", partner, text}] for each name and family that needs attention."""
    found = []
    for entry in names:
        what = f"partner {entry['partner'] or '?'}: name {entry['name']} IPv{entry['family']}"
        if entry["outcome"] != "ok":
            found.append(
                {
                    "kind": "name",
                    "partner": entry["partner"],
                    "text": _one_line(f"{what}: last lookup: {entry['outcome']}; {_kept(entry)}"),
                }
            )
        if entry["refused"]:
            found.append(
                {
                    "kind": "name",
                    "partner": entry["partner"],
                    "text": _one_line(f"{what}: answers refused: {'; '.join(entry['refused'])}"),
                }
            )
    return found
