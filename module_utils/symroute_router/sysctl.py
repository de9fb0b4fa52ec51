"""Kernel settings under /proc/sys: where a key lives, read, diff, apply (only what differs)."""

import json
import os

from . import files

PROC_SYS = "/proc/sys"
# The value each key had before symroute first wrote it (playbooks/remove.yml puts them back).
ORIGINALS_FILE = "/var/lib/symroute/sysctl-original.json"


def key_path(name, root=PROC_SYS):
    """The file of a sysctl key, as sysctl.d(5) reads keys.

    The first separator decides: ``net.ipv4.conf.eth0/100.rp_filter`` uses '.'
    (a '/' in a component stands for a '.'), ``net/ipv4/conf/eth0.100/rp_filter``
    uses '/' (dots are part of the component, here the interface eth0.100).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"not a sysctl key: {name!r}")
    separators = [index for index in (name.find("."), name.find("/")) if index >= 0]
    if separators and name[min(separators)] == ".":
        components = [part.replace("/", ".") for part in name.split(".")]
    else:
        components = name.split("/")
    if any(part in ("", ".", "..") for part in components):
        raise ValueError(f"not a sysctl key: {name!r}")
    return os.path.join(root, *components)


def _normalized(value):
    return " ".join(str(value).split())


def read(names, root=PROC_SYS):
    """{name: live value, or None when the key does not exist (an interface not there yet)}."""
    values = {}
    for name in names:
        try:
            with open(key_path(name, root), encoding="ascii") as handle:
                values[name] = _normalized(handle.read())
        except FileNotFoundError:
            values[name] = None
    return values


def interface_of(name):
    """The interface of a per-interface key (``net.ipv4.conf.wanc.rp_filter`` -> "wanc"), else None."""
    parts = os.path.relpath(key_path(name), PROC_SYS).split(os.sep)
    if (
        len(parts) == 5
        and parts[0] == "net"
        and parts[1] in ("ipv4", "ipv6")
        and parts[2] == "conf"
        and parts[3] not in ("all", "default")
    ):
        return parts[3]
    return None


def waiting(live, root=PROC_SYS):
    """{name: interface} of the keys that are missing because their interface is not there (yet): an LTE
    or PPPoE link whose device comes and goes. Its keys apply when it appears (udev runs systemd-sysctl
    for a new device with the sysctl.d file; the boot unit and the monitor's repair do the same)."""
    found = {}
    for name, value in live.items():
        interface = interface_of(name) if value is None else None
        if interface and not os.path.isdir(os.path.join(root, "net", "ipv4", "conf", interface)):
            found[name] = interface
    return found


def _wanted(values):
    """{name: value} from a dict or from the plan's list of {"name", "value"}."""
    if isinstance(values, dict):
        return {name: _normalized(value) for name, value in values.items()}
    return {item["name"]: _normalized(item["value"]) for item in values}


def diff(wanted, live):
    """["name: old -> new"] for each value that differs (old "(absent)" when the key does not exist)."""
    live = {name: None if value is None else _normalized(value) for name, value in live.items()}
    return [
        f"{name}: {'(absent)' if live.get(name) is None else live[name]} -> {value}"
        for name, value in _wanted(wanted).items()
        if live.get(name) != value
    ]


def apply(values, root=PROC_SYS):
    """Write each value that differs from the live one; the names written (OSError if a key is missing)."""
    wanted = _wanted(values)
    live = read(wanted, root)
    changed = []
    for name, value in wanted.items():
        if live[name] != value:
            with open(key_path(name, root), "w", encoding="ascii") as handle:
                handle.write(value + "\n")
            changed.append(name)
    return changed


def remember_originals(live, path=ORIGINALS_FILE):
    """Record the live value of each key not recorded yet (the first record of a key stays)."""
    try:
        recorded = json.loads(files.read_text(path) or "{}")
    except ValueError:
        recorded = {}
    new = {name: value for name, value in live.items() if value is not None and name not in recorded}
    if new:
        files.write_atomically(path, json.dumps(dict(recorded, **new), sort_keys=True) + "\n", mode=0o600)
    return sorted(new)


def parse(text):
    """{name: value} of a sysctl.d file's ``name = value`` lines (comments and blank lines skipped)."""
    values = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")) and "=" in line:
            name, _equals, value = line.partition("=")
            values[name.strip().lstrip("-")] = _normalized(value)
    return values


def apply_interface(path, interface, root=PROC_SYS, originals=ORIGINALS_FILE):
    """Apply the keys of ``interface`` from the sysctl.d file ``path``; the names written. The values they
    replace are recorded in ``originals`` first, as the sysctl module does (removal gives them back)."""
    keys = {name: value for name, value in parse(files.read_text(path)).items() if interface_of(name) == interface}
    live = read(keys, root)
    wanted = {name: value for name, value in keys.items() if live[name] is not None}
    if originals and diff(wanted, live):
        remember_originals({name: live[name] for name in wanted}, originals)
    return apply(wanted, root)


def render(values, header):
    """The text of a sysctl.d file: ``header`` as comment lines, then ``name = value`` per key."""
    printable = [
        "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in line)
        for line in header.splitlines()
    ]
    comments = [f"# {line}" if line else "#" for line in printable]
    return "\n".join(comments + [f"{name} = {value}" for name, value in _wanted(values).items()]) + "\n"
