"""Remove everything symroute installed on a router, and nothing else (playbooks/remove.yml).

In order: the link monitor stops (it puts every link back in service and
removes its rules), any interface still in the out-of-service group goes back
to the default group, the units are disabled, symroute's rules and the routes
of every table it owned go (the routing reconcile to an empty state), its
nftables table and its include line go, the sysctls symroute changed get the
values they had before symroute first wrote them (recorded by the sysctl
module), and its files and directories go. Each step is idempotent: a second
run finds nothing to do.

A router of an HA pair (``paths["ha"]``): keepalived's notify command goes first (keepalived stopping then
runs no command of symroute's), then keepalived and conntrackd are stopped and disabled and the
configuration files symroute wrote go, those whose first line (after a ``#!`` line) is exactly the header
line the role rendered (a unit that does not stop fails the removal, its configuration left
for another run); a file without symroute's header line is not symroute's and stays, its service too.
Stopping keepalived gives up the shared addresses: playbooks/remove.yml removes the backup first, so the
partners' traffic never moves to a router being removed. The distribution's files are not
put back (docs/design.md, "HA pair": removal).
"""

import json
import os
import shutil

from . import files, linkstate, nftables, routing, sysctl
from .iproute import answers
from .locking import locked

MONITOR_UNIT, BOOT_UNIT = "symroute-monitor.service", "symroute-routing.service"
HA_UNITS = (("keepalived.service", "keepalived_config"), ("conntrackd.service", "conntrackd_config"))
# The header line the symroute_ha role writes by default (playbooks/remove.yml passes the rendered one).
HA_HEADER_LINE = "# Managed by symroute (ansible-playbook symmetric-routing.yml); local edits are overwritten."


def _json(path):
    text = files.read_text(path)
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def _systemctl(runner, *args):
    return runner.run(["systemctl", *args])


def _stop_monitor(runner, paths, systemd, done):
    unit = os.path.join(paths["unit_dir"], MONITOR_UNIT)
    if systemd and os.path.exists(unit):
        _systemctl(runner, "disable", "--now", MONITOR_UNIT)
        done.append(f"stopped and disabled {MONITOR_UNIT}")
    elif os.path.exists(paths["monitor_ctl"]):
        runner.run([paths["monitor_ctl"], "stop"])
        done.append("stopped the link monitor")


def _header_at_top(text, line):
    """Whether ``line`` is the file's first line, or its second after a ``#!`` line (as the role writes it)."""
    lines = text.splitlines()[:2]
    return bool(lines) and (lines[0] == line or (lines[0].startswith("#!") and lines[1:2] == [line]))


def _ha_scan(paths):
    """({key: path} of the pair's files that carry symroute's header line exactly, [what stays and why])."""
    ha, found, left = paths.get("ha") or {}, {}, []
    line = ha.get("header_line") or HA_HEADER_LINE
    for key in ("notify_command", "keepalived_config", "conntrackd_config"):
        if not ha.get(key) or not os.path.isfile(ha[key]):
            continue
        try:
            text = files.read_text(ha[key])
        except (OSError, UnicodeDecodeError):
            text = None  # unreadable: not a file symroute wrote
        if text is not None and _header_at_top(text, line):
            found[key] = ha[key]
        else:
            unit = {k: u for u, k in HA_UNITS}.get(key)
            left.append(f"left {unit + ': ' if unit else ''}{ha[key]} has no symroute header")
    return found, left


def _ha_files(paths):
    """{key: path} of the HA pair's files that exist and carry symroute's header line."""
    return _ha_scan(paths)[0]


def left(paths):
    """What of the HA pair's files (and their services) a removal leaves, each with its reason."""
    return _ha_scan(paths)[1]


class RemovalError(ValueError):
    """A step that did not happen: the removal stops before anything that depends on it."""


_RUNNING = ("active", "activating", "deactivating", "reloading", "refreshing")


def _stop(runner, unit, config):
    """Stop and disable ``unit``; raises RemovalError (before its configuration goes) if it did not stop."""
    result = _systemctl(runner, "disable", "--now", unit)
    state = (_systemctl(runner, "is-active", unit).stdout or "").strip().split("\n")[0]
    if result.rc != 0 or state in _RUNNING:
        said = " ".join((result.stderr or result.stdout or "").split())[:200] or "no message"
        raise RemovalError(
            f"{unit} did not stop (systemctl disable --now: rc {result.rc}, {said}; is-active: {state or 'unknown'}):"
            f" {config} is left in place for another run, and the router may still hold the pair's shared addresses"
        )


def _ha(runner, systemd, ha_files, done):
    if "notify_command" in ha_files:  # first: keepalived stopping runs none of symroute's commands
        os.unlink(ha_files["notify_command"])
        done.append(f"removed {ha_files['notify_command']}")
    for unit, key in HA_UNITS:  # keepalived first: it gives up the shared addresses, then conntrackd stops
        if key not in ha_files:
            continue
        if systemd:
            _stop(runner, unit, ha_files[key])
            done.append(f"stopped and disabled {unit}")
        os.unlink(ha_files[key])
        done.append(f"removed {ha_files[key]}")


def _groups_back(runner, paths, done):
    group = ((_json(paths.get("monitor_config", "")) or {}).get("monitor") or {}).get("out_of_service_group")
    # The plan's out-of-service group (monitor.json has it); symroute's own when the file is gone already.
    group = group if isinstance(group, int) and not isinstance(group, bool) else linkstate.OUT_OF_SERVICE_GROUP
    for entry in answers(runner, ["-json", "link", "show", "group", str(group)]):
        if "ifname" not in entry:  # ip prints [{}] when no interface is in the group
            continue
        runner.run(["ip", "link", "set", "dev", entry["ifname"], "group", "default"])
        done.append(f"{entry['ifname']} back in the default interface group")


def _routing(runner, paths, done):
    state = _json(paths["routing_state_file"]) or {}
    band = state.get("priority_band") or paths["priority_band"]
    empty = routing.target({"priority_band": band, "monitor_bands": [], "tables": [], "rules": [], "routes": []})
    owned = paths["owned_tables_file"]
    if routing.is_empty(routing.compare(empty, routing.read_live(runner, empty, owned))):
        return  # nothing of symroute's left (and no lock or file is created for nothing)
    with locked(paths["lock_file"]):
        result = routing.reconcile(runner, empty, owned_path=owned)
    done.append(f"removed {len(result['applied'])} rules and routes of symroute")


def _nftables(runner, paths, done):
    if nftables.read_table(runner, paths["nft_table"]) is not None:
        nftables.delete_table(runner, paths["nft_table"])
        done.append(f"deleted the nft table {paths['nft_table']}")
    if nftables.remove_include(paths["nft_system_config"], nftables.include_line(paths["nft_file"])):
        done.append(f"removed the include line from {paths['nft_system_config']}")


def _sysctls(paths, done):
    originals = _json(paths["sysctl_originals"]) or {}
    if originals:
        written = sysctl.apply(
            {name: value for name, value in originals.items() if sysctl.read([name])[name] is not None}
        )
        if written:
            done.append(f"sysctls back to their values before symroute: {', '.join(sorted(written))}")


def _files(runner, paths, systemd, done):
    for path in paths["files"]:
        if path and os.path.lexists(path):
            os.unlink(path)
            done.append(f"removed {path}")
    for directory in paths["directories"]:
        if os.path.isdir(directory):
            shutil.rmtree(directory)
            done.append(f"removed {directory}/")
    for directory in paths.get("empty_directories", []):
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)
            done.append(f"removed {directory}/ (empty)")
    if systemd and any(entry.startswith("removed " + paths["unit_dir"]) for entry in done):
        _systemctl(runner, "daemon-reload")


def present(paths):
    """What a removal would remove (check mode): the files and directories that exist."""
    ha = _ha_files(paths)
    found = [f"{unit} (stopped and disabled)" for unit, key in HA_UNITS if key in ha] + sorted(ha.values())
    found += [path for path in paths["files"] if path and os.path.lexists(path)]
    return found + [f"{d}/" for d in paths["directories"] if os.path.isdir(d)]


def remove(runner, paths):
    """Remove symroute from this router; the list of what was done (empty when nothing was left)."""
    systemd, done = files.runs_systemd(), []
    _stop_monitor(runner, paths, systemd, done)
    _ha(runner, systemd, _ha_files(paths), done)
    _groups_back(runner, paths, done)
    if systemd and os.path.exists(os.path.join(paths["unit_dir"], BOOT_UNIT)):
        _systemctl(runner, "disable", BOOT_UNIT)
        done.append(f"disabled {BOOT_UNIT}")
    _routing(runner, paths, done)
    _nftables(runner, paths, done)
    _sysctls(paths, done)
    _files(runner, paths, systemd, done)
    return done
