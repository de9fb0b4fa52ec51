"""The variables of an inventory file as the review compares them: those an inventory file sets inline, each
value's digest, and whether a value holds Jinja (Ansible renders it when it uses it)."""

import hashlib
import json
import re
from typing import Any

JINJA = re.compile(r"\{\{|\{%|\{#")


def holds_jinja(value):
    if isinstance(value, str):
        return bool(JINJA.search(value))
    if isinstance(value, dict):
        return any(holds_jinja(key) or holds_jinja(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        if all(type(item) is str for item in value):  # a prefix list: one search (no delimiter spans the "\0")
            return bool(JINJA.search("\0".join(value)))
        return any(holds_jinja(item) for item in value)
    return False


def value_digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inline_variables(data):
    """Variables an inventory file sets inline (hosts: {h: {vars}}, vars: {...}), as "group:name" or "host:name"."""
    found = {}
    if not isinstance(data, dict):
        return found
    for group, body in data.items():
        if not isinstance(body, dict):
            continue
        for name, value in (body.get("vars") or {}).items() if isinstance(body.get("vars"), dict) else []:
            found[f"{group}:{name}"] = value
        hosts: dict = body["hosts"] if isinstance(body.get("hosts"), dict) else {}
        for host, host_vars in hosts.items():
            for name, value in (host_vars or {}).items() if isinstance(host_vars, dict) else []:
                found[f"{host}:{name}"] = value
        found.update(inline_variables(body.get("children")))
    return found
