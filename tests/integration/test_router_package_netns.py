"""symroute_router with the real `ip` and `nft`, in a network namespace of its own (one per test).

    ns:  wana 198.51.100.2/30 ── pa      (veth pairs: both ends in the namespace, so carrier is up)
         wanb 198.51.100.6/30 ── pb
         wanc 198.51.100.10/30 ── pc     (the third link of the changed plan)

The states are real plans (symroute.pipeline over IPv4-only router variables),
the nft content is the role's rendered template. IPv6 is disabled in the
namespace so that no link-local address or DAD timer changes the listings
compared byte for byte. Code that must run inside the namespace (sysctls,
which are per namespace under /proc/sys/net) runs there as `python3 -m` /
`python3 -c` with only module_utils on PYTHONPATH, as on a router.
"""

import copy
import json
import os
import subprocess
import sys
import uuid

import pytest

from paths import REPOSITORY
from rendering import environment, role_variables
from symroute.pipeline import plan_routers
from symroute_router import routing
from symroute_router.command import Runner

ENVIRONMENT = {
    "PATH": os.environ["PATH"],
    "PYTHONPATH": str(REPOSITORY / "module_utils"),
    "PYTHONDONTWRITEBYTECODE": "1",
}
LINKS = [("wana", "pa", "198.51.100.2/30"), ("wanb", "pb", "198.51.100.6/30"), ("wanc", "pc", "198.51.100.10/30")]
ROUTER = {
    "symroute_links": [
        {"name": "wan_a", "interface": "wana", "address": "198.51.100.2/30", "gateway": "198.51.100.1"},
        {"name": "wan_b", "interface": "wanb", "address": "198.51.100.6/30", "gateway": "198.51.100.5"},
    ],
    "symroute_partners": [
        {"name": "partner-api", "prefixes": ["100.64.20.0/24"], "link": "wan_a"},
        {"name": "partner-ledger", "prefixes": ["100.64.21.0/24"], "link": "wan_a", "on_link_failure": "fail_closed"},
        {"name": "partner-b", "prefixes": ["100.64.30.0/24"], "link": "wan_b"},
    ],
    "symroute_lan_networks": ["203.0.113.0/24"],
    "symroute_management_networks": ["100.64.99.0/24"],
}


def _changed_router():
    router = copy.deepcopy(ROUTER)
    router["symroute_links"].append(
        {"name": "wan_c", "interface": "wanc", "address": "198.51.100.10/30", "gateway": "198.51.100.9"}
    )
    router["symroute_partners"].append({"name": "partner-c", "prefixes": ["100.64.40.0/24"], "link": "wan_c"})
    router["symroute_lan_networks"].append("100.64.50.0/24")
    return router


def _slices(variables):
    plan = plan_routers({"edge": variables})["edge"]
    nft = (
        environment("symroute_nftables")
        .get_template("symroute.nft.j2")
        .render(dict(role_variables("symroute_nftables", plan), symroute_nftables_plan=plan))
    )
    routing_slice = {
        "contract_version": 1,
        "priority_band": plan["priority_band"],
        "monitor_bands": plan["monitor"]["bands"],
        "tables": [table["id"] for table in plan["tables"]],
        "rules": plan["rules"],
        "routes": plan["routes"],
    }
    return {"routing": routing_slice, "nft": nft, "sysctls": plan["sysctls"]}


PLAN_A, PLAN_B = _slices(ROUTER), _slices(_changed_router())
SYSCTLS = sorted({item["name"] for item in PLAN_A["sysctls"] + PLAN_B["sysctls"]})


def _sh(*argv, check=True, stdin=None):
    return subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=check)


@pytest.fixture
def ns():
    name = f"srpkg-{uuid.uuid4().hex[:8]}"
    _sh("ip", "netns", "add", name)
    try:
        for key in ("all", "default"):
            _sh("ip", "netns", "exec", name, "sysctl", "-q", "-w", f"net.ipv6.conf.{key}.disable_ipv6=1")
        for link, peer, address in LINKS:
            _sh("ip", "-n", name, "link", "add", link, "type", "veth", "peer", "name", peer)
            _sh("ip", "-n", name, "addr", "add", address, "dev", link)
            for device in (link, peer):
                _sh("ip", "-n", name, "link", "set", device, "up")
        yield name
    finally:
        _sh("ip", "netns", "del", name, check=False)


def inside(ns, code, request):
    """Run ``code`` (Python, the package on its path) in ``ns`` with ``request`` on stdin; its printed JSON."""
    result = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=ENVIRONMENT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


CONVERGE = """
import json, sys
from symroute_router import files, nftables, routing, sysctl
from symroute_router.command import Runner
r = json.load(sys.stdin)
runner = Runner()
nftables.check(runner, r["nft"])
files.write_atomically(r["paths"]["nft"], r["nft"], mode=0o600)
nftables.load(runner, r["nft"])
files.write_atomically(r["paths"]["state"], json.dumps(r["routing"]), mode=0o600)
result = routing.apply(runner, r["routing"], owned_path=r["paths"]["owned"])
written = sysctl.apply(r["sysctls"])
print(json.dumps({"links": result["links"], "changed": result["changed"], "sysctls": written}))
"""
TAKE = """
import json, sys
from symroute_router import snapshot
from symroute_router.command import Runner
r = json.load(sys.stdin)
snapshot.save(r["path"], snapshot.take(Runner(), r["scope"]))
print("{}")
"""
RESTORE = """
import json, sys
from symroute_router import snapshot
from symroute_router.command import Runner
r = json.load(sys.stdin)
print(json.dumps(snapshot.restore(Runner(), snapshot.load(r["path"]))))
"""


def live(ns):
    """What must be byte-identical after a restore: rules, routes, the ruleset, the sysctls."""
    texts = {
        " ".join(argv): _sh("ip", "-n", ns, *argv).stdout
        for argv in (
            ["-4", "rule"],
            ["-6", "rule"],
            ["-4", "route", "show", "table", "all"],
            ["-6", "route", "show", "table", "all"],
        )
    }
    texts["nft list ruleset"] = _sh("ip", "netns", "exec", ns, "nft", "list", "ruleset").stdout
    texts["sysctls"] = _sh("ip", "netns", "exec", ns, "sysctl", *[name.replace("/", ".") for name in SYSCTLS]).stdout
    return texts


def _paths(tmp_path):
    return {
        "nft": str(tmp_path / "etc" / "symroute.nft"),
        "state": str(tmp_path / "etc" / "routing.json"),
        "owned": str(tmp_path / "var" / "routing-tables.json"),
    }


def _scope(tmp_path):
    paths = _paths(tmp_path)
    return {
        "files": sorted(paths.values()),
        "nft_table": "inet symroute",
        "priority_band": [10000, 10999],
        "monitor_bands": PLAN_B["routing"]["monitor_bands"],
        "tables": [200, 201, 202],
        "sysctls": SYSCTLS,
    }


def _cli(ns, tmp_path, command, state):
    path = tmp_path / f"{command}.json"
    path.write_text(json.dumps(state))
    return subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns,
            sys.executable,
            "-m",
            "symroute_router",
            command,
            "--state",
            str(path),
            "--owned-tables",
            str(tmp_path / "owned.json"),
        ],
        capture_output=True,
        text=True,
        env=ENVIRONMENT,
        check=False,
    )


def test_apply_from_scratch_then_a_second_apply_changes_nothing(ns, tmp_path):
    runner = Runner(prefix=["ip", "netns", "exec", ns])
    state, owned = PLAN_A["routing"], str(tmp_path / "owned.json")
    first = routing.apply(runner, state, owned_path=owned)
    assert first["changed"] and first["converged"] and first["links"] == {200: "installed", 201: "installed"}
    assert "10201:\tfrom all fwmark 0x200/0x7f00 lookup 201" in _sh("ip", "-n", ns, "rule").stdout
    assert _sh("ip", "-n", ns, "route", "show", "table", "200").stdout == (
        "default via 198.51.100.1 dev wana proto static \n"
        "198.51.100.0/30 dev wana proto static scope link src 198.51.100.2 \n"
    )
    assert "10300:\tfrom all fwmark 0x8000/0x8000 prohibit" in _sh("ip", "-n", ns, "-6", "rule").stdout
    before = live(ns)
    second = routing.apply(runner, state, owned_path=owned)
    assert not second["changed"] and second["changes"] == [] and second["applied"] == []
    assert live(ns) == before
    # The boot unit's command in the namespace: nothing to do, exit 0, one line per link.
    boot = _cli(ns, tmp_path, "apply", state)
    assert boot.returncode == 0, boot.stderr
    assert json.loads(boot.stdout)["changed"] is False
    assert boot.stderr.splitlines() == [
        "symroute-routing: table 200 (wana): installed",
        "symroute-routing: table 201 (wanb): installed",
    ]


def test_a_link_whose_interface_is_down_waits_while_the_others_are_installed(ns, tmp_path):
    _sh("ip", "-n", ns, "link", "set", "wanb", "down")
    boot = _cli(ns, tmp_path, "apply", PLAN_A["routing"])
    assert boot.returncode == 0, boot.stdout + boot.stderr  # a degraded boot is a working boot
    result = json.loads(boot.stdout)
    assert result["links"] == {"200": "installed", "201": "waiting for interface wanb"}
    assert "symroute-routing: table 201 (wanb): waiting for interface wanb" in boot.stderr
    runner = Runner(prefix=["ip", "netns", "exec", ns])
    changes = routing.diff(PLAN_A["routing"], routing.read_live(runner, PLAN_A["routing"], None))
    assert changes["add_rules"] == [] and changes["remove_rules"] == []  # every rule, wan_b's too
    assert {route["table"] for route in changes["add_routes"]} == {"201"}
    assert "default via 198.51.100.1 dev wana" in _sh("ip", "-n", ns, "route", "show", "table", "200").stdout
    assert _sh("ip", "-n", ns, "route", "show", "table", "201", check=False).stdout.strip() in ("", "[")
    # strict: the same state is a failure
    strict = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns,
            sys.executable,
            "-m",
            "symroute_router",
            "apply",
            "--strict",
            "--state",
            str(tmp_path / "apply.json"),
            "--owned-tables",
            str(tmp_path / "owned.json"),
        ],
        capture_output=True,
        text=True,
        env=ENVIRONMENT,
        check=False,
    )
    assert strict.returncode == 1
    # The interface comes back: the next apply installs its table.
    _sh("ip", "-n", ns, "link", "set", "wanb", "up")
    again = _cli(ns, tmp_path, "apply", PLAN_A["routing"])
    assert again.returncode == 0 and json.loads(again.stdout)["links"] == {"200": "installed", "201": "installed"}


def test_restore_after_a_changed_state_is_byte_identical(ns, tmp_path):
    paths = _paths(tmp_path)
    converged = inside(ns, CONVERGE, dict(PLAN_A, paths=paths))
    assert converged["links"] == {"200": "installed", "201": "installed"}
    # A general rule of the monitor (its sub-band): neither recorded nor touched by the restore.
    _sh("ip", "-n", ns, "rule", "add", "priority", "10901", "lookup", "201", "suppress_ifgroup", "21337")
    before = live(ns)
    inside(ns, TAKE, {"path": str(tmp_path / "snapshot.json"), "scope": _scope(tmp_path)})
    changed = inside(ns, CONVERGE, dict(PLAN_B, paths=paths))
    assert changed["links"] == {"200": "installed", "201": "installed", "202": "installed"}
    assert changed["sysctls"]  # wanc's settings
    during = live(ns)
    assert all(
        during[key] != before[key] for key in ("-4 rule", "-4 route show table all", "nft list ruleset", "sysctls")
    )
    restored = inside(ns, RESTORE, {"path": str(tmp_path / "snapshot.json")})
    assert live(ns) == before
    assert f"file {paths['nft']}" in restored and "nft table inet symroute" in restored
    assert any(line.endswith("routes") for line in restored)
    assert any(line.startswith("sysctl net.ipv4.conf.wanc.") for line in restored)
    assert inside(ns, RESTORE, {"path": str(tmp_path / "snapshot.json")}) == []  # nothing differs any more


def test_restore_of_a_first_run_deletes_the_table_and_the_rules(ns, tmp_path):
    paths = _paths(tmp_path)
    before = live(ns)
    inside(ns, TAKE, {"path": str(tmp_path / "snapshot.json"), "scope": _scope(tmp_path)})
    inside(ns, CONVERGE, dict(PLAN_A, paths=paths))
    assert "table inet symroute" in _sh("ip", "netns", "exec", ns, "nft", "list", "tables").stdout
    restored = inside(ns, RESTORE, {"path": str(tmp_path / "snapshot.json")})
    assert live(ns) == before
    assert "nft table inet symroute (deleted: it did not exist before)" in restored
    assert "symroute" not in _sh("ip", "netns", "exec", ns, "nft", "list", "tables").stdout
    assert not any(
        10000 <= int(line.split(":")[0]) <= 10999
        for family in ("-4", "-6")
        for line in _sh("ip", "-n", ns, family, "rule").stdout.splitlines()
    )
    assert not any(os.path.exists(path) for path in paths.values())
