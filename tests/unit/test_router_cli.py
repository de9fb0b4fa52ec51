"""`python3 -m symroute_router apply|diff`: the boot unit's command, its JSON, its summary and exit status."""

import io
import json
import os
import subprocess
import sys

from test_router_routing import STATE, TWO_LINKS

from paths import REPOSITORY
from router_fakes import FakeRouter
from symroute_router.__main__ import _summary, main


def _run(tmp_path, command, state, fake):
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(state))
    out, err = io.StringIO(), io.StringIO()
    status = main(
        [command, "--state", str(path), "--owned-tables", str(tmp_path / "owned.json"), "--lock", ""],
        runner=fake,
        out=out,
        err=err,
    )
    return status, json.loads(out.getvalue()), err.getvalue().splitlines()


def test_apply_prints_the_changes_and_one_line_per_link(tmp_path):
    status, result, summary = _run(tmp_path, "apply", TWO_LINKS, FakeRouter())
    assert status == 0
    assert result["changed"] is True and "+ route ipv4 default via 198.51.100.1 dev wana table 200" in result["changes"]
    assert result["links"] == {"200": "installed", "201": "installed"}
    assert summary == ["symroute-routing: table 200 (wana): installed", "symroute-routing: table 201 (wanb): installed"]


def test_a_degraded_boot_exits_0(tmp_path):
    fake = FakeRouter()
    fake.set_down("wanb")
    status, result, summary = _run(tmp_path, "apply", TWO_LINKS, fake)
    assert status == 0
    assert result["links"]["201"] == "waiting for interface wanb"
    assert "symroute-routing: table 201 (wanb): waiting for interface wanb" in summary


def test_a_real_failure_exits_1(tmp_path):
    fake = FakeRouter()
    fake.refuse.append("via 198.51.100.5")
    status, result, summary = _run(tmp_path, "apply", TWO_LINKS, fake)
    assert status == 1 and result["links"]["201"].startswith("failed: ")
    fake = FakeRouter()
    fake.refuse.append("rule add priority 10100")
    status, result, summary = _run(tmp_path, "apply", STATE, fake)
    assert status == 1 and "refused by the test" in result["error"]
    assert summary[-1] == "symroute-routing: error: Error: refused by the test."


def test_diff_changes_nothing_and_says_what_apply_would_do(tmp_path):
    fake = FakeRouter()
    status, result, _ = _run(tmp_path, "diff", STATE, fake)
    assert status == 0 and result["changed"] is True and fake.writes() == []
    assert "+ rule ipv6 priority 10300 fwmark 0x8000/0x8000 prohibit" in result["changes"]
    assert result["links"] == {"200": "would change"}


def test_a_state_outside_the_contract_is_refused_before_any_command(tmp_path):
    fake = FakeRouter()
    state = dict(STATE, routes=[dict(STATE["routes"][0], dev="wana\nrule flush")])
    status, result, _ = _run(tmp_path, "apply", state, fake)
    assert status == 1 and "routes[0].dev" in result["error"] and fake.calls == []
    status, result, _ = _run(tmp_path, "apply", dict(STATE, contract_version=2), fake)
    assert status == 1 and "version 2" in result["error"] and "version 1" in result["error"]


def test_the_module_runs_with_the_standard_library_only(tmp_path):
    """What the boot unit runs: an installed copy on PYTHONPATH, no virtualenv, no repository."""
    environment = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPOSITORY / "module_utils")}
    result = subprocess.run(
        [sys.executable, "-S", "-m", "symroute_router", "--help"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "apply" in result.stdout and "diff" in result.stdout


def test_the_boot_summary_names_a_dynamic_links_interface_while_it_waits_for_its_address():
    """A dynamic link's table has no static routes in the state: its learned entry names the interface."""
    state = {
        "routes": [{"table": 200, "dev": "wana"}],
        "learned": [{"link": "wan_c", "interface": "wanc", "table": 202, "family": 4}],
    }
    out = io.StringIO()
    _summary(state, {"links": {"200": "installed", "202": "waiting for an IPv4 address on wanc (dynamic)"}}, out)
    assert out.getvalue().splitlines() == [
        "symroute-routing: table 200 (wana): installed",
        "symroute-routing: table 202 (wanc): waiting for an IPv4 address on wanc (dynamic)",
    ]
