"""The doctor on a router of an HA pair (symroute's monitor configuration has ``ha``): keepalived and
conntrackd running, keepalived's configuration test, the VRRP state, the peer over the sync link, the shared
addresses held by exactly the master, and conntrackd's caches; each finding with its evidence and its fix.
A router without a pair gets no section and no finding."""

import json
import os

from .. import ha_read
from . import finding

KEEPALIVED_CONFIG = "/etc/keepalived/keepalived.conf"
STATE_DIRS = ("/run/symroute",)  # where the doctor reads the VRRP state file the monitor configuration names


def _instance_error(number, instance):
    if not isinstance(instance, dict):
        return f"ha.instances[{number}] is not a mapping"
    name = instance.get("name")
    if not all(isinstance(instance.get(key), str) and instance.get(key) for key in ("name", "interface")):
        return f"ha.instances[{number}] has no name or interface"
    addresses = instance.get("addresses")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        return f"ha.instances[{number}] ({name}) has no list of addresses"
    return None


def _state_file(settings):
    """(path, error): the VRRP state file the monitor configuration names, read only when it is a plain
    absolute path in one of STATE_DIRS (the default otherwise, and the error says why)."""
    path = settings.get("ha_state_file")
    if path is None:
        return ha_read.STATE_FILE, None
    if (
        isinstance(path, str)
        and os.path.isabs(path)
        and os.path.normpath(path) == path
        and any(os.path.dirname(path) == directory for directory in STATE_DIRS)
    ):
        return path, None
    return None, "the monitor configuration's ha_state_file is not a plain path in " + " or ".join(STATE_DIRS)


def _pair(monitor_config):
    """(ha, state file, errors) from the monitor configuration, or (None, None, []) for a router alone / no
    file. ``errors``: what of the pair's section the doctor left out (malformed instances, a state file
    outside symroute's run directory)."""
    try:
        with open(monitor_config, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return None, None, []
    ha = config.get("ha") if isinstance(config, dict) else None
    if not isinstance(ha, dict) or not isinstance(ha.get("sync"), dict) or not isinstance(ha.get("instances"), list):
        return None, None, []
    settings = config.get("settings") if isinstance(config.get("settings"), dict) else {}
    errors = [_instance_error(number, item) for number, item in enumerate(ha["instances"])]
    ha = dict(ha, instances=[item for item, error in zip(ha["instances"], errors) if error is None])
    state_file, state_error = _state_file(settings)
    return ha, state_file, [error for error in [*errors, state_error] if error]


def config_test(runner, path=KEEPALIVED_CONFIG):
    """{passed, detail}: ``keepalived -t`` (parses the configuration, starts nothing)."""
    result = runner.run(["keepalived", "-t", "-f", path])
    if result.rc == 127:
        return {"passed": None, "detail": "keepalived is not installed"}
    detail = " ".join((result.stderr or result.stdout or "").split())[:300]
    return {"passed": result.rc == 0, "detail": detail or f"rc {result.rc}"}


def read(runner, monitor_config):
    """The report's ``ha`` section, or None for a router alone."""
    ha, state_file, errors = _pair(monitor_config)
    if ha is None:
        return None
    found = ha_read.read(runner, ha, state_file=state_file or ha_read.STATE_FILE, entries=False)
    if state_file is None:
        found["vrrp"] = {"state": None, "since": None, "error": f"not read: {errors[-1]}"}
    found["keepalived_config_test"] = config_test(runner)
    found["config_errors"] = errors
    return found


def _config(section):
    return [
        finding.make(
            "ha-monitor-config",
            "monitor.json",
            "problem",
            f"the monitor configuration's pair section is malformed: {error}",
            {"error": error},
            "Converge the router (symmetric-routing.yml): symroute writes the monitor configuration; a local "
            "edit is overwritten.",
        )
        for error in section.get("config_errors", [])
    ]


def _services(section):
    found = []
    for name, entry in sorted(section["services"].items()):
        if entry["state"] == "active":
            continue
        found.append(
            finding.make(
                "ha-service",
                name,
                "problem",
                f"{name} is not running ({entry['state'] or entry['error']}): "
                + (
                    "this router cannot hold the pair's shared addresses"
                    if name == "keepalived"
                    else "connections are not replicated to or from the peer"
                ),
                {"unit": f"{name}.service", "state": entry["state"], "error": entry["error"]},
                f"`systemctl status {name}.service` and `journalctl -u {name}.service` say why; then "
                f"`systemctl restart {name}.service`, or converge the router (symmetric-routing.yml --tags ha).",
            )
        )
    test = section["keepalived_config_test"]
    if test["passed"] is False:
        found.append(
            finding.make(
                "ha-keepalived-config",
                "keepalived",
                "problem",
                "keepalived's configuration test fails (keepalived -t)",
                {"path": KEEPALIVED_CONFIG, "detail": test["detail"]},
                "Converge the router (symmetric-routing.yml --tags ha): symroute writes the file; a local edit "
                "is overwritten.",
            )
        )
    return found


def _state(section):
    state, vrrp = section["vrrp"]["state"], section["vrrp"]
    if state in ("master", "backup"):
        return []
    return [
        finding.make(
            "ha-vrrp-state",
            section["router"] or "router",
            "problem",
            f"this router's VRRP state is {state or 'unknown'}: it cannot take the master over from "
            f"{section['peer_router']}",
            {"state": state, "error": vrrp["error"]},
            "A fault state follows this router's yield (all its pinned links out of service: see its links "
            "above and `symroute-status`) or a missing interface; `journalctl -u keepalived.service` says which.",
        )
    ]


def _sync(section):
    sync = section["sync"]
    if sync["reachable"] is True:
        return []
    return [
        finding.make(
            "ha-sync-peer",
            sync["interface"] or "sync",
            "problem",
            f"the peer {section['peer_router']} does not answer over the sync link {sync['interface']} "
            f"({sync['peer']}): conntrackd's replication is cut, a switchover now loses the live connections",
            {"peer": sync["peer"], "interface": sync["interface"], "error": sync["error"]},
            f"Check the sync link's cable and interface (`ip link show {sync['interface']}`, "
            f"`ping -I {sync['interface']} {sync['peer']}`) and the peer router.",
        )
    ]


def _addresses(section):
    state = section["vrrp"]["state"]
    held = sorted(a for entry in section["addresses"].values() for a in entry["held"])
    wanted = sorted(a for entry in section["addresses"].values() for a in entry["addresses"])
    if state == "master" and held != wanted:
        title = "this router is the master but does not hold every shared address"
    elif state in ("backup", "fault", "stopped") and held:
        title = f"this router is {state} but holds shared addresses: the pair may have two masters"
    else:
        return []
    return [
        finding.make(
            "ha-shared-addresses",
            section["router"] or "router",
            "problem",
            title,
            {"state": state, "held": held, "shared": wanted},
            "keepalived adds and removes the shared addresses: `journalctl -u keepalived.service`; an address "
            "added by hand goes with `ip addr del ADDRESS dev INTERFACE`.",
        )
    ]


def _caches(section):
    caches = section["caches"]
    if caches["error"]:
        return [
            finding.make(
                "ha-conntrackd-caches",
                "conntrackd",
                "problem",
                f"conntrackd's caches could not be read: {caches['error']}",
                {"error": caches["error"]},
                "`conntrackd -s` talks to the running daemon through its control socket: is conntrackd running "
                "with symroute's configuration (/etc/conntrackd/conntrackd.conf)?",
            )
        ]
    return [
        finding.make(
            "ha-conntrackd-caches",
            "conntrackd",
            "info",
            f"conntrackd's caches: {caches['internal']['active']} connection(s) of this router (internal), "
            f"{caches['external']['active']} of the peer's (external)",
            {"internal": caches["internal"], "external": caches["external"]},
            "Nothing to fix; playbooks/audit.yml compares the master's internal cache with the backup's external.",
        )
    ]


def findings(section):
    """Every HA finding of this router ([] for a router alone)."""
    if section is None:
        return []
    found = _services(section) + _state(section) + _sync(section) + _addresses(section) + _caches(section)
    return _config(section) + found
