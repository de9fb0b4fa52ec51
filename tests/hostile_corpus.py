"""A corpus of hostile inventories: what an attacker with write access to a branch would try.

Each case edits a copy of the lab inventory and says what must happen:
``refused(fragments...)`` -- `bin/symroute plan` exits 1 and one problem holds
every fragment (they name the router, partner or link and the field); or
``ACCEPTED`` -- a valid plan whose rendered files pass the structural checks.
``@CANARY@`` in a payload is replaced by a path that must never come to exist.
"""

import os
import stat

import yaml

ACCEPTED = ("accepted",)
CANARY = "@CANARY@"
PIPE = "{{ lookup('pipe', 'touch @CANARY@') }}"


def refused(*fragments):
    return ("refused", fragments)


def _load(path):
    return yaml.safe_load(path.read_text())


def _dump(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def partner(index=0, **fields):
    def edit(root):
        path = root / "group_vars" / "all" / "partners.yml"
        data = _load(path)
        data["symroute_partners"][index].update(fields)
        _dump(path, data)

    return edit


def add_partner(**entry):
    def edit(root):
        path = root / "group_vars" / "all" / "partners.yml"
        data = _load(path)
        data["symroute_partners"].append(entry)
        _dump(path, data)

    return edit


def link(index=0, **fields):
    def edit(root):
        path = root / "host_vars" / "edge.yml"
        data = _load(path)
        data["symroute_links"][index].update(fields)
        _dump(path, data)

    return edit


def drop_link_field(index, field):
    def edit(root):
        path = root / "host_vars" / "edge.yml"
        data = _load(path)
        del data["symroute_links"][index][field]
        _dump(path, data)

    return edit


def host_vars(**variables):
    def edit(root):
        path = root / "host_vars" / "edge.yml"
        _dump(path, dict(_load(path), **variables))

    return edit


def write(relative, text, mode=0o644):
    def edit(root):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.chmod(path, mode)

    return edit


def chmod_executable(relative):
    def edit(root):
        path = root / relative
        os.chmod(path, path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    return edit


def rename_router(name):
    def edit(root):
        hosts = _load(root / "hosts.yml")
        hosts["symroute_routers"]["hosts"] = {name: hosts["symroute_routers"]["hosts"]["edge"]}
        _dump(root / "hosts.yml", hosts)

    return edit


def ha_base():
    """A side of an HA pair for the lab's router, whose peer edge-2 is not in the inventory (refused as such)."""
    return {
        "pair": "edge-pair",
        "peer": "edge-2",
        "priority": 150,
        "sync": {"interface": "sync0", "address": "10.255.0.1/30", "peer_address": "10.255.0.2"},
        "lan": [{"interface": "lan0", "vrid": 10, "address": "203.0.113.1/24"}],
        "links": {"wan_a": {"mode": "own"}, "wan_b": {"mode": "own"}, "wan_c": {"mode": "own"}},
    }


def ha(*path, **fields):
    """symroute_ha on the lab's router, with ``fields`` set at ``path`` (e.g. ha("sync", address=...))."""

    def edit(root):
        data = ha_base()
        target = data
        for key in path:
            target = target[key]
        target.update(fields)
        host_vars(symroute_ha=data)(root)

    return edit


def ha_pair(**edge_2_links):
    """A valid pair: the lab's router and a copy of it, edge-2 (own addresses .3 on its /29 links)."""

    def edit(root):
        hosts = _load(root / "hosts.yml")
        hosts["symroute_routers"]["hosts"]["edge-2"] = dict(hosts["symroute_routers"]["hosts"]["edge"])
        _dump(root / "hosts.yml", hosts)
        sides = {}
        for router, peer, priority, own, sync in (("edge", "edge-2", 150, 2, 1), ("edge-2", "edge", 100, 3, 2)):
            data = _load(root / "host_vars" / "edge.yml")
            for position, item in enumerate(data["symroute_links"]):
                item.update(address=f"198.51.{100 + position}.{own}/29", gateway=f"198.51.{100 + position}.1")
                item.pop("nat66", None)
                if "address6" in item:
                    item["address6"] = item["address6"].replace("::2/", f"::{own}/")
            side = ha_base()
            side.update(
                peer=peer,
                priority=priority,
                sync={"interface": "sync0", "address": f"10.255.0.{sync}/30", "peer_address": f"10.255.0.{3 - sync}"},
            )
            side["links"]["wan_a"] = {"vrid": 21, "address": "198.51.100.4/29"}
            if router == "edge-2":
                side["links"].update(edge_2_links)
            data["symroute_ha"] = side
            sides[router] = data
        for router, data in sides.items():
            _dump(root / "host_vars" / f"{router}.yml", data)

    return edit


PARTNERS_FILE = "group_vars/all/partners.yml"
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi")
    )
    + "symroute_partners: *i\n"
)

CASES = [
    # --- Jinja anywhere in symroute's variables or the router's name: data, never rendered.
    (
        "jinja pipe lookup in a description",
        [partner(description=PIPE)],
        refused("partner 'partner-api'", "field description", "Jinja"),
    ),
    ("jinja in a partner name", [partner(name="{{ 'a' }}")], refused("field name", "Jinja")),
    ("jinja in an interface", [link(interface="{{ x }}")], refused("link 'wan_a'", "field interface", "Jinja")),
    (
        "jinja in a health check",
        [partner(health_check="tcp://{{ lookup('env','HOME') }}:80")],
        refused("partner 'partner-api'", "field health_check", "Jinja"),
    ),
    (
        "jinja in a health target",
        [link(health_targets=["{{ 1/0 }}"])],
        refused("link 'wan_a'", "field health_targets[0]", "Jinja"),
    ),
    (
        "jinja in a LAN network",
        [host_vars(symroute_lan_networks=["{{ lookup('file', '/etc/passwd') }}"])],
        refused("field [0]", "Jinja"),
    ),
    (
        "jinja statement in a description",
        [partner(description="{% for x in range(10**9) %}x{% endfor %}")],
        refused("partner 'partner-api'", "field description", "'{%'"),
    ),
    (
        "jinja comment in a link description",
        [link(description="{# hidden #}")],
        refused("link 'wan_a'", "field description", "'{#'"),
    ),
    (
        "jinja undefined variable",
        [partner(description="{{ no_such_variable }}")],
        refused("partner 'partner-api'", "field description", "Jinja"),
    ),
    ("jinja in a mapping key", [partner(**{"{{ x }}": 1})], refused("partner 'partner-api'", "Jinja")),
    (
        "jinja in a router setting path",
        [host_vars(symroute_monitor_install_dir="/opt/{{ x }}")],
        refused("edge", "symroute_monitor_install_dir"),
    ),
    (
        "jinja in the nftables header",
        [host_vars(symroute_nftables_header=PIPE)],
        refused("edge", "symroute_nftables_header", "Jinja"),
    ),
    (
        "jinja in a hook argument",
        [host_vars(symroute_monitor_hook=["/usr/bin/logger", PIPE])],
        refused("edge", "symroute_monitor_hook", "Jinja"),
    ),
    (
        "jinja in the router name",
        [rename_router("{{ lookup('pipe','touch @CANARY@') }}")],
        refused("router name", "Jinja"),
    ),
    (
        "jinja in a failover link",
        [partner(failover_links=["{{ lookup('pipe','touch @CANARY@') }}"])],
        refused("partner 'partner-api'", "field failover_links[0]", "Jinja"),
    ),
    # --- failover_links: only known links, in a list, never the pinned one, never for fail_closed.
    (
        "failover link with a newline",
        [partner(failover_links=["wan_b\nflush ruleset"])],
        refused("partner 'partner-api'", "failover_links[0]"),
    ),
    (
        "failover links as a string",
        [partner(failover_links="wan_b")],
        refused("partner 'partner-api'", "failover_links"),
    ),
    (
        "failover link as a float",
        [partner(failover_links=[1.0])],
        refused("partner 'partner-api'", "failover_links[0]"),
    ),
    ("jinja in a domain", [partner(domains=[PIPE])], refused("partner 'partner-api'", "Jinja")),
    (
        "domain with a newline",
        [partner(domains=["api.partner.example\nflush ruleset"])],
        refused("partner 'partner-api'", "domains[0]", "not a DNS name"),
    ),
    ("domain with quotes", [partner(domains=['a".example'])], refused("partner 'partner-api'", "domains[0]")),
    ("domain wildcard", [partner(domains=["*.partner.example"])], refused("domains[0]", "wildcard")),
    ("domain not punycode", [partner(domains=["bücher.example"])], refused("domains[0]", "punycode")),
    ("domain as an integer", [partner(domains=[3])], refused("partner 'partner-api'", "domains[0]", "string")),
    ("domain as a float", [partner(domains=[1.5])], refused("partner 'partner-api'", "domains[0]", "string")),
    ("domains as a string", [partner(domains="api.partner.example")], refused("partner 'partner-api'", "domains")),
    (
        "ten thousand domains",
        [partner(domains=[f"n{i}.partner.example" for i in range(10000)])],
        refused("partner 'partner-api'", "field domains", "at most 64"),
    ),
    (
        "a domain in two partners",
        [partner(domains=["api.partner.example"]), partner(index=1, domains=["api.partner.example"])],
        refused("api.partner.example", "partner-api", "partner-ledger"),
    ),
    ("domain in punycode", [partner(domains=["xn--bcher-kva.example"])], ACCEPTED),
    (
        "failover link unknown",
        [partner(failover_links=["wan_z"])],
        refused("partner 'partner-api'", "field failover_links[0]", "unknown link 'wan_z'"),
    ),
    (
        "failover link is the pinned link",
        [partner(failover_links=["wan_a"])],
        refused("partner 'partner-api'", "field failover_links[0]", "the pinned link itself"),
    ),
    (
        "failover link listed twice",
        [partner(failover_links=["wan_b", "wan_b"])],
        refused("partner 'partner-api'", "field failover_links[1]", "listed twice"),
    ),
    (
        "failover links on a fail-closed partner",
        [partner(1, failover_links=["wan_b"])],
        refused("partner 'partner-ledger'", "field failover_links", "only for on_link_failure failover"),
    ),
    ("failover links empty", [partner(failover_links=[])], refused("partner 'partner-api'", "field failover_links")),
    (
        "failover links huge",
        [partner(failover_links=["wan_b"] * 100000)],
        refused("partner 'partner-api'", "failover_links"),
    ),
    ("failover links accepted", [partner(failover_links=["wan_b"])], ACCEPTED),
    # --- Newlines, quotes and keywords that would break a rendered file or a command line.
    (
        "newline command in the router name",
        [rename_router("edge\nflush ruleset\nadd table ip evil\n#")],
        refused("edge\\nflush ruleset"),
    ),
    ("partner name with a final newline", [partner(name="partner-api\n")], refused("field name")),
    ("partner name with a quote", [partner(name='acme"x')], refused("field name")),
    ("link name with a newline", [link(name="wan_a\n")], refused("field name")),
    ("interface with a final newline", [link(interface="wana\n")], refused("link 'wan_a'", "field interface")),
    (
        "interface that closes an nft string",
        [link(interface='wana";flush')],
        refused("link 'wan_a'", "field interface"),
    ),
    ("interface all", [link(interface="all")], refused("link 'wan_a'", "field interface")),
    ("interface default", [link(interface="default")], refused("link 'wan_a'", "field interface")),
    ("interface lo", [link(interface="lo")], refused("link 'wan_a'", "field interface")),
    ("interface dot-dot", [link(interface="..")], refused("link 'wan_a'", "field interface")),
    ("interface with a slash", [link(interface="a/b")], refused("link 'wan_a'", "field interface")),
    ("interface of 16 characters", [link(interface="a" * 16)], refused("link 'wan_a'", "field interface")),
    (
        "health target URL with a space",
        [link(health_targets=["http://100.64.1.2/a b"])],
        refused("link 'wan_a'", "field health_targets[0]"),
    ),
    (
        "health check with a newline",
        [partner(health_check="tcp://100.64.20.10:80\nx")],
        refused("partner 'partner-api'", "field health_check"),
    ),
    (
        "description with a newline",
        [partner(description="line\nflush ruleset")],
        refused("partner 'partner-api'", "field description"),
    ),
    (
        "description of a megabyte",
        [partner(description="x" * 1_000_000)],
        refused("partner 'partner-api'", "field description"),
    ),
    (
        "prefix with a final newline",
        [partner(prefixes=["100.64.20.0/24\n"])],
        refused("partner 'partner-api'", "field prefixes[0]"),
    ),
    (
        "install dir with a systemd line",
        [host_vars(symroute_monitor_install_dir="/usr/lib\nExecStartPre=/bin/sh")],
        refused("edge", "symroute_monitor_install_dir"),
    ),
    (
        "nftables header with a newline",
        [host_vars(symroute_nftables_header="x\nflush ruleset")],
        refused("edge", "symroute_nftables_header"),
    ),
    (
        "hook as a shell string",
        [host_vars(symroute_monitor_hook="sh -c 'touch @CANARY@'")],
        refused("edge", "symroute_monitor_hook", "list of arguments"),
    ),
    (
        "hook with a relative program",
        [host_vars(symroute_monitor_hook=["alert", "--now"])],
        refused("edge", "symroute_monitor_hook", "absolute path"),
    ),
    (
        "log file relative",
        [host_vars(symroute_monitor_log_file="../../etc/passwd")],
        refused("edge", "symroute_monitor_log_file"),
    ),
    ("path with dot-dot", [host_vars(symroute_nftables_dir="/etc/../root")], refused("edge", "symroute_nftables_dir")),
    # --- Types: integers are integers, booleans are booleans.
    (
        "float priority base",
        [host_vars(symroute_rule_priority_base=20000.0)],
        refused("symroute_rule_priority_base", "integer"),
    ),
    ("float table id", [link(table=300.0)], refused("link 'wan_a'", "field table")),
    ("boolean mark", [link(mark=True)], refused("link 'wan_a'", "field mark")),
    (
        "float probe interval",
        [link(health={"interval_ms": 300.5})],
        refused("link 'wan_a'", "field health.interval_ms"),
    ),
    ("huge priority base", [host_vars(symroute_rule_priority_base=10**30)], refused("symroute_rule_priority_base")),
    ("string for nat66", [link(nat66="yes")], refused("link 'wan_a'", "field nat66")),
    ("mapping for prefixes", [partner(prefixes={"a": 1})], refused("partner 'partner-api'", "field prefixes")),
    ("string for links", [host_vars(symroute_links="wan_a")], refused("symroute_links")),
    (
        "float partner interval",
        [host_vars(symroute_monitor_partner_interval_s=float("inf"))],
        refused("edge", "symroute_monitor_partner_interval_s"),
    ),
    # --- Addressing.
    (
        "same address on two links",
        [link(1, address="198.51.100.2/30", gateway="198.51.100.1")],
        refused("link 'wan_b'", "198.51.100.2"),
    ),
    ("overlapping link networks", [link(1, address="198.51.100.3/29", gateway="198.51.100.1")], refused("link")),
    (
        "link network inside the LAN",
        [link(1, address="203.0.113.2/30", gateway="203.0.113.1")],
        refused("link 'wan_b'"),
    ),
    ("IPv6 gateway outside the link", [link(gateway6="2001:db8:ffff::1")], refused("link 'wan_a'", "field gateway6")),
    ("IPv6 gateway is the own address", [link(gateway6="2001:db8:a::2")], refused("link 'wan_a'", "field gateway6")),
    ("IPv6 gateway multicast", [link(gateway6="ff02::1")], refused("link 'wan_a'", "field gateway6")),
    ("IPv6 gateway unspecified", [link(gateway6="::")], refused("link 'wan_a'", "field gateway6")),
    ("loopback partner prefix", [partner(prefixes=["127.0.0.0/8"])], refused("partner 'partner-api'", "prefixes[0]")),
    (
        "link-local partner prefix",
        [partner(prefixes=["169.254.0.0/16"])],
        refused("partner 'partner-api'", "prefixes[0]"),
    ),
    ("multicast partner prefix", [partner(prefixes=["224.0.0.0/4"])], refused("partner 'partner-api'", "prefixes[0]")),
    (
        "IPv6 link-local partner prefix",
        [partner(prefixes=["fe80::/10"])],
        refused("partner 'partner-api'", "prefixes[0]"),
    ),
    (
        "IPv6 multicast partner prefix",
        [partner(prefixes=["ff00::/8"])],
        refused("partner 'partner-api'", "prefixes[0]"),
    ),
    # --- YAML that is not plain data.
    ("alias bomb", [write(PARTNERS_FILE, BOMB)], refused("partners.yml", "alias")),
    (
        "alias that contains itself",
        [write(PARTNERS_FILE, "symroute_partners: &a [*a]\n")],
        refused("partners.yml", "contains it"),
    ),
    (
        "duplicate key",
        [write(PARTNERS_FILE, "symroute_partners: []\nsymroute_partners: []\n")],
        refused("partners.yml line 2", "twice"),
    ),
    (
        "integer mapping key",
        [write(PARTNERS_FILE, "symroute_partners:\n  - {1: x, name: a}\n")],
        refused("partners.yml line 2", "not a string"),
    ),
    (
        "null mapping key",
        [write(PARTNERS_FILE, "symroute_partners:\n  - {~: x, name: a}\n")],
        refused("partners.yml line 2", "not a string"),
    ),
    (
        "vault value in a partner",
        [
            write(
                PARTNERS_FILE,
                "symroute_partners:\n  - name: partner-api\n"
                "    prefixes: [100.64.20.0/24]\n    link: wan_a\n"
                "    description: !vault |\n"
                "      $ANSIBLE_VAULT;1.1;AES256\n      3038\n",
            )
        ],
        refused("partner 'partner-api'", "field description", "!vault"),
    ),
    (
        "python tag",
        [write(PARTNERS_FILE, "symroute_partners: !!python/object/apply:os.system ['touch @CANARY@']\n")],
        refused("partners.yml", "tag"),
    ),
    ("malformed YAML", [write(PARTNERS_FILE, "symroute_partners: [\n")], refused("partners.yml", "malformed YAML")),
    (
        "deeply nested lists",
        [write(PARTNERS_FILE, "symroute_partners: " + "[" * 5000 + "]" * 5000 + "\n")],
        refused("partners.yml"),
    ),
    # --- The contract: no code, one partner file holding the partner list only, known names.
    (
        "executable inventory script",
        [write("evil.sh", "#!/bin/sh\ntouch @CANARY@\necho '{}'\n", 0o755)],
        refused("evil.sh", "executable"),
    ),
    ("executable vars file", [chmod_executable("host_vars/edge.yml")], refused("edge.yml", "executable")),
    (
        "ProxyCommand in the partner file",
        [write(PARTNERS_FILE, "symroute_partners: []\nansible_ssh_common_args: -o ProxyCommand='touch @CANARY@'\n")],
        refused("partners.yml", "ansible_ssh_common_args"),
    ),
    (
        "hook in the partner file",
        [write(PARTNERS_FILE, "symroute_partners: []\nsymroute_monitor_hook: [/bin/sh, -c, 'touch @CANARY@']\n")],
        refused("partners.yml", "symroute_monitor_hook"),
    ),
    (
        "second partner file",
        [write("group_vars/all/zz-override.yml", "symroute_partners: []\n")],
        refused("edge", "defined in 2 files"),
    ),
    ("typo symroute_partner", [host_vars(symroute_partner=[])], refused("edge", "did you mean 'symroute_partners'")),
    (
        "typo symroute_lan_network",
        [host_vars(symroute_lan_network=["203.0.113.0/24"])],
        refused("edge", "did you mean 'symroute_lan_networks'"),
    ),
    (
        "run option in the inventory",
        [host_vars(symroute_expected_plan_digest="sha256:0")],
        refused("edge", "symroute_expected_plan_digest", "-e"),
    ),
    ("internal variable in the inventory", [host_vars(symroute_plan={})], refused("edge", "symroute_plan")),
    (
        "partner list overridden by an INI inventory file",
        [
            write(
                "extra",
                "edge symroute_partners=\"[{'name': 'evil', 'prefixes': ['100.64.77.0/24'], 'link': 'wan_b'}]\"\n",
            )
        ],
        refused("edge", "does not come from the partner file"),
    ),
    (
        "partners inline in hosts.yml",
        [
            write(
                "hosts.yml",
                "symroute_routers:\n  hosts:\n    edge:\n"
                "      ansible_connection: local\n"
                "      symroute_partners: []\n",
            )
        ],
        refused("hosts.yml", "inline"),
    ),
    # --- Hostile but harmless: accepted, and every rendered file stays sound.
    ("description with quotes and braces", [partner(description='He said "hi"; rm -rf / # { } \' $HOME ✓')], ACCEPTED),
    ("header with quotes and unicode", [host_vars(symroute_nftables_header="\"quoted\" 'single' ✓ # ; $x")], ACCEPTED),
    (
        "hook arguments with shell characters",
        [host_vars(symroute_monitor_hook=["/usr/bin/logger", "-t", "x\"y'z; touch @CANARY@", "$(id)", "%n"])],
        ACCEPTED,
    ),
    (
        "paths with @ and +",
        [
            host_vars(
                symroute_monitor_install_dir="/opt/sym+route@1/lib",
                symroute_monitor_config_file="/etc/sym+route/monitor.json",
            )
        ],
        ACCEPTED,
    ),
    ("VLAN and hyphenated interfaces", [link(interface="eth0.100"), link(1, interface="wan-b_1")], ACCEPTED),
    ("partner name of 48 characters", [partner(name="a" * 48)], ACCEPTED),
    ("IPv6 link-local gateway", [link(1, gateway6="fe80::1")], ACCEPTED),
    ("a /32 link with an onlink gateway", [link(1, address="100.64.77.9/32", gateway="100.64.77.1")], ACCEPTED),
    # Dynamic links (wan_c: IPv4 only; wan_b: IPv4 and IPv6).
    ("dynamic address and gateway", [link(2, address="dynamic", gateway="dynamic")], ACCEPTED),
    ("dynamic point-to-point link", [link(2, address="dynamic"), drop_link_field(2, "gateway")], ACCEPTED),
    ("static point-to-point link", [drop_link_field(2, "gateway")], ACCEPTED),
    ("dynamic IPv6 by SLAAC with NAT66", [link(1, address6="dynamic", gateway6="dynamic")], ACCEPTED),
    ("dynamic IPv6 with a link-local gateway", [link(1, address6="dynamic", gateway6="fe80::1")], ACCEPTED),
    ("static address with a dynamic gateway", [link(2, gateway="dynamic")], ACCEPTED),
    (
        "dynamic address in capitals",
        [link(2, address="Dynamic", gateway="dynamic")],
        refused("link 'wan_c'", "field address", "'dynamic'"),
    ),
    (
        "dynamic address with a newline",
        [link(2, address="dynamic\nflush ruleset", gateway="dynamic")],
        refused("link 'wan_c'", "field address"),
    ),
    (
        "dynamic gateway with a quote",
        [link(2, address="dynamic", gateway='dynamic"')],
        refused("link 'wan_c'", "field gateway"),
    ),
    (
        "jinja in a dynamic address",
        [link(2, address="{{ lookup('pipe','touch @CANARY@') }}")],
        refused("link 'wan_c'", "field address", "Jinja"),
    ),
    (
        "jinja in a dynamic gateway",
        [link(2, address="dynamic", gateway="{{ 'dynamic' }}")],
        refused("link 'wan_c'", "field gateway", "Jinja"),
    ),
    ("dynamic address as a float", [link(2, address=1.0, gateway="dynamic")], refused("link 'wan_c'", "address")),
    ("dynamic gateway as a boolean", [link(2, address="dynamic", gateway=True)], refused("link 'wan_c'", "gateway")),
    (
        "dynamic address huge",
        [link(2, address="dynamic" * 100000, gateway="dynamic")],
        refused("link 'wan_c'", "field address"),
    ),
    (
        "dhcp instead of dynamic",
        [link(2, address="dhcp", gateway="dhcp")],
        refused("link 'wan_c'", "field address", "'dynamic'"),
    ),
    (
        "dynamic address with a static gateway",
        [link(2, address="dynamic")],
        refused("link 'wan_c'", "field gateway", "static but the address is dynamic"),
    ),
    (
        "dynamic address6 with a global static gateway6",
        [link(1, address6="dynamic")],
        refused("link 'wan_b'", "field gateway6", "static but address6 is dynamic"),
    ),
    (
        "dynamic address6 without gateway6",
        [link(2, address6="dynamic")],
        refused("link 'wan_c'", "field gateway6", "needs both"),
    ),
    # --- symroute_ha (an HA pair): data only, exact types, plain names and addresses.
    ("jinja in the pair name", [ha(pair=PIPE)], refused("edge, symroute_ha", "field pair", "Jinja")),
    ("pair name with a newline", [ha(pair="edge-pair\nflush ruleset")], refused("edge, symroute_ha", "field pair")),
    ("pair name with a quote", [ha(pair='edge"pair')], refused("edge, symroute_ha", "field pair")),
    ("pair name huge", [ha(pair="a" * 1_000_000)], refused("edge, symroute_ha", "field pair")),
    (
        "jinja in the peer",
        [ha(peer="{{ lookup('pipe','touch @CANARY@') }}")],
        refused("edge, symroute_ha", "field peer", "Jinja"),
    ),
    ("peer with a newline", [ha(peer="edge-2\nedge-3")], refused("edge, symroute_ha", "field peer")),
    ("peer as a list", [ha(peer=["edge-2"])], refused("edge, symroute_ha", "field peer", "string")),
    ("peer missing from the inventory", [ha()], refused("edge, symroute_ha", "field peer", "not a router")),
    ("priority as a float", [ha(priority=150.0)], refused("edge, symroute_ha", "field priority", "integer")),
    ("priority as a boolean", [ha(priority=True)], refused("edge, symroute_ha", "field priority", "integer")),
    ("priority as a string", [ha(priority="150")], refused("edge, symroute_ha", "field priority", "integer")),
    ("priority huge", [ha(priority=10**4000)], refused("edge, symroute_ha", "field priority", "maximum 254")),
    ("preempt as a string", [ha(preempt="yes")], refused("edge, symroute_ha", "field preempt", "boolean")),
    ("preempt as an integer", [ha(preempt=1)], refused("edge, symroute_ha", "field preempt", "boolean")),
    (
        "advertisement interval as a float",
        [ha(advert_interval_ms=100.0)],
        refused("edge, symroute_ha", "field advert_interval_ms", "integer"),
    ),
    (
        "advertisement interval of 105 ms",
        [ha(advert_interval_ms=105)],
        refused("edge, symroute_ha", "field advert_interval_ms", "multiple of 10"),
    ),
    (
        "jinja in the sync interface",
        [ha("sync", interface="{{ x }}")],
        refused("edge, symroute_ha", "field sync.interface", "Jinja"),
    ),
    (
        "sync interface with a newline",
        [ha("sync", interface="sync0\n")],
        refused("edge, symroute_ha", "field sync.interface"),
    ),
    (
        "sync interface that closes a string",
        [ha("sync", interface='sync0";x')],
        refused("edge, symroute_ha", "field sync.interface"),
    ),
    (
        "sync address with a newline",
        [ha("sync", address="10.255.0.1/30\nflush ruleset")],
        refused("edge, symroute_ha", "field sync.address"),
    ),
    ("sync address huge", [ha("sync", address="1" * 1_000_000)], refused("edge, symroute_ha", "field sync.address")),
    (
        "sync peer as a float",
        [ha("sync", peer_address=10.255)],
        refused("edge, symroute_ha", "field sync.peer_address", "string"),
    ),
    ("sync as a string", [ha(sync="sync0")], refused("edge, symroute_ha", "field sync", "object")),
    (
        "LAN interface with a quote",
        [ha("lan", 0, interface="lan0'")],
        refused("edge, symroute_ha", "field lan[0].interface"),
    ),
    ("LAN VRID as a float", [ha("lan", 0, vrid=10.0)], refused("edge, symroute_ha", "field lan[0].vrid", "integer")),
    ("LAN VRID as a boolean", [ha("lan", 0, vrid=True)], refused("edge, symroute_ha", "field lan[0].vrid", "integer")),
    ("LAN VRID 256", [ha("lan", 0, vrid=256)], refused("edge, symroute_ha", "field lan[0].vrid", "maximum 255")),
    (
        "LAN address with jinja",
        [ha("lan", 0, address=PIPE)],
        refused("edge, symroute_ha", "field lan[0].address", "Jinja"),
    ),
    (
        "LAN address6 with a newline",
        [ha("lan", 0, address6="2001:db8:5::1/64\n")],
        refused("edge, symroute_ha", "field lan[0].address6"),
    ),
    (
        "ten thousand LAN segments",
        [
            lambda root: host_vars(
                symroute_ha=dict(
                    ha_base(), lan=[{"interface": "lan0", "vrid": 10, "address": "203.0.113.1/24"}] * 10000
                )
            )(root)
        ],
        refused("edge, symroute_ha", "field lan", "at most 16"),
    ),
    (
        "link key with a newline",
        [ha("links", **{"wan_a\nflush": {"mode": "own"}})],
        refused("edge, symroute_ha", "field links"),
    ),
    ("link key with jinja", [ha("links", **{"{{ x }}": {"mode": "own"}})], refused("edge, symroute_ha", "Jinja")),
    (
        "link mode with a newline",
        [ha("links", wan_a={"mode": "own\n"})],
        refused("edge, symroute_ha", "field links.wan_a.mode"),
    ),
    (
        "link VRID as a float",
        [ha("links", wan_a={"vrid": 21.0, "address": "198.51.100.1/30"})],
        refused("edge, symroute_ha", "field links.wan_a.vrid", "integer"),
    ),
    (
        "link shared address huge",
        [ha("links", wan_a={"vrid": 21, "address": "9" * 1_000_000})],
        refused("edge, symroute_ha", "field links.wan_a.address"),
    ),
    ("links as a list", [ha(links=["wan_a"])], refused("edge, symroute_ha", "field links", "object")),
    ("symroute_ha as a string", [host_vars(symroute_ha="edge-pair")], refused("edge", "symroute_ha", "object")),
    ("an HA pair", [ha_pair()], ACCEPTED),
    (
        "an HA pair whose routers share different addresses",
        [ha_pair(wan_b={"vrid": 22, "address": "198.51.101.4/29"})],
        refused("symroute_ha", "field links", "sharing differs"),
    ),
    (
        "a hundred partners",
        [add_partner(name=f"bulk-{n}", prefixes=[f"100.65.{n}.0/24"], link="wan_b") for n in range(100)],
        ACCEPTED,
    ),
]
