"""ip's rules and routes in one comparable form, from the plan and from ``ip -N -json``, and as text.

A normalized rule or route is a flat dict of strings (and ``onlink``); its
key decides whether two are the same; its text is both what ``ip -batch``
takes and what a reviewer reads in a diff.
"""

import ipaddress

TABLE_NUMBERS = {"main": 254, "local": 255, "default": 253, "unspec": 0}
# `ip -N` prints rule actions as numbers (linux/fib_rules.h).
RULE_ACTIONS = {"1": "", "to_tbl": "", "2": "goto", "3": "nop", "6": "blackhole", "7": "unreachable", "8": "prohibit"}
# `ip -N` prints route scopes as numbers (rtnetlink.h).
ROUTE_SCOPES = {"0": "global", "200": "site", "253": "link", "254": "host", "255": "nowhere"}
_RULE_FIELDS = {
    "priority",
    "src",
    "srclen",
    "dst",
    "dstlen",
    "fwmark",
    "fwmask",
    "iif",
    "oif",
    "table",
    "action",
    "flags",
    "not",
}
# Selectors and actions of `ip -json rule` outside the fields above, as `ip rule add` takes them back.
_RULE_EXTRAS = {
    "ipproto": "ipproto",
    "sport": "sport",
    "dport": "dport",
    "tos": "tos",
    "dsfield": "tos",
    "suppress_prefixlen": "suppress_prefixlength",
    "suppress_ifgroup": "suppress_ifgroup",
    "uidrange": "uidrange",
    "goto": "goto",
}


def _cidr(address, length, family):
    if address in (None, "", "all", "default"):
        return ""
    full = 32 if family == 4 else 128
    return str(ipaddress.ip_network(f"{address}/{length if length is not None else full}", strict=False))


def prefix(text, family):
    """A plan address or prefix ("198.51.100.2", "203.0.113.0/24") in the normalized form."""
    if not text:
        return ""
    address, _slash, length = str(text).partition("/")
    return _cidr(address, length or None, family)


def table_number(table):
    if table in (None, ""):
        return ""
    return str(TABLE_NUMBERS.get(str(table), table))


def mark(value, mask):
    """``0x100/0x7f00`` from ip's or the plan's spelling ("0", "0x0", "256")."""
    try:
        return f"{int(str(value), 0):#x}/{int(str(mask), 0):#x}"
    except ValueError:
        return f"{value}/{mask}"


def rule_key(rule):
    """A hashable, comparable form of one rule (desired or live)."""
    return (
        rule["family"],
        rule["priority"],
        bool(rule.get("not")),
        rule.get("src", ""),
        rule.get("dst", ""),
        rule.get("fwmark", ""),
        rule.get("iif", ""),
        rule.get("oif", ""),
        rule.get("table", ""),
        rule.get("action", ""),
        rule.get("other", ""),
    )


def desired_rule(rule):
    """A rule of the plan (``from``/``to``/``fwmark``/``table`` or ``action``) in the normalized form."""
    family = rule["family"]
    fwmark = mark(*rule["fwmark"].split("/", 1)) if "/" in rule.get("fwmark", "") else rule.get("fwmark", "")
    return {
        "family": family,
        "priority": rule["priority"],
        "not": bool(rule.get("not")),
        "src": prefix(rule.get("from"), family),
        "dst": prefix(rule.get("to"), family),
        "fwmark": fwmark,
        "iif": "",
        "oif": "",
        "table": table_number(rule.get("table")) if "action" not in rule else "",
        "action": rule.get("action", ""),
        "other": f"suppress_ifgroup={rule['suppress_ifgroup']}" if "suppress_ifgroup" in rule else "",
    }


def live_rule(entry, family):
    """One entry of `ip -N -json rule` in the normalized form."""
    fwmark = ""
    if "fwmark" in entry:
        fwmark = mark(entry["fwmark"], entry.get("fwmask", "0xffffffff"))
    action = RULE_ACTIONS.get(str(entry.get("action", "")), str(entry.get("action", "")))
    other = ",".join(f"{key}={entry[key]}" for key in sorted(entry) if key not in _RULE_FIELDS)
    return {
        "family": family,
        "priority": entry.get("priority", 0),
        "not": "not" in entry,
        "src": _cidr(entry.get("src"), entry.get("srclen"), family),
        "dst": _cidr(entry.get("dst"), entry.get("dstlen"), family),
        "fwmark": fwmark,
        "iif": entry.get("iif", ""),
        "oif": entry.get("oif", ""),
        "table": table_number(entry.get("table")) if not action else "",
        "action": action,
        "other": other,
    }


def _extras(other):
    """`ip rule` words for the ``other`` fields it can take back, the action (goto) last."""
    words, action = [], []
    for item in filter(None, other.split(",")):
        key, _equals, value = item.partition("=")
        if key not in _RULE_EXTRAS:
            continue
        if key == "ipproto" and value.startswith("ipproto-"):
            value = value[len("ipproto-") :]
        (action if key == "goto" else words).append(f"{_RULE_EXTRAS[key]} {value}")
    return words, action


def rule_text(rule):
    """``priority 10100 from 198.51.100.2/32 lookup 200``: `ip rule add` arguments, and diff text."""
    parts = [f"priority {rule['priority']}"]
    if rule.get("not"):
        parts.append("not")
    if rule.get("src"):
        parts.append(f"from {rule['src']}")
    if rule.get("dst"):
        parts.append(f"to {rule['dst']}")
    if rule.get("fwmark"):
        parts.append(f"fwmark {rule['fwmark']}")
    for key in ("iif", "oif"):
        if rule.get(key):
            parts.append(f"{key} {rule[key]}")
    words, goto = _extras(rule.get("other", ""))
    parts += words
    if rule.get("action"):
        parts.append(rule["action"])
    elif rule.get("table"):
        parts.append(f"lookup {rule['table']}")
    parts += goto
    return " ".join(parts)


def route_key(route):
    return (
        route["family"],
        route["table"],
        route.get("type", ""),
        route["dst"],
        route.get("via", ""),
        route.get("dev", ""),
        route.get("src", ""),
        bool(route.get("onlink", False)),
    )


def desired_route(route):
    """A route of the plan in the normalized form."""
    family = route["family"]
    dst = route["dst"] if route["dst"] == "default" else prefix(route["dst"], family)
    return {
        "family": family,
        "table": str(route["table"]),
        "type": "",
        "dst": dst,
        "via": route.get("via", ""),
        "dev": route["dev"],
        "src": route.get("src", ""),
        "onlink": bool(route.get("onlink", False)),
        "scope": route.get("scope", ""),
    }


def live_route(entry, family, table):
    """One entry of `ip -N -json route show table N` in the normalized form."""
    dst = entry.get("dst", "default")
    route = {
        "family": family,
        "table": str(table),
        "type": entry.get("type", ""),
        "dst": dst if dst == "default" else prefix(dst, family),
        "via": entry.get("gateway", ""),
        "dev": entry.get("dev", ""),
        "src": entry.get("prefsrc", ""),
        "onlink": "onlink" in entry.get("flags", []),
    }
    if entry.get("protocol") not in (None, ""):  # not compared; restored as it was
        route["protocol"] = str(entry["protocol"])
    if entry.get("scope") not in (None, ""):
        route["scope"] = ROUTE_SCOPES.get(str(entry["scope"]), str(entry["scope"]))
    if entry.get("metric") not in (None, ""):
        route["metric"] = str(entry["metric"])
    return route


def route_text(route):
    """``default via 198.51.100.1 dev wana table 200``: `ip route` arguments, and diff text."""
    parts = [route["type"]] if route.get("type") else []
    parts.append(route["dst"])
    if route.get("via"):
        parts.append(f"via {route['via']}")
    if route.get("dev"):
        parts.append(f"dev {route['dev']}")
    if route.get("scope") and route["family"] == 4:
        parts.append(f"scope {route['scope']}")
    if route.get("src"):
        parts.append(f"src {route['src']}")
    if route.get("metric"):
        parts.append(f"metric {route['metric']}")
    if route.get("onlink"):
        parts.append("onlink")
    return " ".join(parts) + f" table {route['table']}"


def describe(changes):
    """Lines a reviewer reads: + added, - removed."""
    lines = [f"+ rule ipv{r['family']} {rule_text(r)}" for r in changes["add_rules"]]
    lines += [f"- rule ipv{r['family']} {rule_text(r)}" for r in changes["remove_rules"]]
    lines += [f"+ route ipv{r['family']} {route_text(r)}" for r in changes["add_routes"]]
    lines += [f"- route ipv{r['family']} {route_text(r)}" for r in changes["remove_routes"]]
    return lines
