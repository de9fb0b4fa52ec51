"""The kernel's connection tracking table as `conntrack -L` prints it (conntrack-tools), parsed.

A line such as

    tcp      6 117 SYN_SENT src=203.0.113.10 dst=100.64.20.10 sport=40000 dport=80 [UNREPLIED]
        src=100.64.20.10 dst=203.0.113.10 sport=80 dport=40000 mark=0 use=1

becomes {"protocol": "tcp", "state": "SYN_SENT", "unreplied": True, "src": "203.0.113.10",
"dst": "100.64.20.10", "sport": "40000", "dport": "80", "mark": 0}: the first src/dst/sport/dport
are the original direction's. Protocols without a state (udp, icmp) have state "".
"""

import ipaddress
import re

_STATE = re.compile(r"[A-Z][A-Z_]+")
_FIRST = ("src", "dst", "sport", "dport")


def parse_line(line):
    """One entry, or None for a line that is not one (the tool's summary line, blank lines)."""
    words = line.split()
    if len(words) < 3 or "=" in words[0] or not words[1].isdigit():
        return None
    entry = {"protocol": words[0], "state": "", "unreplied": False, "mark": 0}
    for word in words[2:]:
        key, equals, value = word.partition("=")
        if word == "[UNREPLIED]":
            entry["unreplied"] = True
        elif equals and key in _FIRST and key not in entry:
            entry[key] = value  # the first tuple is the original direction's
        elif equals and key == "mark" and value.isdigit():
            entry["mark"] = int(value)
        elif not equals and not entry["state"] and "src" not in entry and _STATE.fullmatch(word):
            entry["state"] = word  # the state comes before the tuples
    try:
        entry["dst"] = str(ipaddress.ip_address(entry.get("dst", "")))
    except ValueError:
        return None
    return entry if "src" in entry else None


def parse(text):
    return [entry for entry in map(parse_line, text.splitlines()) if entry is not None]


def read(runner, families=(4, 6)):
    """{"available": bool, "error": text, "entries": [...]} of the given families (4, 6)."""
    entries, errors = [], []
    for family in sorted(families):
        result = runner.run(["conntrack", "-L", "-f", f"ipv{family}"])
        if result.rc == 127:
            return {"available": False, "error": "conntrack (conntrack-tools) is not installed", "entries": []}
        if result.rc != 0:
            errors.append(f"conntrack -L -f ipv{family}: {(result.stderr or '').strip()[:200]}")
            continue
        entries.extend(parse(result.stdout))
    return {"available": not errors, "error": "; ".join(errors), "entries": entries}
