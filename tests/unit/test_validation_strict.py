"""Hostile inventories: refused with one clear, short, escaped message each; never a traceback.

The inventory is untrusted data edited by many teams. Each row of CASES is a
value that used to be accepted (or crashed the check) and is dangerous later;
ACCEPTED lists what must stay valid.
"""

import copy

import pytest
import yaml
from netaddr import IPNetwork

from paths import REPOSITORY
from symroute.addresses import shown, special_use
from symroute.errors import InventoryError
from symroute.validate import router_name_problems, validate_router

MEGABYTE = "x" * 1_000_000
MAX_MESSAGE = 600


def link(variables, index=0):
    return variables["symroute_links"][index]


def partner(variables, index=0):
    return variables["symroute_partners"][index]


def nested(depth, make=lambda inner: [inner]):
    value = "x"
    for _ in range(depth):
        value = make(value)
    return value


def only_partner(variables, **fields):
    """One partner on wan_a, no other partner or management network to collide with."""
    variables["symroute_partners"] = [dict({"name": "solo", "link": "wan_a"}, **fields)]
    variables["symroute_management_networks"] = ["192.0.2.0/26"]


CASES = [
    # (id, mutation of router_vars, expected fragments of one problem)
    # 1. Whole values: "$" must not match before a final newline; only plain address text.
    (
        "partner name with a newline",
        lambda v: partner(v).update(name="acme\n"),
        ["field name", "'acme\\n'", "does not have the expected form"],
    ),
    (
        "link name with a newline",
        lambda v: link(v).update(name="wan_a\n"),
        ["field name", "'wan_a\\n'", "does not have the expected form"],
    ),
    (
        "partner link with a newline",
        lambda v: partner(v).update(link="wan_a\n"),
        ["partner 'partner-api'", "field link", "'wan_a\\n'"],
    ),
    (
        "interface with a newline",
        lambda v: link(v).update(interface="eth1\n"),
        ["link 'wan_a'", "field interface", "'eth1\\n'", "does not have the expected form"],
    ),
    (
        "interface with a carriage return",
        lambda v: link(v).update(interface="eth1\r"),
        ["link 'wan_a'", "field interface", "'eth1\\r'"],
    ),
    (
        "health target with a newline",
        lambda v: link(v).update(health_targets=["198.51.100.1\n"]),
        ["link 'wan_a'", "field health_targets[0]", "'198.51.100.1\\n'"],
    ),
    (
        "health check with a newline",
        lambda v: partner(v).update(health_check="tcp://100.64.20.10:80\n"),
        ["partner 'partner-api'", "field health_check", "'tcp://100.64.20.10:80\\n'"],
    ),
    (
        "address with a newline",
        lambda v: link(v).update(address="198.51.100.2/30\n"),
        ["link 'wan_a'", "field address", "'198.51.100.2/30\\n'", "not a valid"],
    ),
    (
        "gateway with a tab",
        lambda v: link(v).update(gateway="198.51.100.1\t"),
        ["link 'wan_a'", "field gateway", "'198.51.100.1\\t'", "not a valid IP address"],
    ),
    (
        "gateway6 with a leading space",
        lambda v: link(v).update(gateway6=" 2001:db8:a::1"),
        ["link 'wan_a'", "field gateway6", "' 2001:db8:a::1'"],
    ),
    (
        "prefix with a leading space",
        lambda v: partner(v).update(prefixes=[" 100.64.20.0/24"]),
        ["partner 'partner-api'", "field prefixes[0]", "' 100.64.20.0/24'", "not a valid"],
    ),
    (
        "prefix with a final newline",
        lambda v: partner(v).update(prefixes=["100.64.20.0/24\n"]),
        ["field prefixes[0]", "'100.64.20.0/24\\n'", "not a valid"],
    ),
    (
        "abbreviated IPv4 prefix",
        lambda v: partner(v).update(prefixes=["10/8"]),
        ["field prefixes[0]", "'10/8'", "not a valid"],
    ),
    (
        "hex IPv4 prefix",
        lambda v: partner(v).update(prefixes=["0x0a000000/8"]),
        ["field prefixes[0]", "'0x0a000000/8'", "not a valid"],
    ),
    (
        "integer IPv4 prefix",
        lambda v: partner(v).update(prefixes=["167772160/8"]),
        ["field prefixes[0]", "'167772160/8'", "not a valid"],
    ),
    (
        "prefix length with a leading zero",
        lambda v: partner(v).update(prefixes=["100.64.20.0/024"]),
        ["field prefixes[0]", "not a valid"],
    ),
    (
        "prefix length with a sign",
        lambda v: partner(v).update(prefixes=["100.64.20.0/+24"]),
        ["field prefixes[0]", "not a valid"],
    ),
    (
        "netmask instead of a length",
        lambda v: partner(v).update(prefixes=["100.64.20.0/255.255.255.0"]),
        ["field prefixes[0]", "not a valid"],
    ),
    (
        "IPv6 zone index",
        lambda v: link(v).update(gateway6="fe80::1%eth0"),
        ["link 'wan_a'", "field gateway6", "not a valid IP address"],
    ),
    (
        "LAN network with a newline",
        lambda v: v.update(symroute_lan_networks=["203.0.113.0/24\n"]),
        ["symroute_lan_networks[0]", "'203.0.113.0/24\\n'"],
    ),
    (
        "description with a newline",
        lambda v: partner(v).update(description="Payments\nflush ruleset"),
        ["partner 'partner-api'", "field description", "'Payments\\nflush ruleset'", "no control characters"],
    ),
    (
        "description with a tab",
        lambda v: link(v).update(description="a\tb"),
        ["link 'wan_a'", "field description", "'a\\tb'"],
    ),
    (
        "description with DEL",
        lambda v: link(v).update(description="a\x7fb"),
        ["link 'wan_a'", "field description", "'a\\x7fb'"],
    ),
    (
        "description with a bidi override",
        lambda v: link(v).update(description="abc\u202edef"),
        ["link 'wan_a'", "field description"],
    ),
    (
        "description too long",
        lambda v: partner(v).update(description="d" * 201),
        ["partner 'partner-api'", "field description", "at most 200 characters"],
    ),
    # 2. Integers are integers, booleans are booleans; huge integers are out of range.
    (
        "float table",
        lambda v: link(v).update(table=20000.0),
        ["link 'wan_a'", "field table", "must be an integer", "20000.0"],
    ),
    ("float mark", lambda v: link(v).update(mark=1.0), ["link 'wan_a'", "field mark", "must be an integer"]),
    (
        "float priority base",
        lambda v: v.update(symroute_rule_priority_base=20000.0),
        ["symroute_rule_priority_base", "must be an integer"],
    ),
    (
        "float table base",
        lambda v: v.update(symroute_table_id_base=200.0),
        ["symroute_table_id_base", "must be an integer"],
    ),
    (
        "float health interval",
        lambda v: link(v).update(health={"interval_ms": 300.0}),
        ["link 'wan_a'", "field health.interval_ms", "must be an integer"],
    ),
    (
        "boolean mark",
        lambda v: link(v).update(mark=True),
        ["link 'wan_a'", "field mark", "must be an integer", "a boolean True"],
    ),
    (
        "boolean reliability",
        lambda v: link(v).update(health={"reliability": True}),
        ["field health.reliability", "must be an integer"],
    ),
    ("huge table", lambda v: link(v).update(table=10**30), ["link 'wan_a'", "field table", "out of range"]),
    (
        "huge priority base",
        lambda v: v.update(symroute_rule_priority_base=10**30),
        ["symroute_rule_priority_base", "out of range"],
    ),
    (
        "huge reliability",
        lambda v: link(v).update(health_targets=["198.51.100.1"], health={"reliability": 10**30}),
        ["field health.reliability", "out of range"],
    ),
    (
        "integer too long to print",
        lambda v: link(v).update(health={"timeout_ms": 10**5000, "interval_ms": 10**5000}),
        ["field health.timeout_ms", "out of range", "bits"],
    ),
    ("string for nat66", lambda v: link(v).update(nat66="yes"), ["link 'wan_a'", "field nat66", "must be a boolean"]),
    (
        "integer for allow_broad",
        lambda v: partner(v).update(allow_broad=1),
        ["partner 'partner-api'", "field allow_broad", "must be a boolean"],
    ),
    (
        "string for allow_special_use",
        lambda v: partner(v).update(allow_special_use="true"),
        ["partner 'partner-api'", "field allow_special_use", "must be a boolean"],
    ),
    # 3. Link addressing.
    (
        "the same address on two links",
        lambda v: link(v, 1).update(address="198.51.100.2/29", gateway="198.51.100.1"),
        ["link 'wan_b'", "field address", "198.51.100.2 is also used by link 'wan_a'"],
    ),
    (
        "the same IPv6 address on two links",
        lambda v: link(v, 1).update(address6="2001:db8:a::2/64"),
        ["link 'wan_b'", "field address6", "2001:db8:a::2 is also used by link 'wan_a'"],
    ),
    (
        "overlapping link networks",
        lambda v: link(v, 1).update(address="198.51.100.5/29", gateway="198.51.100.6"),
        ["link 'wan_b'", "field address", "198.51.100.0/29", "link 'wan_a' network 198.51.100.0/30"],
    ),
    (
        "overlapping IPv6 link networks",
        lambda v: link(v, 1).update(address6="2001:db8:a::3/48"),
        ["link 'wan_b'", "field address6", "2001:db8:a::/48", "link 'wan_a' network 2001:db8:a::/64"],
    ),
    (
        "link network in the LAN",
        lambda v: link(v, 1).update(address="203.0.113.6/30", gateway="203.0.113.5"),
        ["link 'wan_b'", "field address", "overlaps the LAN network 203.0.113.0/24"],
    ),
    (
        "link network in the management network",
        lambda v: link(v, 1).update(address="100.64.99.6/30", gateway="100.64.99.5"),
        ["link 'wan_b'", "field address", "management network 100.64.99.0/24"],
    ),
    (
        "IPv6 link network in the LAN",
        lambda v: link(v, 1).update(address6="2001:db8:5::2/64", gateway6="fe80::1"),
        ["link 'wan_b'", "field address6", "LAN network 2001:db8:5::/64"],
    ),
    (
        "unspecified address",
        lambda v: link(v).update(address="0.0.0.0/32", gateway="198.51.100.1"),
        ["link 'wan_a'", "field address", "0.0.0.0 is in the unspecified range"],
    ),
    (
        "loopback gateway",
        lambda v: link(v).update(address="198.51.100.2/32", gateway="127.0.0.1"),
        ["link 'wan_a'", "field gateway", "127.0.0.1 is in the loopback range 127.0.0.0/8"],
    ),
    (
        "multicast gateway",
        lambda v: link(v).update(address="198.51.100.2/32", gateway="224.0.0.1"),
        ["field gateway", "multicast"],
    ),
    (
        "IPv4 link-local gateway",
        lambda v: link(v).update(address="198.51.100.2/32", gateway="169.254.0.1"),
        ["link 'wan_a'", "field gateway", "169.254.0.1 is in the link-local range 169.254.0.0/16"],
    ),
    (
        "gateway is the network address",
        lambda v: link(v).update(gateway="198.51.100.0"),
        ["link 'wan_a'", "field gateway", "198.51.100.0 is the network address of 198.51.100.0/30"],
    ),
    (
        "gateway is the broadcast address",
        lambda v: link(v).update(gateway="198.51.100.3"),
        ["link 'wan_a'", "field gateway", "198.51.100.3 is the broadcast address of 198.51.100.0/30"],
    ),
    (
        "address is the broadcast address",
        lambda v: link(v).update(address="198.51.100.3/30"),
        ["link 'wan_a'", "field address", "198.51.100.3 is the broadcast address"],
    ),
    (
        "gateway6 outside the link and not link-local",
        lambda v: link(v).update(gateway6="2001:db8:c::1"),
        ["link 'wan_a'", "field gateway6", "not in the link's network 2001:db8:a::/64", "link-local"],
    ),
    (
        "gateway6 is the link's own address",
        lambda v: link(v).update(gateway6="2001:db8:a::2"),
        ["link 'wan_a'", "field gateway6", "the link's own address"],
    ),
    (
        "gateway6 unspecified",
        lambda v: link(v).update(gateway6="::"),
        ["link 'wan_a'", "field gateway6", ":: is in the unspecified range ::/128"],
    ),
    (
        "gateway6 multicast",
        lambda v: link(v).update(gateway6="ff02::1"),
        ["link 'wan_a'", "field gateway6", "multicast range ff00::/8"],
    ),
    ("gateway6 loopback", lambda v: link(v).update(gateway6="::1"), ["link 'wan_a'", "field gateway6", "loopback"]),
    (
        "link-local address6",
        lambda v: link(v).update(address6="fe80::2/64", gateway6="fe80::1"),
        ["link 'wan_a'", "field address6", "fe80::2 is in the link-local range fe80::/10"],
    ),
    (
        "multicast address6",
        lambda v: link(v).update(address6="ff05::2/64", gateway6="fe80::1"),
        ["link 'wan_a'", "field address6", "multicast"],
    ),
    # 4. Interface names the kernel takes and that are not sysctl keywords.
    *[
        (
            f"interface {name!r}",
            lambda v, name=name: link(v).update(interface=name),
            ["link 'wan_a'", "field interface", "does not have the expected form"],
        )
        for name in ("all", "default", "lo", ".", "..", "eth0@if3", "eth0:1", "eth/0", "eth 0", "a" * 16, "")
    ],
    # 5. Special-use ranges, either way round, unless allow_special_use.
    (
        "loopback prefix",
        lambda v: partner(v).update(prefixes=["127.0.0.0/8"]),
        ["partner 'partner-api'", "field prefixes[0]", "127.0.0.0/8", "loopback", "allow_special_use"],
    ),
    (
        "host inside loopback",
        lambda v: partner(v).update(prefixes=["127.0.0.1/32"]),
        ["field prefixes[0]", "127.0.0.1/32 overlaps the loopback range 127.0.0.0/8"],
    ),
    (
        "this-network prefix",
        lambda v: partner(v).update(prefixes=["0.0.0.0/8"]),
        ["field prefixes[0]", "unspecified range 0.0.0.0/8"],
    ),
    (
        "IPv4 link-local prefix",
        lambda v: partner(v).update(prefixes=["169.254.10.0/24"]),
        ["field prefixes[0]", "link-local range 169.254.0.0/16"],
    ),
    (
        "multicast prefix",
        lambda v: partner(v).update(prefixes=["239.1.0.0/16"]),
        ["field prefixes[0]", "multicast range 224.0.0.0/4"],
    ),
    (
        "limited broadcast",
        lambda v: partner(v).update(prefixes=["255.255.255.255/32"]),
        ["field prefixes[0]", "reserved range 240.0.0.0/4"],
    ),
    (
        "prefix containing a special range",
        lambda v: partner(v, 2).update(prefixes=["96.0.0.0/3"], allow_broad=True),
        ["partner 'partner-b'", "field prefixes[0]", "96.0.0.0/3 overlaps the loopback range 127.0.0.0/8"],
    ),
    (
        "IPv4 default route",
        lambda v: only_partner(v, prefixes=["0.0.0.0/0"], allow_broad=True),
        ["partner 'solo'", "field prefixes[0]", "0.0.0.0/0", "unspecified"],
    ),
    (
        "IPv6 unspecified",
        lambda v: partner(v).update(prefixes=["::/128"]),
        ["field prefixes[0]", "::/128 overlaps the unspecified range ::/128"],
    ),
    (
        "IPv6 loopback",
        lambda v: partner(v).update(prefixes=["::1/128"]),
        ["field prefixes[0]", "loopback range ::1/128"],
    ),
    (
        "IPv4-mapped IPv6",
        lambda v: partner(v).update(prefixes=["::ffff:100.64.20.0/120"]),
        ["field prefixes[0]", "IPv4-mapped range ::ffff:0:0/96"],
    ),
    (
        "IPv6 link-local prefix",
        lambda v: partner(v).update(prefixes=["fe80::/64"]),
        ["field prefixes[0]", "link-local range fe80::/10"],
    ),
    (
        "IPv6 multicast prefix",
        lambda v: partner(v).update(prefixes=["ff02::/16"]),
        ["field prefixes[0]", "multicast range ff00::/8"],
    ),
    (
        "IPv6 default route",
        lambda v: only_partner(v, prefixes=["::/0"], allow_broad=True),
        ["partner 'solo'", "field prefixes[0]", "::/0", "allow_special_use"],
    ),
    # 6. URLs, strictly.
    (
        "URL with a space",
        lambda v: link(v).update(health_targets=["http://198.51.100.1/a b"]),
        ["link 'wan_a'", "field health_targets[0]", "spaces, control or non-ASCII"],
    ),
    (
        "URL with a tab",
        lambda v: partner(v).update(health_check="https://api.acme.example/\thealth"),
        ["partner 'partner-api'", "field health_check", "\\t"],
    ),
    (
        "URL with a non-ASCII host",
        lambda v: partner(v).update(health_check="https://äpi.example/"),
        ["field health_check", "non-ASCII"],
    ),
    (
        "URL with user information",
        lambda v: partner(v).update(health_check="https://user:pw@api.acme.example/"),
        ["partner 'partner-api'", "field health_check", "user information"],
    ),
    (
        "URL with a fragment",
        lambda v: link(v).update(health_targets=["http://198.51.100.1/health#top"]),
        ["link 'wan_a'", "field health_targets[0]", "fragment"],
    ),
    (
        "URL port 0",
        lambda v: partner(v).update(health_check="tcp://100.64.20.10:0"),
        ["field health_check", "port 0 is not between 1 and 65535"],
    ),
    (
        "URL port 65536",
        lambda v: link(v).update(health_targets=["http://198.51.100.1:65536/"]),
        ["field health_targets[0]", "port 65536"],
    ),
    (
        "URL without a host",
        lambda v: partner(v).update(health_check="https:///health"),
        ["field health_check", "https:// URL with a host"],
    ),
    (
        "URL host not letters, digits and hyphens",
        lambda v: partner(v).update(health_check="https://api_1.example/"),
        ["field health_check", "neither an IP address nor a DNS name"],
    ),
    (
        "URL host an abbreviated IPv4",
        lambda v: partner(v).update(health_check="https://10.1/health"),
        ["field health_check", "'10.1' is not a valid IP address"],
    ),
    (
        "URL host with an all-numeric last label",
        lambda v: partner(v).update(health_check="https://0x7f.1/"),
        ["field health_check", "all-numeric"],
    ),
    (
        "URL host with a zone index",
        lambda v: link(v).update(health_targets=["tcp://[fe80::1%25wana]:80"]),
        ["field health_targets[0]"],
    ),
    (
        "link TCP target by name",
        lambda v: link(v).update(health_targets=["tcp://probe.example:80"]),
        ["link 'wan_a'", "field health_targets[0]", "must be an IP address"],
    ),
    (
        "partner TCP check without a port",
        lambda v: partner(v).update(health_check="tcp://ledger.example"),
        ["partner 'partner-api'", "field health_check", "tcp://HOST:PORT"],
    ),
    (
        "partner TCP check with a path",
        lambda v: partner(v).update(health_check="tcp://ledger.example:443/x"),
        ["partner 'partner-api'", "field health_check", "tcp://HOST:PORT"],
    ),
    (
        "URL too long",
        lambda v: partner(v).update(health_check="https://api.acme.example/" + "a" * 3000),
        ["field health_check", "longer than 2048 characters"],
    ),
    # 7. Keys that are not strings, values of the wrong shape, huge values: problems, not tracebacks.
    (
        "integer key in a partner",
        lambda v: partner(v).update({1: "x"}),
        ["partner 'partner-api'", "key 1 is not a string"],
    ),
    ("empty key in a link", lambda v: link(v).update({None: "x"}), ["link 'wan_a'", "key None is not a string"]),
    (
        "mixed keys in a partner",
        lambda v: partner(v).update({1: "x", None: "y", "prefxes": []}),
        ["partner 'partner-api'", "key 1 is not a string", "key None is not a string", "unknown key 'prefxes'"],
    ),
    (
        "integer key in health",
        lambda v: link(v).update(health={1: 2}),
        ["link 'wan_a'", "field health", "key 1 is not a string"],
    ),
    ("integer key at the top", lambda v: v.update({1: "x"}), ["edge", "key 1 is not a string"]),
    (
        "unknown key with a newline",
        lambda v: partner(v).update({"prefixes\n": []}),
        ["partner 'partner-api'", "unknown key 'prefixes\\n'"],
    ),
    (
        "deeply nested description",
        lambda v: link(v).update(description=nested(10_000)),
        ["link 'wan_a'", "field description", "must be a string", "[[[[...]]]]"],
    ),
    (
        "deeply nested on_link_failure",
        lambda v: partner(v).update(on_link_failure=nested(10_000)),
        ["partner 'partner-api'", "field on_link_failure", "must be one of failover, fail_closed"],
    ),
    (
        "deeply nested mapping as a prefix",
        lambda v: partner(v).update(prefixes=[nested(10_000, lambda x: {"a": x})]),
        ["partner 'partner-api'", "field prefixes[0]", "must be a string"],
    ),
    ("deeply nested links", lambda v: v.update(symroute_links=nested(10_000)), ["link #1", "must be an object"]),
    (
        "mapping as a name",
        lambda v: partner(v).update(name={"first": "acme"}),
        ["field name", "must be a string", "a mapping"],
    ),
    (
        "list as an interface",
        lambda v: link(v).update(interface=["eth1"]),
        ["link 'wan_a'", "field interface", "must be a string", "a list"],
    ),
    (
        "set as prefixes",
        lambda v: partner(v).update(prefixes={"100.64.20.0/24"}),
        ["partner 'partner-api'", "field prefixes", "must be an array", "set"],
    ),
    (
        "bytes as a gateway",
        lambda v: link(v).update(gateway=b"198.51.100.1"),
        ["link 'wan_a'", "field gateway", "must be a string", "bytes"],
    ),
    ("1 MB partner name", lambda v: partner(v).update(name=MEGABYTE), ["field name", "longer than 48 characters", "…"]),
    (
        "1 MB interface",
        lambda v: link(v).update(interface=MEGABYTE),
        ["field interface", "does not have the expected form", "…"],
    ),
    (
        "1 MB prefix",
        lambda v: partner(v).update(prefixes=[MEGABYTE, "100.64.20.0/24"]),
        ["partner 'partner-api'", "field prefixes[0]", "not a valid", "…"],
    ),
    (
        "1 MB description",
        lambda v: partner(v).update(description=MEGABYTE),
        ["field description", "at most 200 characters", "…"],
    ),
    ("1 MB health target", lambda v: link(v).update(health_targets=[MEGABYTE]), ["field health_targets", "2048"]),
    ("1 MB address", lambda v: link(v).update(address=MEGABYTE), ["link 'wan_a'", "field address", "not a valid", "…"]),
]

ROUTER_NAMES = ["edge\nflush ruleset", "", "-edge", "edge router", "edge;reboot", "edge/../x", "e" * 64, 1, None]

ACCEPTED = [
    ("IPv4 /32 link with an on-link gateway", lambda v: link(v).update(address="198.51.100.2/32", gateway="192.0.2.1")),
    ("IPv4 /31 link", lambda v: link(v).update(address="198.51.100.8/31", gateway="198.51.100.9")),
    ("IPv6 link-local gateway", lambda v: link(v).update(gateway6="fe80::1")),
    ("IPv6 gateway in upper case", lambda v: link(v).update(gateway6="2001:DB8:A::1")),
    ("100.64.0.0/10 partner", lambda v: only_partner(v, prefixes=["100.64.0.0/10"])),
    (
        "benchmarking and documentation prefixes",
        lambda v: only_partner(v, prefixes=["198.18.0.0/15", "192.0.2.128/25", "fc00::/7"], allow_broad=True),
    ),
    ("non-canonical IPv6 text", lambda v: partner(v).update(prefixes=["2001:DB8:20::/48", "2001:0db8:21::/48"])),
    (
        "special-use prefix with allow_special_use",
        lambda v: partner(v).update(prefixes=["224.0.0.0/24", "ff0e::/16"], allow_special_use=True),
    ),
    (
        "description with letters, quotes and symbols",
        lambda v: partner(v).update(description='Zahlungs-API „Müller“ — 99,95 %, l\'équipe "ops" <on-call>'),
    ),
    ("interface names", lambda v: [link(v, 0).update(interface="enp1s0.100"), link(v, 1).update(interface="wan-b_1")]),
    ("fifteen-character interface", lambda v: link(v).update(interface="a" * 15)),
    (
        "health targets of every kind",
        lambda v: link(v).update(
            health_targets=[
                "100.64.1.2",
                "2001:db8:f1::2",
                "tcp://198.51.100.1:443",
                "tcp://[2001:db8:a::1]:443",
                "http://[2001:db8:a::1]:8080/health?full=1",
                "https://status.example.net/health",
            ]
        ),
    ),
    (
        "https health check with a port and a query",
        lambda v: partner(v).update(health_check="https://api.acme.example:8443/health?full=1"),
    ),
    ("TCP health check by name", lambda v: partner(v).update(health_check="tcp://ledger.acme.example:443")),
    ("TCP health check on IPv6", lambda v: partner(v).update(health_check="tcp://[2001:db8:20::10]:443")),
    (
        "largest integers",
        lambda v: [link(v).update(table=4294967295, mark=127), v.update(symroute_rule_priority_base=31766)],
    ),
]


def _messages(raised):
    return [str(problem) for problem in raised.value.problems]


def _assert_safe(messages):
    for message in messages:
        assert message.isprintable(), message
        assert len(message) <= MAX_MESSAGE, message[:200]


@pytest.mark.parametrize("mutate, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused(router_vars, mutate, fragments):
    mutate(router_vars)
    with pytest.raises(InventoryError) as raised:
        validate_router("edge", router_vars)
    messages = _messages(raised)
    assert any(all(fragment in message for fragment in fragments) for message in messages), messages
    assert all(message.startswith("edge") for message in messages)
    _assert_safe(messages)


@pytest.mark.parametrize("mutate", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(router_vars, mutate):
    mutate(router_vars)
    validate_router("edge", router_vars)


@pytest.mark.parametrize("name", ["edge", "edge-fra1.example.net", "EDGE_2", "r", "e" * 63])
def test_router_name_accepted(name):
    assert router_name_problems(name) == []


@pytest.mark.parametrize("name", ROUTER_NAMES, ids=[repr(n)[:20] for n in ROUTER_NAMES])
def test_router_name_refused(router_vars, name):
    assert router_name_problems(name)
    with pytest.raises(InventoryError) as raised:
        validate_router(name, router_vars)
    messages = _messages(raised)
    assert any(f"the router name {shown(name)}" in message for message in messages), messages
    _assert_safe(messages)


def test_router_name_is_shown_escaped(router_vars):
    with pytest.raises(InventoryError) as raised:
        validate_router("edge\nflush ruleset", router_vars)
    assert "'edge\\nflush ruleset'" in str(raised.value)
    assert "\nflush" not in str(raised.value)


HOSTILE_VALUES = [
    None,
    1,
    -1,
    1.5,
    float("nan"),
    True,
    10**30,
    10**5000,
    "",
    "x\n",
    "{{ x }}",
    MEGABYTE,
    nested(10_000),
    nested(10_000, lambda x: {"a": x}),
    {1: 2},
    {None: "x"},
    {"x"},
    b"x",
    [],
]
FIELDS = (
    [
        ("symroute_partners", 0, key)
        for key in (
            "name",
            "prefixes",
            "link",
            "on_link_failure",
            "health_check",
            "description",
            "allow_broad",
            "allow_special_use",
            1,
        )
    ]
    + [
        ("symroute_links", 0, key)
        for key in (
            "name",
            "interface",
            "address",
            "gateway",
            "address6",
            "gateway6",
            "nat66",
            "health_targets",
            "health",
            "table",
            "mark",
            "description",
            None,
        )
    ]
    + [
        (key, None, None)
        for key in (
            "symroute_partners",
            "symroute_links",
            "symroute_lan_networks",
            "symroute_management_networks",
            "symroute_rule_priority_base",
            "symroute_table_id_base",
        )
    ]
)


def _place(variables, field, value):
    key, index, item_key = field
    if index is None:
        variables[key] = value
    elif isinstance(variables[key][index], dict):
        variables[key][index][item_key] = value


@pytest.mark.parametrize("field", FIELDS, ids=[".".join(map(str, f)) for f in FIELDS])
def test_hostile_values_never_crash(router_vars, field):
    """Any value anywhere, also inside a list: a Router or an InventoryError, never another exception."""
    for value in HOSTILE_VALUES:
        for wrapped in (value, [value]):
            variables = copy.deepcopy(router_vars)
            _place(variables, field, wrapped)
            try:
                validate_router("edge", variables)
            except InventoryError as error:
                _assert_safe([str(problem) for problem in error.problems])


def test_every_problem_of_a_hostile_inventory_at_once(router_vars):
    partner(router_vars).update(name="acme\n", prefixes=["127.0.0.0/8", "10/8"])
    link(router_vars).update(interface="all", table=200.0)
    link(router_vars, 1).update(address="198.51.100.2/30", gateway="198.51.100.1", health_targets=["http://a b/"])
    with pytest.raises(InventoryError) as raised:
        validate_router("edge", router_vars)
    text = raised.value.describe()
    for fragment in (
        "'acme\\n'",
        "loopback",
        "'10/8'",
        "field interface",
        "must be an integer",
        "is also used by link 'wan_a'",
        "field health_targets[0]",
    ):
        assert fragment in text


def _inventory_router(inventory, router, group_files):
    variables = {}
    for path in [*group_files, f"host_vars/{router}.yml"]:
        variables.update(yaml.safe_load((REPOSITORY / "inventories" / inventory / path).read_text()))
    return variables


@pytest.mark.parametrize(
    "inventory, router, group_files",
    [
        ("lab", "edge", ["group_vars/all/partners.yml"]),
        ("production", "edge-fra1", ["group_vars/all/partners.yml", "group_vars/all/networks.yml"]),
        ("production", "edge-ams1", ["group_vars/all/partners.yml", "group_vars/all/networks.yml"]),
    ],
)
def test_shipped_inventories_stay_valid(inventory, router, group_files):
    validate_router(router, _inventory_router(inventory, router, group_files))


@pytest.mark.parametrize(
    "text",
    [
        "100.64.0.0/10",
        "198.18.0.0/15",
        "2001:db8::/32",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "fc00::/7",
        "2000::/3",
        "128.0.0.0/3",
    ],
)
def test_special_use_leaves_ordinary_ranges_alone(text):
    assert special_use(IPNetwork(text)) is None


def test_shown_is_short_and_escaped():
    assert shown("acme") == "'acme'"
    assert shown("a\nb") == "'a\\nb'"
    assert shown(MEGABYTE).endswith("…") and len(shown(MEGABYTE)) <= 81
    assert shown(nested(10_000)) == "[[[[...]]]]"
    assert shown(10**5000) == "<an integer of 16610 bits>"


def test_a_hundred_thousand_prefixes(router_vars):
    """Linear work per prefix (measured by hand: see the report of this change); no timing asserted."""
    prefixes = [f"10.{n >> 8 & 255}.{n & 255}.0/24" for n in range(65_536)]
    prefixes += [f"2001:db8:{0x4000 + n:x}::/48" for n in range(34_464)]
    router_vars["symroute_partners"].append({"name": "bulk", "prefixes": prefixes, "link": "wan_a"})
    router = validate_router("edge", router_vars)
    assert len(next(p for p in router.partners if p.name == "bulk").prefixes) == 100_000
