"""symroute-status (module_utils/symroute_router/status.py) on recorded monitor state, including hostile input."""

import io
import json

import pytest

from symroute_router import status

NOW = 1765043001.0
CONFIG = {"router": "gw1", "monitor": {
    "links": [{"name": "fiber", "interface": "eth1", "targets": [{"text": "100.64.1.2"}],
               "addresses": [{"family": 4, "address": "198.51.100.2"}, {"family": 6, "address": "2001:db8:a::2"}]},
              {"name": "lte", "interface": "wwan0", "targets": [], "addresses": []}],
    "partners": [{"name": "stripe-api", "link": "fiber", "on_link_failure": "failover"},
                 {"name": "bank", "link": "lte", "on_link_failure": "failover"}]}}


def _link(**fields):
    entry = {"up": True, "carrier": True, "gated": False, "decided_gated": False, "interface_present": True,
             "reason": "monitor started", "since": NOW - 3600, "transitions": 0, "rtt_seconds": 0.012,
             "loss_ratio": 0.0}
    entry.update(fields)
    return entry


def _state(**links):
    return {"router": "gw1", "updated": NOW - 0.5, "kernel_holds_decision": True, "drill": None,
            "links": {"fiber": links.get("fiber", _link()), "lte": links.get("lte", _link())},
            "partners": {"stripe-api": {"pinned_link": "fiber", "reachable": True, "latency_seconds": 0.02,
                                        "link": "fiber", "off_pinned_link": False}},
            "learned": {"lte": {"ipv4": {"policy": "learned", "address": "100.64.3.2", "gateway": "100.64.3.1",
                                         "changes": 1}}},
            "repairs": {"total": 2, "failures": 0, "last": None, "nftables": {"total": 0, "last": None}}}


def run(tmp_path, state, config=CONFIG, *args):
    (tmp_path / "state.json").write_text(state if isinstance(state, str) else json.dumps(state))
    (tmp_path / "config.json").write_text(json.dumps(config))
    out = io.StringIO()
    code = status.main(["--state", str(tmp_path / "state.json"), "--config", str(tmp_path / "config.json"), *args],
                       out=out, now=NOW)
    return code, out.getvalue()


def test_all_in_service_exits_0_with_links_addresses_and_partners(tmp_path):
    code, text = run(tmp_path, _state())
    assert code == 0
    lines = text.splitlines()
    assert lines[:2] == ["symroute status of gw1",
                         "monitor: running, state 0.5 s old, the kernel holds its decision, 2 repairs"]
    fiber = next(line for line in lines if line.split()[:2] == ["fiber", "eth1"])
    assert "in service" in fiber and "198.51.100.2, 2001:db8:a::2" in fiber and "12.0 ms" in fiber
    lte = next(line for line in lines if line.split()[:2] == ["lte", "wwan0"])
    assert "100.64.3.2 (learned, gateway 100.64.3.1)" in lte
    assert any(line.split()[:3] == ["stripe-api", "fiber", "fiber"] for line in lines)
    assert any(line.split()[:3] == ["bank", "lte", "not"] for line in lines)


def test_a_failover_is_shown_with_the_last_transition_and_exit_1(tmp_path):
    state = _state(fiber=_link(up=False, gated=True, reason="3 rounds without an answer", since=NOW - 10,
                               transitions=1, rtt_seconds=None, loss_ratio=0.6))
    state["partners"]["stripe-api"].update(link="lte", off_pinned_link=True)
    code, text = run(tmp_path, state)
    assert code == 1
    assert "fiber: 3 rounds without an answer" in text
    assert "failed over (fiber not in service)" in text
    assert "Last transition: fiber at " in text and "(now out of service: 3 rounds without an answer)" in text
    document = json.loads(run(tmp_path, state, CONFIG, "--format", "json")[1])
    assert document["last_transition"]["link"] == "fiber"
    assert {p["name"]: p["link_now"] for p in document["partners"]} == {"stripe-api": "lte", "bank": None}


@pytest.mark.parametrize("fields, shown", [
    ({"interface_present": False}, "interface missing"), ({"carrier": False}, "no carrier"),
    ({"up": False}, "down"), ({"gated": True}, "out of service")])
def test_link_states_in_words(tmp_path, fields, shown):
    code, text = run(tmp_path, _state(lte=_link(**fields)))
    assert code == 1
    assert shown in next(line for line in text.splitlines() if line.startswith("  lte "))


def test_a_drill_is_named(tmp_path):
    state = _state(fiber=_link(gated=True))
    state["drill"] = {"link": "fiber", "until": NOW + 30}
    _, text = run(tmp_path, state)
    assert "out of service (drill)" in text and "Drill in progress: fiber out of service until" in text


def test_a_partner_off_its_link_while_it_is_in_service_is_called_out(tmp_path):
    state = _state()
    state["partners"]["stripe-api"].update(link="lte", off_pinned_link=True)
    code, text = run(tmp_path, state)
    assert code == 1 and "OFF ITS PINNED LINK while that link is in service" in text


def test_an_old_state_file_means_the_monitor_is_not_running(tmp_path):
    state = dict(_state(), updated=NOW - 60)
    code, text = run(tmp_path, state)
    assert code == 3 and "monitor: NOT RUNNING (its state is 60 s old)" in text


@pytest.mark.parametrize("content", ["", "{", "[]", "null", '{"links": 5, "partners": "x", "updated": "y"}',
                                     '{"links": {"a": 1, "b": {"since": "x"}}, "updated": 1e400}'])
def test_hostile_or_broken_state_never_raises(tmp_path, content):
    code, text = run(tmp_path, content)
    assert code in (1, 3) and text.startswith("symroute status of ")


def test_hostile_names_are_printed_without_control_characters(tmp_path):
    state = _state()
    state["links"]["evil\n\x1b[31mlink"] = state["links"].pop("lte")
    _, text = run(tmp_path, state)
    assert "\x1b" not in text and "evil??[31mlink" in text


def test_no_state_file(tmp_path):
    out = io.StringIO()
    assert status.main(["--state", str(tmp_path / "none"), "--config", str(tmp_path / "none")], out=out) == 3
    assert f"monitor: NOT RUNNING ({tmp_path / 'none'} does not exist)" in out.getvalue()


def test_a_partner_that_does_not_answer_needs_attention(tmp_path):
    state = _state()
    state["partners"]["stripe-api"].update(reachable=False, latency_seconds=None, link=None)
    code, text = run(tmp_path, state)
    assert code == 1
    row = next(line for line in text.splitlines() if line.split()[:1] == ["stripe-api"])
    assert row.split()[1:3] == ["fiber", "unknown"] and "NO ANSWER" in row and "OFF" not in row
