"""Names of a link's health targets, resolved through that link (issue #23, item 6; docs/monitor.md).

An http(s):// health target may name its host. The system resolver would send
that lookup by the main table's default route, with no time limit: when the
link behind that route blackholes, every link's named targets fail with it,
every link counts as down and the dead link stays in service. So each link
resolves its own targets' names (LinkNames):

- the query (dnsquery.py) is bound to the link's interface and leaves from the
  link's address, like the probe: it goes out by that link or not at all;
- the servers are those of /etc/resolv.conf (systemd-resolved's upstream list,
  /run/systemd/resolve/resolv.conf, when it names only loopback stubs, which no
  query bound to a WAN link can reach), asked in turn from the last one that
  answered;
- a lookup never outlives the probe round: it gets the time the round has left
  (at most LOOKUP_TIMEOUT_S), half of it when a last good answer exists, so
  the probe still has time to use that answer;
- the answer is kept for its TTL, clamped and refreshed as the partner
  resolver does (resolver.py); a failed lookup keeps the last good answer (its
  age is reported) and is tried again after RETRY_S; answers in special-use
  ranges are refused.
"""

import ipaddress
import threading
import time

from .. import files
from . import dnsquery, resolver

LOOKUP_TIMEOUT_S = 1.0  # a lookup's limit; never beyond the round's deadline
RETRY_S = 5.0  # seconds between lookups of a name whose last lookup failed
RESOLV_CONFS = ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")


def literal(host):
    """(family, address) of an IP literal host, or None for a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address.version, str(address)


def system_servers(read=files.read_text, paths=RESOLV_CONFS):
    """The resolv.conf servers a query bound to a WAN link can reach: the first file's that are not loopback."""
    for path in paths:
        try:  # unreadable (permissions, a directory, bytes that are not UTF-8): as if it listed no server
            text = read(path) or ""
        except (OSError, ValueError):
            continue
        servers = [server for server in dnsquery.servers_of(text) if not ipaddress.ip_address(server).is_loopback]
        if servers:
            return servers
    return []


class LinkNames:
    """One link's cache of its targets' names: {(name, family): resolver.NameState}, shared by its probes."""

    def __init__(
        self, link_name, lookup=dnsquery.lookup, servers=system_servers, clock=time.monotonic, log=None, mark=None
    ):
        self.link_name, self.lookup, self.servers, self.clock, self.log = link_name, lookup, servers, clock, log
        self.mark = mark  # a partner check's names: the queries carry the partner's mark, not a link's binding
        self.states, self.busy, self.first_server = {}, set(), 0
        self.lock = threading.Lock()

    def addresses(self, name, link, deadline):
        """[(family, address)] to probe for ``name`` through ``link`` (its first family with an answer)."""
        sources = {entry["family"]: entry["address"] for entry in link["addresses"]}
        for family in sorted(sources):
            state = self._refreshed(name, family, link["interface"], sources, deadline)
            if state.addresses:
                return [(family, address) for address in state.addresses]
        return []

    def marked(self, name, families, deadline):
        """[(family, address)] for a partner check's ``name`` (its first family with an answer), the queries
        carrying this cache's mark: by the partner's pinned link while it is in service, else its failover."""
        sources = dict.fromkeys(families)  # any server (the mark routes the query), no source address
        for family in sorted(families):
            state = self._refreshed(name, family, None, sources, deadline)
            if state.addresses:
                return [(family, address) for address in state.addresses]
        return []

    def _refreshed(self, name, family, interface, sources, deadline):
        key = (name, family)
        with self.lock:
            state = self.states.setdefault(key, resolver.NameState(name, family, ()))
            now = self.clock()
            left = deadline - now
            if state.due > now or key in self.busy or left <= 0:
                return state  # fresh, retried later, being looked up by another probe, or no time left
            self.busy.add(key)
        try:
            budget = min(LOOKUP_TIMEOUT_S, left / 2 if state.addresses else left)
            before = (state.addresses, state.outcome)
            resolver.look_up(state, self._ask(interface, sources, budget), (), now)
            if state.outcome != "ok":
                state.due = now + RETRY_S
            if self.log is not None and (state.addresses, state.outcome) != before:
                self.log(
                    f"name {name} IPv{family} through {self.link_name}: {state.outcome}, "
                    f"{', '.join(state.addresses) or 'no address'}"
                )
        finally:
            with self.lock:
                self.busy.discard(key)
        return state

    def _ask(self, interface, sources, budget):
        """The lookup for resolver.look_up: the servers in turn, through the link, within ``budget`` seconds."""

        def ask(name, family):
            servers = self.servers()
            usable = [server for server in servers if self.mark is not None or (6 if ":" in server else 4) in sources]
            if not usable:
                raise resolver.LookupFailed(
                    f"no DNS server reachable through the link (resolv.conf: "
                    f"{', '.join(servers) or 'none but loopback'})"
                )
            ends, errors = self.clock() + budget, []
            start = self.first_server % len(usable)
            for turn in range(len(usable)):
                server = usable[(start + turn) % len(usable)]
                left = (ends - self.clock()) / (len(usable) - turn)
                if left <= 0:
                    break
                try:
                    answer = self.lookup(
                        server, name, family, left, self.mark, 53, interface, sources[6 if ":" in server else 4]
                    )
                except resolver.LookupFailed as error:
                    errors.append(str(error))
                    continue
                self.first_server = (start + turn) % len(usable)
                return answer
            raise resolver.LookupFailed("; ".join(errors) or f"no time left within {budget:.3f} s")

        return ask

    def report(self):
        """Per name and family: the last good answer, its age, the TTL used and the last lookup's outcome."""
        now = self.clock()
        with self.lock:
            states = [self.states[key] for key in sorted(self.states)]
        return [{key: value for key, value in state.metrics(now).items() if key != "sets"} for state in states]
