"""The monitor's resolver thread: partners by DNS name kept in their nft sets (resolver.py decides).

A round runs when the next name is due, and at least every ROUND_SECONDS: the names that are due
are looked up (dnsquery.py, each server of the configuration or of /etc/resolv.conf in turn, the
query carrying the partner's mark); the sets' listings are read; one nft transaction renews the
elements of the names just looked up and puts back any element a reload of the table removed. A
round that fails is logged and the next one tries again: a failure never removes an element (they
expire by their own timeouts). What it knows is written, for people and Prometheus, next to the
monitor's state and metrics (resolver.json, symroute_resolver.prom).
"""

import ipaddress
import json
import os
import time

from .. import connected, files
from ..command import Runner, message
from . import dnsquery, resolver
from .publish import _labels, sample_value

ROUND_SECONDS = 2.0  # the longest pause between rounds (a reloaded table's elements come back within it)
MIN_PAUSE_S = 0.05
QUERY_TIMEOUT_S = 2.0
RESOLV_CONF = "/etc/resolv.conf"


def states_of(section):
    """NameStates of the configuration's resolver section, each with its query mark and static networks."""
    by_key, static = {}, {}
    for entry in section["sets"]:
        static[entry["set"]] = tuple(ipaddress.ip_network(text) for text in entry["static"])
        for name in entry["domains"]:
            state = by_key.setdefault((name, entry["family"]), resolver.NameState(name, entry["family"], ()))
            state.sets += (entry["set"],)
            state.mark = int(entry["mark"], 16)
    partners = section.get("partners") or {}
    for (name, _family), state in by_key.items():
        state.partner = partners.get(name, "")
    return [by_key[key] for key in sorted(by_key)], static


def listing(runner, table, set_name):
    """The element texts (single addresses) of a set's listing; an empty set when it cannot be read."""
    result = runner.run(["nft", "-j", "list", "set", *table.split(), set_name])
    if result.rc != 0:
        return set()
    try:
        items = json.loads(result.stdout)["nftables"]
    except (ValueError, KeyError, TypeError):
        return set()
    found = set()
    for item in items:
        for element in (item.get("set") or {}).get("elem", []) if isinstance(item, dict) else []:
            value = element.get("elem", {}).get("val") if isinstance(element, dict) else element
            if isinstance(value, str):
                found.add(value)
    return found


class Resolving:
    """The resolver's state across rounds; ``lookup(server, name, family, timeout, mark)`` is dnsquery's."""

    def __init__(
        self, section, settings, log, runner=None, lookup=dnsquery.lookup, clock=time.monotonic, wall=time.time
    ):
        self.table, self.log = section["table"], log
        self.states, self.static = states_of(section)
        self.guarded = resolver.guarded_networks(section["guarded"])
        self.servers = list(section.get("servers") or [])
        self.runner, self.lookup, self.clock, self.wall = runner or Runner(), lookup, clock, wall
        directory = os.path.dirname(settings.get("state_file") or "/run/symroute/monitor.json")
        self.state_file = os.path.join(directory, "resolver.json")
        textfile = settings.get("textfile")
        self.textfile = os.path.join(os.path.dirname(textfile), "symroute_resolver.prom") if textfile else None
        self.router = section.get("router", "")
        self.failed_loads = 0

    def _servers(self):
        return self.servers or dnsquery.servers_of(files.read_text(RESOLV_CONF) or "") or ["127.0.0.1"]

    def _lookup(self, state):
        def ask(name, family):
            errors = []
            for server in self._servers():
                try:
                    return self.lookup(server, name, family, QUERY_TIMEOUT_S, getattr(state, "mark", None))
                except resolver.LookupFailed as error:
                    errors.append(str(error))
            raise resolver.LookupFailed("; ".join(errors))

        return ask

    def round(self):
        """One round; the names looked up in it."""
        now = self.clock()
        due = [state for state in self.states if state.due <= now]
        # The plan's networks and those the router is on now (a dynamic link's, a LAN the inventory forgot).
        guarded = self.guarded + tuple(
            network for network, _interface in (connected.connected_networks(self.runner) if due else ())
        )
        for state in due:
            before = (state.addresses, state.outcome, state.refused)
            resolver.look_up(state, self._lookup(state), guarded, now)
            if (state.addresses, state.outcome, state.refused) != before:
                refused = f"; refused: {', '.join(state.refused)}" if state.refused else ""
                self.log(
                    f"resolver: {state.name} IPv{state.family}: {state.outcome}, "
                    f"{', '.join(state.addresses) or 'no address'}{refused}"
                )
        present = {name: listing(self.runner, self.table, name) for name in sorted(self.static)}
        text = resolver.transaction(self.table, self.states, present, self.static, renew=set(due))
        if text:
            result = self.runner.run(["nft", "-f", "-"], stdin=text)
            if result.rc != 0:  # e.g. the table reloaded meanwhile: the next round reads it again
                self.failed_loads += 1
                for state in due:
                    state.due = now
                self.log(f"resolver: nft refused the elements: {message(result, 'nft -f failed')}")
        self.write()
        return due

    def pause(self):
        """Seconds until the next round: the next name's due time, at most ROUND_SECONDS, at least MIN_PAUSE_S."""
        due = min((state.due for state in self.states), default=self.clock() + ROUND_SECONDS)
        return min(ROUND_SECONDS, max(MIN_PAUSE_S, due - self.clock()))

    def snapshot(self):
        now = self.clock()
        return {
            "updated": self.wall(),
            "failed_loads": self.failed_loads,
            "names": [dict(state.metrics(now), partner=state.partner) for state in self.states],
        }

    def write(self):
        snapshot = self.snapshot()
        files.write_atomically(
            self.state_file, json.dumps(snapshot, indent=2, sort_keys=True) + "\n", mode=0o644, durable=False
        )
        if self.textfile:
            files.write_atomically(self.textfile, metrics(snapshot, self.router), mode=0o644, durable=False)


METRICS = (
    ("symroute_resolver_addresses", "gauge", "Addresses of a partner's DNS name in its sets (last good answer)."),
    ("symroute_resolver_address_info", "gauge", "1 for each address of the last good answer of a partner's name."),
    ("symroute_resolver_answer_age_seconds", "gauge", "Age of the last good answer of a partner's DNS name."),
    ("symroute_resolver_ttl_seconds", "gauge", "The TTL the resolver uses for the name (the answer's, clamped)."),
    ("symroute_resolver_lookup_ok", "gauge", "1 when the last lookup of the name succeeded with usable addresses."),
    ("symroute_resolver_refused", "gauge", "Answers of the last lookup refused (own networks, special use, cap)."),
    ("symroute_resolver_refused_total", "counter", "Addresses refused or dropped over the cap since the start."),
)


def _samples(entry):
    """(metric, extra labels, value) of one name and family."""
    yield "symroute_resolver_addresses", {}, len(entry["addresses"])
    for address in entry["addresses"]:
        yield "symroute_resolver_address_info", {"address": address}, 1
    yield "symroute_resolver_answer_age_seconds", {}, entry["age_seconds"]
    yield "symroute_resolver_ttl_seconds", {}, entry["ttl"]
    yield "symroute_resolver_lookup_ok", {}, int(entry["outcome"] == "ok")
    yield "symroute_resolver_refused", {}, len(entry["refused"])
    yield "symroute_resolver_refused_total", {}, entry.get("refused_total", 0)


def metrics(snapshot, router):
    """node_exporter textfile format: labels router, partner, name, family (and address for the info metric)."""
    samples = {name: [] for name, _kind, _help in METRICS}
    for entry in snapshot["names"]:
        common = {
            "router": router,
            "partner": entry.get("partner", ""),
            "name": entry["name"],
            "family": str(entry["family"]),
        }
        for name, extra, value in _samples(entry):
            text = sample_value(value)
            if text is not None:
                samples[name].append(f"{name}{_labels(**common, **extra)} {text}")
    lines = []
    for name, kind, help_text in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples[name]]
    return "\n".join(lines) + "\n"


def run(section, settings, stopping, log):
    """The thread's body: rounds until ``stopping``; a round's error is logged, never the end of the thread."""
    resolving = Resolving(section, settings, log)
    while not stopping.is_set():
        try:
            resolving.round()
        except Exception as error:  # noqa: BLE001  (logged; the next round tries again)
            log(f"resolver: round failed: {type(error).__name__}: {error}")
        stopping.wait(resolving.pause())  # a name is looked up when due, not at the next 2 s tick
