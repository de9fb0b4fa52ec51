"""An HA pair's live state on one of its routers, read-only (the audit and the doctor share it): keepalived
and conntrackd running, the VRRP state keepalived's notify command recorded, the peer answering over the sync
link, the shared addresses this router holds, and conntrackd's caches (``conntrackd -s`` counts; ``-i`` the
internal cache, this router's own connections; ``-e`` the external one, the peer's, waiting for a commit).

Every read says what it could not read instead of raising: a missing program (rc 127), garbage output, a
truncated or unknown state file each give a value of None and an error text. ``ha`` is the plan's section.
"""

import re

from . import files
from .iproute import answers

SERVICES = ("keepalived", "conntrackd")
STATES = ("master", "backup", "fault", "stopped")
STATE_FILE = "/run/symroute/ha-state"
CONNTRACKD_CONFIG = "/etc/conntrackd/conntrackd.conf"
MAX_ENTRIES = 200000  # a cache dump is read up to this many entries (the rest is counted, not kept)
_COUNT = re.compile(r"^(current active connections|connections (created|updated|destroyed)):\s+(\d+)", re.M)
_AGE = re.compile(r"\[active since (\d+)s\]")
_TOKEN = re.compile(r"[A-Za-z0-9_.:][A-Za-z0-9_.:-]{0,63}")  # fullmatch; never a leading "-" (an option)
_PROTOCOL = re.compile(r"[a-z][a-z0-9-]{0,15}")  # tcp, udp, icmp, icmpv6, sctp, dccp, udplite, gre, unknown


def services(runner):
    """{keepalived, conntrackd}: systemd's word for each unit (active, inactive, failed, ...), or None with
    the reason when systemctl cannot say."""
    found = {}
    for name in SERVICES:
        result = runner.run(["systemctl", "is-active", f"{name}.service"])
        word = (result.stdout or "").strip().split("\n")[0][:40]
        if result.rc == 127:
            found[name] = {"state": None, "error": "systemctl is not installed"}
        elif not re.fullmatch(r"[a-z-]{1,40}", word):
            found[name] = {"state": None, "error": f"systemctl is-active said nothing usable (rc {result.rc})"}
        else:
            found[name] = {"state": word, "error": None}
    return found


def vrrp_state(path=STATE_FILE):
    """{state, since, error}: what keepalived's notify command last recorded ("master 1700000000.1")."""
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        return {"state": None, "since": None, "error": f"{path} cannot be read ({type(error).__name__})"}
    if text is None:
        return {"state": None, "since": None, "error": f"{path} is missing (keepalived has made no transition)"}
    words = text.split()
    if not words or words[0] not in STATES:  # its content is not shown: the path may name a foreign file
        shown = f"{len(text)} characters, none of {', '.join(STATES)} first" if words else "empty"
        return {"state": None, "since": None, "error": f"{path} holds no VRRP state ({shown})"}
    try:
        since = float(words[1]) if len(words) > 1 else None
    except ValueError:
        since = None
    return {"state": words[0], "since": since, "error": None}


def peer(runner, sync):
    """{peer, interface, reachable, error}: whether the peer's sync address answers a ping over the sync link
    (three echoes, 0.2 s apart: one answer is enough)."""
    found = {"peer": sync.get("peer"), "interface": sync.get("interface"), "reachable": None, "error": None}
    if not (_TOKEN.fullmatch(str(sync.get("peer", ""))) and _TOKEN.fullmatch(str(sync.get("interface", "")))):
        return dict(found, error="the plan's sync link has no usable peer address or interface")
    result = runner.run(["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "-I", sync["interface"], sync["peer"]])
    if result.rc == 127:
        return dict(found, error="ping is not installed")
    if result.rc not in (0, 1):
        return dict(found, reachable=False, error=(result.stderr or result.stdout or "").strip()[:200] or None)
    return dict(found, reachable=result.rc == 0)


def addresses(runner, ha):
    """{instance: {interface, addresses, held}}: the shared addresses of each VRRP instance this router holds."""
    held = set()
    for entry in answers(runner, ["-json", "addr", "show"]):
        if not isinstance(entry, dict):
            continue
        for info in entry.get("addr_info") or []:
            if isinstance(info, dict) and "local" in info and "prefixlen" in info:
                held.add((entry.get("ifname"), f"{info['local']}/{info['prefixlen']}"))
    return {
        instance["name"]: {
            "interface": instance["interface"],
            "addresses": list(instance["addresses"]),
            "held": [address for address in instance["addresses"] if (instance["interface"], address) in held],
        }
        for instance in ha.get("instances", [])
        if isinstance(instance, dict) and {"name", "interface", "addresses"} <= set(instance)
    }


def _conntrackd(runner, config, flag):
    result = runner.run(["conntrackd", "-C", config, flag])
    if result.rc == 127:
        return None, "conntrackd is not installed"
    if result.rc != 0:
        said = " ".join((result.stderr or result.stdout or "").split())[:200]
        return None, f"conntrackd {flag} failed (rc {result.rc}): {said or 'no message'}"
    return result.stdout or "", None


def _section(text, name):
    start = text.find(f"cache {name}:")
    if start < 0:
        return None
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else len(text)]


def stats(runner, config=CONNTRACKD_CONFIG):
    """{internal, external, error}: each cache's counts from ``conntrackd -s`` ({active, created, updated,
    destroyed}), None for a cache whose counts it did not print."""
    text, error = _conntrackd(runner, config, "-s")
    found = {"internal": None, "external": None, "error": error}
    for name in ("internal", "external"):
        section = _section(text or "", name)
        counts = {m.group(1).split()[-1]: int(m.group(3)) for m in _COUNT.finditer(section or "")}
        if "connections" in counts:
            found[name] = {
                "active": counts["connections"],
                **{key: counts[key] for key in ("created", "updated", "destroyed") if key in counts},
            }
    if not error and (found["internal"] is None or found["external"] is None):
        found["error"] = "conntrackd -s printed no count of its internal and external caches"
    return found


def entry(line):
    """One cache entry of a ``conntrackd -i``/``-e`` line: {protocol, tuple (original direction, as text),
    reply_dst, mark, age_s}, or None for a line that is not one."""
    words = line.split()
    if len(words) < 4 or not _PROTOCOL.fullmatch(words[0]) or not words[1].isdigit():
        return None
    pairs = [word.split("=", 1) for word in words[2:] if "=" in word]
    keys = [pair[0] for pair in pairs]
    if "src" not in keys or "dst" not in keys:
        return None
    original, reply, mark = {}, {}, 0
    for key, value in pairs:
        if key == "mark":
            mark = int(value) if value.isdigit() else 0
        elif key in original:
            reply.setdefault(key, value)
        else:
            original[key] = value
    ports = [original[key] for key in ("sport", "dport", "type", "code", "id") if key in original]
    age = _AGE.search(line)
    return {
        "protocol": words[0],
        "tuple": " ".join([words[0], original["src"], original["dst"], *ports]),
        "reply_dst": reply.get("dst"),
        "mark": mark,
        "age_s": int(age.group(1)) if age else None,
    }


def dump(runner, cache, config=CONNTRACKD_CONFIG):
    """{entries, unparsed, truncated, error} of a cache (``internal`` or ``external``)."""
    text, error = _conntrackd(runner, config, "-i" if cache == "internal" else "-e")
    found = {"entries": [], "unparsed": 0, "truncated": 0, "error": error}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parsed = entry(line)
        if parsed is None:
            found["unparsed"] += 1
        elif len(found["entries"]) < MAX_ENTRIES:
            found["entries"].append(parsed)
        else:
            found["truncated"] += 1
    return found


def read(runner, ha, state_file=STATE_FILE, config=CONNTRACKD_CONFIG, entries=True):
    """Everything above for the plan's ``ha`` section; ``entries``: the caches' dumps too."""
    found = {
        "pair": ha.get("pair"),
        "router": ha.get("router"),
        "peer_router": ha.get("peer"),
        "vrrp": vrrp_state(state_file),
        "services": services(runner),
        "sync": peer(runner, ha.get("sync") or {}),
        "addresses": addresses(runner, ha),
        "caches": stats(runner, config),
    }
    if entries:
        found["dumps"] = {cache: dump(runner, cache, config) for cache in ("internal", "external")}
    return found
