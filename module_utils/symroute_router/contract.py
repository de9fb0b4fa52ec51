"""The data the controller hands the router, checked on the router before anything is applied.

Five parts, each a JSON object with ``contract_version``:

    routing   {priority_band, monitor_bands, tables, rules, routes[, learned]}   (routing.json)
    sysctls   {sysctls: [{name, value}]}
    nftables  {content, table}                                        (the nft transaction)
    verify    {tables, partners, management[, monitor_state_file]}
    audit     {verify, links, prefixes, mark_mask, out_of_service_group}      (playbooks/audit.yml)

``check(part, data)`` returns every problem (an empty list when the data is
usable): types, integer ranges, tokens matched whole (``re.fullmatch``), no
control characters, addresses of the rule's or route's family, priorities in
the band and outside the monitor's sub-bands, tables among the state's, and
nftables content that touches no table but its own. This check is the router's
one definition of the contract; the controller's is the engine's slices
(symroute/contract_slices.py), and tests/unit/test_router_contract.py runs this
check over every slice the engine makes of the lab's, production's and the
hostile corpus's plans.
"""

import re

from . import contract_read, nftparse
from .checking import FWMARK, IFNAME, MAX_U32, NFT_TEXT, ROUTER, SYSCTL, SYSCTL_VALUE, TEXT, Problems, is_int
from .contract_learned import learned_entry
from .contract_read import COMMON as _COMMON, RESERVED_TABLES

CONTRACT_VERSION = 1
PARTS = ("routing", "sysctls", "nftables", "verify", "audit")
NFT_TABLE = "inet symroute"
MAX_NFT_CONTENT = 64 * 1024 * 1024
RULE_ACTIONS = ("prohibit", "blackhole", "unreachable")

# A statement that is not symroute's to write.
NFT_FORBIDDEN = re.compile(
    r"(^|\n)([^#\n]*[;{}])?[ \t]*(include|define|redefine|undefine|flush|add|insert|replace|create|reset|destroy"
    r"|rename|list|import|export|monitor|describe"
    r"|delete(?![ \t]+table[ \t]+inet[ \t]+symroute[ \t]*(#[^\n]*)?(\n|;|$))"
    r"|table(?![ \t]+inet[ \t]+symroute[ \t]*(\{|#|\n|;|$)))\b"
)


def _version(check, data):
    version = data.get("contract_version")
    if "contract_version" not in data:
        check.add(
            "contract_version",
            f"missing: the controller sent no version, this router's package speaks "
            f"contract version {CONTRACT_VERSION}",
        )
    elif not is_int(version) or version != CONTRACT_VERSION:
        check.add(
            "contract_version",
            f"the controller sent version {repr(version)[:20]}, this router's package "
            f"speaks contract version {CONTRACT_VERSION}",
        )
    else:
        return True
    return False


def _common(check, data):
    if "comment" in data:
        check.token("comment", data["comment"], TEXT, "one line of at most 200 printable characters")
    if "router" in data:
        check.token("router", data["router"], ROUTER, "a router name")


def _tables(check, value):
    tables = []
    for index, table in check.items("tables", value, 127):
        if check.integer(f"tables[{index}]", table, 1):
            if table in RESERVED_TABLES:
                check.add(f"tables[{index}]", f"{table} is a kernel table (0, 253, 254, 255)")
            elif table in tables:
                check.add(f"tables[{index}]", f"{table} is listed twice")
            tables.append(table)
    return tables


def _band(check, data):
    band = data["priority_band"]
    if not (isinstance(band, list) and len(band) == 2 and all(is_int(p) for p in band) and band[0] <= band[1]):
        check.add("priority_band", f"{str(band)[:60]} is not [first, last] priorities (0..{MAX_U32})")
        return None, []
    bands = []
    for index, sub in check.items("monitor_bands", data["monitor_bands"], 16):
        if not (
            isinstance(sub, list)
            and len(sub) == 2
            and all(is_int(p) for p in sub)
            and band[0] <= sub[0] <= sub[1] <= band[1]
        ):
            check.add(f"monitor_bands[{index}]", f"{str(sub)[:60]} is not [first, last] inside the priority band")
        else:
            bands.append(sub)
    return band, bands


def _rule(check, where, rule, band, bands, tables, seen):
    if not check.keys(
        where,
        rule,
        ("priority", "family"),
        ("comment", "from", "to", "fwmark", "table", "action", "not", "suppress_ifgroup"),
    ):
        return
    family = check.family(f"{where}.family", rule["family"])
    check.rule_priority(f"{where}.priority", rule["priority"], family, (band, bands), seen)
    if "comment" in rule:
        check.token(f"{where}.comment", rule["comment"], TEXT, "one line of at most 200 printable characters")
    for key in ("from", "to"):
        if key in rule and family:
            check.address(f"{where}.{key}", rule[key], family, network="/" in str(rule[key]))
    if "fwmark" in rule:
        check.token(f"{where}.fwmark", rule["fwmark"], FWMARK, "a mark/mask like 0x100/0x7f00")
    if "not" in rule and rule["not"] is not True:
        check.add(f"{where}.not", "must be true when present")
    if "suppress_ifgroup" in rule:
        check.integer(f"{where}.suppress_ifgroup", rule["suppress_ifgroup"], 1, 2**31 - 1)
    if ("table" in rule) == ("action" in rule):
        check.add(where, "needs exactly one of table and action")
    elif "action" in rule and rule["action"] not in RULE_ACTIONS:
        check.add(f"{where}.action", f"{repr(rule['action'])[:40]} is not one of {', '.join(RULE_ACTIONS)}")
    elif "table" in rule and rule["table"] != "main" and not (is_int(rule["table"]) and rule["table"] in tables):
        check.add(f"{where}.table", f"{repr(rule['table'])[:40]} is neither main nor one of the state's tables")


def _route(check, where, route, tables, seen):
    if not check.keys(where, route, ("table", "family", "dst", "dev"), ("via", "src", "scope", "onlink")):
        return
    family = check.family(f"{where}.family", route["family"])
    if not (is_int(route["table"]) and route["table"] in tables):
        check.add(f"{where}.table", f"{repr(route['table'])[:40]} is not one of the state's tables")
    if family and route["dst"] != "default":
        check.address(f"{where}.dst", route["dst"], family, network=True)
    check.token(f"{where}.dev", route["dev"], IFNAME, "an interface name")
    for key in ("via", "src"):
        if key in route and family:
            check.address(f"{where}.{key}", route[key], family)
    if "scope" in route and route["scope"] != "link":
        check.add(f"{where}.scope", f"{repr(route['scope'])[:40]} is not link")
    if "onlink" in route and not isinstance(route["onlink"], bool):
        check.add(f"{where}.onlink", "must be true or false")
    identity = (str(route["table"]), str(route["family"]), str(route["dst"]))
    if identity in seen:
        check.add(where, f"a second route to {route['dst']} in table {route['table']}")
    seen.add(identity)


def _routing(check, data):
    if not check.keys("", data, ("priority_band", "monitor_bands", "tables", "rules", "routes"), _COMMON | {"learned"}):
        return
    band, bands = _band(check, data)
    tables = _tables(check, data["tables"])
    seen = set()
    for index, rule in check.items("rules", data["rules"], 2000):
        _rule(check, f"rules[{index}]", rule, band, bands, tables, seen)
    for index, entry in check.items("learned", data.get("learned", []), 2 * 127):
        learned_entry(check, f"learned[{index}]", entry, (band, bands), tables, seen)
    seen = set()
    for index, route in check.items("routes", data["routes"], 1024):
        _route(check, f"routes[{index}]", route, tables, seen)


def _sysctls(check, data):
    if not check.keys("", data, ("sysctls",), _COMMON):
        return
    names = set()
    for index, item in check.items("sysctls", data["sysctls"], 1024):
        where = f"sysctls[{index}]"
        if check.keys(where, item, ("name", "value")):
            check.token(f"{where}.name", item["name"], SYSCTL, "a key under net.ipv4 or net.ipv6")
            check.token(f"{where}.value", item["value"], SYSCTL_VALUE, "an integer value")
            if str(item["name"]) in names:
                check.add(f"{where}.name", "is listed twice")
            names.add(str(item["name"]))


def _nft_structure(check, content):
    try:
        entries = nftparse.entries(content)
    except nftparse.NftSyntaxError as error:
        check.add("content", str(error))
        return
    allowed = {(f"table {NFT_TABLE}", False), (f"delete table {NFT_TABLE}", False), (f"table {NFT_TABLE}", True)}
    for path, statement, is_block in entries:
        if not path and (statement, is_block) not in allowed:
            check.add("content", f"top-level statement {statement[:80]!r}: only table {NFT_TABLE} is symroute's")
    if not any(path == () and statement == f"table {NFT_TABLE}" and block for path, statement, block in entries):
        check.add("content", f"does not define table {NFT_TABLE}")


def _nftables(check, data):
    if not check.keys("", data, ("content", "table"), _COMMON):
        return
    if data["table"] != NFT_TABLE:
        check.add("table", f"{repr(data['table'])[:40]} is not {NFT_TABLE}")
    content = data["content"]
    if not isinstance(content, str) or len(content) > MAX_NFT_CONTENT or not NFT_TEXT.fullmatch(content):
        check.add("content", f"must be text of at most {MAX_NFT_CONTENT} characters without control characters")
        return
    forbidden = NFT_FORBIDDEN.search(content)
    if forbidden:
        check.add("content", f"statement {forbidden.group(3)!r} is not symroute's to write")
    _nft_structure(check, content)


def _audit(problems, data):
    if not problems.keys(
        "", data, ("verify", "links", "prefixes", "mark_mask", "out_of_service_group"), _COMMON | {"monitor_state_file"}
    ):
        return
    for problem in check("verify", data["verify"]):
        problems.add("", problem)
    contract_read.audit_fields(problems, data)


_PARTS = {
    "routing": _routing,
    "sysctls": _sysctls,
    "nftables": _nftables,
    "verify": contract_read.verify,
    "audit": _audit,
}


def check(part, data):
    """Every problem of ``data`` as the ``part`` slice of the contract (empty: usable)."""
    if part not in _PARTS:
        raise ValueError(f"unknown contract part {part!r} (known: {', '.join(PARTS)})")
    problems = Problems(part)
    if not isinstance(data, dict):
        problems.add("data", f"must be an object, not {type(data).__name__}")
    elif _version(problems, data):
        _common(problems, data)
        _PARTS[part](problems, data)
    return problems.problems


def refusal(part, data):
    """One message for a slice that breaks the contract, or None when it is usable."""
    problems = check(part, data)
    return "the plan slice breaks the contract: " + "; ".join(problems) if problems else None
