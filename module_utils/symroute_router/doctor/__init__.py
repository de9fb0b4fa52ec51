"""symroute doctor: the incident's triage on any Linux router, read-only, with or without symroute.

    python3 -m symroute_router.doctor --target 100.64.20.10:80 [--watch 30] [--format json]

One module, one job:

    options        the options, checked strictly (the command line and the Ansible module share it)
    nftjson        `nft -json` listings, nft missing said rather than raised
    facts          WAN links, their gateways, metrics and own addresses, site addresses, rules, sysctls
    nat            whether the router translates addresses
    pinning        which destinations symroute pins to which link (its live nftables table)
    conntrack      unanswered connections per destination prefix and link, over a sampling window
    probe          TCP connects from each link's own address and from a site address by each link
    partner_entry  the symroute_partners entry to paste into a pull request
    finding        a finding's shape, and the words findings share
    target_findings  per target: pinned or not, asymmetric return path, unreachable, not probed
    path_findings  conntrack groups nobody answers; WAN link sysctls
    ha             a router of an HA pair: keepalived, conntrackd, VRRP state, sync peer, shared addresses, caches
    findings       every finding, in a fixed order
    report         the report as one dict, and as JSON
    markdown       the report as Markdown
    command_line   the argument parser (a refusal is one line)
    __main__       the command line

Nothing here changes the router: it reads with `ip`, `nft`, `conntrack` and /proc/sys, and opens TCP
connections to the targets given (from the router's own addresses: conntrack's count leaves them out,
so an earlier run's probes never look like the site's traffic).
"""

import socket
import time

from . import conntrack, facts, finding, findings, ha, nat, pinning, probe, report

DEFAULTS = {
    "targets": [],
    "watch_s": 0,
    "timeout_ms": 2000,
    "links": {},
    "site_addresses": [],
    "monitor_config": facts.MONITOR_CONFIG,
    "prefix_length4": 24,
    "prefix_length6": 48,
}


def _pin(target, pins, runner, links):
    pinned = pinning.locate(pins, runner, target["address"])
    if pinned is not None:
        by_interface = {link["interface"]: link["name"] for link in links}
        pinned["link"] = by_interface.get(pinned["interface"])
    return pinned


def diagnose(
    runner,
    settings,
    read_sysctl=facts.read_proc_sys,
    connector=probe.connect,
    sleep=time.sleep,
    hostname=None,
    now=None,
):
    """The report (a dict) for ``settings`` (DEFAULTS' keys, values already checked by ``options``)."""
    settings = dict(DEFAULTS, **settings)
    router = hostname if hostname is not None else socket.gethostname()
    generated = report.utc_now(now)
    lengths = {4: settings["prefix_length4"], 6: settings["prefix_length6"]}
    path = facts.read(runner, read_sysctl, settings["monitor_config"], settings["links"], settings["site_addresses"])
    links = path["links"]
    pins = pinning.read(runner)
    table = conntrack.read(runner, links, settings["watch_s"], lengths, sleep, path["local_addresses"])
    targets = probe.run(settings["targets"], links, path["site_addresses"], runner, settings["timeout_ms"], connector)
    for result, target in zip(targets, settings["targets"]):
        result["prefix"] = finding.prefix_of(target["address"], lengths)
        result["pinned"] = _pin(target, pins, runner, links)
    context = {"router": router, "generated": generated, "lengths": lengths}
    pair = ha.read(runner, settings["monitor_config"])  # None for a router alone
    found = findings.collect(path, table, targets, context) + ha.findings(pair)
    found.sort(key=lambda item: findings.SEVERITIES.index(item["severity"]))
    built = report.build(router, generated, settings, path, nat.read(runner), pins, targets, table, found)
    if pair is not None:
        built["ha"] = pair
    return built
