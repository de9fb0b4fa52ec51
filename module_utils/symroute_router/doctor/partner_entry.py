"""A ``symroute_partners`` entry to paste into a pull request: the dict and its YAML text.

The text is YAML that the project's strict loader reads back as the dict: a value is written
plain only when it cannot be read as anything but that string, else double-quoted (JSON's
quoting, which is YAML's too). The name starts with "changeme-" so that a reviewer renames it, and
is still a valid partner name (lower-case letters, digits and '-', at most 48): the entry as pasted
passes the plan's validation.
"""

import ipaddress
import json
import re

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ._/:@+-]*")
_PLAIN_IN_FLOW = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@+-]*")
_IPV4_PREFIX = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}
MAX_NAME = 48


def _printable(text):
    return "".join(char if " " <= char <= "~" else "?" for char in str(text))[:120]


def scalar(text, flow=False):
    """``text`` as a YAML scalar: plain when that is safe, else double-quoted."""
    plain = _PLAIN_IN_FLOW if flow else _PLAIN
    safe = (plain.fullmatch(text) or _IPV4_PREFIX.fullmatch(text)) and not (
        ": " in text
        or text.endswith((":", " "))
        or text.lower() in _YAML_WORDS
        or (flow and not _IPV4_PREFIX.fullmatch(text) and text[0].isdigit())
    )
    return text if safe else json.dumps(text)


def name_for(prefix):
    """``changeme-100-64-20-0-24`` for 100.64.20.0/24: a valid partner name a reviewer replaces."""
    words = "-".join(part for part in re.split(r"[^a-z0-9]+", prefix.lower()) if part)
    return f"changeme-{words}"[:MAX_NAME].rstrip("-")


def entry(prefix, link, address, port, router, generated):
    """{"entry": {...}, "yaml": text} pinning ``prefix`` to ``link``, health-checked at ``address:port``."""
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    fields = {
        "name": name_for(prefix),
        "description": f"found by symroute doctor on {_printable(router)} at {generated}",
        "prefixes": [prefix],
        "link": link,
        "on_link_failure": "failover",
        "health_check": f"tcp://{host}:{port}",
    }
    lines = ["symroute_partners:", f"  - name: {scalar(fields['name'])}"]
    lines += [f"    {key}: {scalar(fields[key])}" for key in ("description",)]
    lines.append(f"    prefixes: [{', '.join(scalar(p, flow=True) for p in fields['prefixes'])}]")
    lines += [f"    {key}: {scalar(fields[key])}" for key in ("link", "on_link_failure", "health_check")]
    return {"entry": fields, "yaml": "\n".join(lines) + "\n"}
