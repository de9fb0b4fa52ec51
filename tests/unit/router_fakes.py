"""A fake router for symroute_router's unit tests: `ip` rules, routes and links, and `nft` tables, in memory.

It answers the commands the package runs, the way iproute2 6.1 and nftables
1.0.6 answer them (JSON shapes, error texts, `-force -batch` error lines), so
the package's logic can be tested without a kernel; the namespace tests
(tests/integration/test_router_package_netns.py) check the same against the
real tools; tests/unit/test_router_fakes.py checks the fake itself.
"""

import copy
import ipaddress
import json

from symroute_router.command import Result

ACTIONS = {"prohibit": "8", "blackhole": "6", "unreachable": "7"}
PROTOCOLS = {"static": "4", "boot": "3", "kernel": "2"}
DEFAULT_RULES = [
    {"priority": 0, "src": "all", "table": "255"},
    {"priority": 32766, "src": "all", "table": "254"},
    {"priority": 32767, "src": "all", "table": "253"},
]


class IpError(Exception):
    pass


def _address(text):
    """ip's JSON form of an address or prefix: (address, length or None when full)."""
    network = ipaddress.ip_network(text, strict=False)
    full = network.max_prefixlen
    if "/" not in text or network.prefixlen == full:
        return str(network.network_address), None
    return str(network.network_address), network.prefixlen


def _pairs(words, flags=()):
    """{keyword: value} of `ip` arguments; words in ``flags`` take no value."""
    found, index = {}, 0
    while index < len(words):
        if words[index] in flags:
            found[words[index]] = True
            index += 1
        else:
            found[words[index]] = words[index + 1]
            index += 2
    return found


class FakeRouter:
    """A runner: ``run(argv, stdin=None) -> Result``; ``calls`` records every command."""

    def __init__(self, links=("wana", "wanb")):
        self.links = {name: {"up": True, "gateways": set()} for name in links}
        self.rules = {4: copy.deepcopy(DEFAULT_RULES), 6: copy.deepcopy(DEFAULT_RULES[:2])}
        self.routes = {}  # (family, table) -> [ip JSON entries]
        self.nft = {}  # "inet symroute" -> listing
        self.route_get = {}  # (family or None, address, mark or None) -> ip JSON answer
        self.refuse = []  # substrings of `ip` command lines to refuse with "Error: refused by the test."
        self.calls = []

    # ----------------------------------------------------------------- plumbing
    def run(self, argv, stdin=None):
        self.calls.append((list(argv), stdin))
        try:
            if argv[0] == "ip":
                return self._ip(list(argv[1:]), stdin)
            if argv[0] == "nft":
                return self._nft(list(argv[1:]), stdin)
        except IpError as error:
            return Result(2, "", f"{error}\n")
        return Result(127, "", f"{argv[0]}: not found\n")

    def writes(self):
        """The commands that changed something (batches, deletions, nft loads)."""
        return [
            (argv, stdin)
            for argv, stdin in self.calls
            if "-batch" in argv or "del" in argv or argv[:2] in (["nft", "-f"], ["nft", "delete"])
        ]

    def state(self):
        """Everything a test compares before and after (routes in a fixed order, as the kernel lists them)."""
        routes = {
            key: sorted(entries, key=lambda r: json.dumps(r, sort_keys=True))
            for key, entries in self.routes.items()
            if entries
        }
        return copy.deepcopy({"rules": self.rules, "routes": routes, "nft": self.nft})

    # ----------------------------------------------------------------- ip
    def _ip(self, args, stdin):
        family = None
        while args and args[0].startswith("-"):
            option = args.pop(0)
            if option in ("-4", "-6"):
                family = int(option[1])
            elif option == "-batch":
                return self._batch(family, stdin)
        if args[:2] == ["rule", "show"]:
            return Result(0, json.dumps(self.rules[family]), "")
        if args[:2] == ["route", "show"]:
            table = args[3]
            if (family, table) not in self.routes:
                return Result(2, "[", f"Error: ipv{family}: FIB table does not exist.\nDump terminated\n")
            return Result(0, json.dumps(self.routes[(family, table)]), "")
        if args[:2] == ["route", "get"]:
            answer = self.route_get.get((family, args[2], args[4] if len(args) > 4 else None))
            if answer is None:
                return Result(2, "", "RTNETLINK answers: Network is unreachable\n")
            return Result(0, json.dumps(answer), "")
        if args[:2] == ["addr", "show"]:
            name = args[3]
            if name not in self.links or "addresses" not in self.links[name]:
                return Result(1, "", f'Device "{name}" does not exist.\n')  # unknown: not a reason to wait
            info = [item if isinstance(item, dict) else {"local": item} for item in self.links[name]["addresses"]]
            return Result(0, json.dumps([{"ifname": name, "addr_info": info}]), "")
        if args[:2] == ["link", "show"]:
            names = args[3:4] or sorted(self.links)
            if names[0] not in self.links:
                return Result(1, "", f'Device "{names[0]}" does not exist.\n')
            return Result(0, json.dumps([self._link(name) for name in names]), "")
        self._command(family, args)
        return Result(0, "", "")

    def _link(self, name):
        link = self.links[name]
        flags = ["BROADCAST", "MULTICAST"] + (["UP", "LOWER_UP"] if link["up"] else [])
        return {"ifname": name, "flags": flags, "group": link.get("group", "default")}

    def _batch(self, family, stdin):
        errors = []
        for number, line in enumerate(stdin.splitlines(), 1):
            try:
                self._command(family, line.split())
            except IpError as error:
                errors.append(f"{error}\nCommand failed -:{number}")
        return Result(1 if errors else 0, "", "".join(f"{e}\n" for e in errors))

    def _command(self, family, words):
        line = " ".join(words)
        if any(text in line for text in self.refuse):
            raise IpError("Error: refused by the test.")
        kind, verb, rest = words[0], words[1], words[2:]
        if kind == "rule":
            self._rule(family, verb, rest)
        else:
            self._route(family, verb, rest)

    def _rule(self, family, verb, words):
        last = words[-1]
        if last in ACTIONS:
            words, action = words[:-1], {"action": ACTIONS[last]}
        elif words[-2] == "goto":
            words, action = words[:-2], {"goto": int(last)}
        else:
            words, action = words[:-2], {"table": words[-1]}
        selector = _pairs(words)
        entry = {"priority": int(selector["priority"]), "src": "all"}
        for word, key in (("from", "src"), ("to", "dst")):
            if word in selector:
                address, length = _address(selector[word])
                entry[key] = address
                if length is not None:
                    entry[f"{key}len"] = length
        if "fwmark" in selector:
            entry["fwmark"], _, entry["fwmask"] = selector["fwmark"].partition("/")
        entry.update(action)
        rules = self.rules[family]
        if verb == "add":
            if entry in rules:
                raise IpError("Error: File exists.")
            rules.append(entry)
            rules.sort(key=lambda r: r["priority"])
        elif entry in rules:
            rules.remove(entry)
        else:
            raise IpError("Error: No such file or directory.")

    def _route(self, family, verb, words):
        words = words[: words.index("proto")] if "proto" in words else words
        kind = words.pop(0) if words[0] in ("unreachable", "blackhole", "prohibit") else ""
        dst, options = words[0], _pairs(words[1:], flags=("onlink",))
        table = options.pop("table", "254")
        entry = {"dst": dst if dst == "default" else _host(dst)}
        if kind:
            entry = {"type": kind, **entry}
        if "via" in options:
            entry["gateway"] = options["via"]
        if "dev" in options:
            entry["dev"] = options["dev"]
        if verb == "replace":
            self._check_device(entry)
            entry.update({"protocol": "4", "flags": ["onlink"] if "onlink" in options else []})
            if family == 4 and ("scope" in options or "gateway" not in entry):  # ip's default: link
                entry["scope"] = "253"
            if "src" in options:
                entry["prefsrc"] = options["src"]
            routes = self.routes.setdefault((family, table), [])
            routes[:] = [r for r in routes if r["dst"] != entry["dst"]] + [entry]
            return
        routes = self.routes.get((family, table), [])
        found = [r for r in routes if all(r.get(k) == v for k, v in entry.items())]
        if not found:
            raise IpError("RTNETLINK answers: No such process")
        routes.remove(found[0])

    def _check_device(self, entry):
        device = entry.get("dev")
        if device is None:
            return
        if device not in self.links:
            raise IpError(f'Cannot find device "{device}"')
        if not self.links[device]["up"]:
            raise IpError(
                "Error: Nexthop has invalid gateway." if "gateway" in entry else "Error: Device for nexthop is not up."
            )

    def set_down(self, name):
        """Take an interface down: the kernel drops the routes through it."""
        self.links[name]["up"] = False
        for routes in self.routes.values():
            routes[:] = [r for r in routes if r.get("dev") != name]

    # ----------------------------------------------------------------- nft
    def _nft(self, args, stdin):
        if args[:2] == ["list", "table"]:
            table = " ".join(args[2:4])
            if table not in self.nft:
                return Result(1, "", f"Error: No such file or directory\nlist table {table}\n")
            return Result(0, self.nft[table], "")
        if args[:2] == ["delete", "table"]:
            table = " ".join(args[2:4])
            if self.nft.pop(table, None) is None:
                return Result(1, "", f"Error: No such file or directory\ndelete table {table}\n")
            return Result(0, "", "")
        if "syntax error" in (stdin or ""):
            return Result(1, "", "/dev/stdin:1:1-6: Error: syntax error, unexpected junk\n")
        if args[:3] == ["-c", "-f", "-"]:
            return Result(0, "", "")
        if args[:2] == ["-f", "-"]:
            start = stdin.index("table inet symroute {")
            self.nft["inet symroute"] = stdin[start:]
            return Result(0, "", "")
        return Result(1, "", f"Error: unknown nft command {args}\n")


def _host(dst):
    address, length = _address(dst)
    return address if length is None else f"{address}/{length}"
