"""Active proof: TCP connects to each target (a) from each WAN link's own address, bound to the link,
and (b) from a site address leaving by each link (bound to the site address and to the link's
interface), plus the link a site connection takes now (`ip -json route get DST from SITE`).

An attempt is "answered" (connected, or refused: either way a reply came back), "no answer"
(timeout), "error" (the text: no route, address not local, ...) or "skipped" (no address of the
target's family). The connector is a parameter so that tests need no network.
"""

import errno
import socket
from concurrent.futures import ThreadPoolExecutor

from ..iproute import route_get

SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}
MAX_PARALLEL = 16
# An attempt that never left: binding to the interface needs root (CAP_NET_RAW), the address must be local.
BIND_FAILED = "cannot bind: "


def connect(family, source, interface, address, port, timeout_s):
    """One TCP connect bound to ``source`` and ``interface``: (result, answer or error text)."""
    try:
        sock = socket.socket(FAMILIES[family], socket.SOCK_STREAM)
    except OSError as error:
        return "error", f"socket: {error.strerror or error}"
    with sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode())
            sock.bind((source, 0))
        except OSError as error:
            return "error", f"{BIND_FAILED}{error.strerror or error}"
        try:
            sock.settimeout(timeout_s)
            sock.connect((address, port))
        except socket.timeout:
            return "no answer", ""
        except ConnectionRefusedError:
            return "answered", "refused"
        except OSError as error:
            if error.errno == errno.ETIMEDOUT:
                return "no answer", ""
            return "error", error.strerror or str(error)
    return "answered", "connected"


def _attempt(kind, link, source, key):
    attempt = {"kind": kind, "link": link["name"], "interface": link["interface"], "source": source}
    if key not in link["gateways"]:
        attempt["skip"] = f"no {key} default route via {link['interface']}"
    elif source is None:
        attempt["skip"] = (
            "no site address of this family" if kind == "site" else f"no {key} address on {link['interface']}"
        )
    return attempt


def _plan(target, links, site_addresses):
    """The attempts of one target, in a fixed order: own addresses first, then the site address, by link."""
    key = f"ipv{target['family']}"
    site = (site_addresses.get(key) or [None])[0]
    attempts = [_attempt("own", link, (link["addresses"].get(key) or [None])[0], key) for link in links]
    attempts += [_attempt("site", link, site, key) for link in links]
    return site, attempts


def _run_attempt(attempt, target, connector, timeout_s):
    if "skip" in attempt:
        reason = attempt.pop("skip")
        return dict(attempt, result="skipped", answer="", detail=reason)
    result, text = connector(
        target["family"], attempt["source"], attempt["interface"], target["address"], target["port"], timeout_s
    )
    answer, detail = (text, "") if result == "answered" else ("", text)
    return dict(attempt, result=result, answer=answer, detail=detail)


def run(targets, links, site_addresses, runner, timeout_ms, connector=connect):
    """[{"target", "address", "port", "family", "site_address", "route_now", "attempts"}] in target order."""
    plans = [(target, *_plan(target, links, site_addresses)) for target in targets]
    jobs = [(target, attempt) for target, _address, attempts in plans for attempt in attempts]
    done = []
    if jobs:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(jobs))) as pool:
            done = list(pool.map(lambda job: _run_attempt(dict(job[1]), job[0], connector, timeout_ms / 1000), jobs))
    by_interface = {link["interface"]: link["name"] for link in links}
    results = []
    for target, site, attempts in plans:
        answer = route_get(runner, target["address"], source=site)
        interface = answer.get("dev")
        results.append(
            {
                "target": target["text"],
                "address": target["address"],
                "port": target["port"],
                "family": target["family"],
                "site_address": site,
                "route_now": {"interface": interface, "link": by_interface.get(interface)},
                "attempts": done[: len(attempts)],
            }
        )
        done = done[len(attempts) :]
    return results
