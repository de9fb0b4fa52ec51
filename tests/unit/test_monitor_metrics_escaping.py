"""Names from the inventory in the metrics and the state file: escaped, never able to break or add a line."""

import json
import re

import pytest

from monitorfakes import make_monitor
from promtext import parse
from symroute_router.monitor import daemon, publish

HOSTILE = [
    'quote"d',
    "back\\slash",
    "new\nline",
    "trailing\\",
    '\\"',
    "\\n (a backslash and an n, not a line feed)",
    'x"} 1\nsymroute_link_up{router="evil",link="injected"} 0\n# TYPE evil gauge',
    "ünïcode ✓",
    "",
]


def _snapshot(router, link_names, partner_names):
    links = {
        name: {
            "up": True,
            "carrier": True,
            "gated": False,
            "reason": "monitor started",
            "since": 1.0,
            "transitions": 2,
            "rtt_seconds": 0.0123456789,
            "loss_ratio": 0.05,
        }
        for name in link_names
    }
    partners = {
        name: {
            "pinned_link": link_names[0],
            "reachable": True,
            "latency_seconds": 0.004,
            "link": link_names[-1],
            "off_pinned_link": True,
            "checked": 1.0,
        }
        for name in partner_names
    }
    return {
        "router": router,
        "updated": 1700000000.123,
        "links": links,
        "kernel_holds_decision": True,
        "partners": partners,
    }


@pytest.mark.parametrize("router", HOSTILE)
def test_hostile_names_give_only_valid_lines_and_their_values_back(router):
    link_names = [f"wan {name}" for name in HOSTILE]
    partner_names = [f"partner {name}" for name in HOSTILE]
    samples = parse(publish.metrics(_snapshot(router, link_names, partner_names)))
    # No line added or lost: 6 per link, 4 per partner, the timestamp and kernel_holds_decision.
    assert len(samples) == 6 * len(link_names) + 4 * len(partner_names) + 2
    assert {labels["router"] for _, labels, _ in samples} == {router}
    by_link = {labels["link"] for name, labels, _ in samples if name == "symroute_link_up"}
    assert by_link == set(link_names)
    paths = [labels for name, labels, _ in samples if name == "symroute_partner_path"]
    assert {labels["partner"] for labels in paths} == set(partner_names)
    assert {(labels["pinned_link"], labels["link"]) for labels in paths} == {(link_names[0], link_names[-1])}
    assert all(set(labels) == {"router", "partner", "pinned_link", "link"} for labels in paths)
    # A value keeps its sample: the first link's rtt is written where its label is.
    rtts = {labels["link"]: value for name, labels, value in samples if name == "symroute_link_rtt_seconds"}
    assert rtts == dict.fromkeys(link_names, 0.012346)


def test_the_escapes_are_the_exposition_formats():
    assert publish.escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
    assert publish.escape_label_value("\ud800") == "?"  # no UTF-8 form: replaced, the file stays writable


@pytest.mark.parametrize("unknown", [None, float("nan"), float("inf"), float("-inf")])
def test_an_unknown_or_non_finite_measure_writes_no_sample(unknown):
    snapshot = _snapshot("edge", ["wan_a"], ["partner-api"])
    snapshot["links"]["wan_a"]["rtt_seconds"] = unknown
    snapshot["partners"]["partner-api"]["latency_seconds"] = unknown
    text = publish.metrics(snapshot)
    samples = parse(text)
    names = [name for name, _, _ in samples]
    assert "symroute_link_rtt_seconds" not in names and "symroute_partner_latency_seconds" not in names
    assert len(samples) == 5 + 3 + 2  # the timestamp and kernel_holds_decision
    assert not re.search(
        r"(?i)\b(none|nan|inf)\b", "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    )


def test_sample_values_are_numbers_or_nothing():
    assert [publish.sample_value(v) for v in (True, False, 3, 0.5, 1e-07)] == ["1", "0", "3", "0.5", "1e-07"]
    assert [publish.sample_value(v) for v in (None, float("nan"), float("inf"), "1", [])] == [None] * 5


def _strict_json(text):
    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_the_state_file_is_one_strict_ascii_json_document_with_the_names_intact(router_vars, tmp_path):
    router_vars["symroute_partners"][0]["health_check"] = "tcp://100.64.20.10:80"
    monitor, _, _, _, _, _ = make_monitor(router_vars)
    monitor.router = HOSTILE[-3]
    partner = dict(monitor.plan["partners"][0], name='p"\\\n\u2028')
    monitor.partner_checked(partner, float("nan"), None)
    monitor.trackers["wan_a"].rtt = float("inf")
    state_file, textfile = tmp_path / "state.json", tmp_path / "metrics.prom"
    publish.write(publish.state(monitor, 1.7e9), str(state_file), str(textfile))
    text = state_file.read_text(encoding="utf-8")
    assert text.isascii() and text.endswith("}\n")
    state = _strict_json(text)
    assert state["router"] == HOSTILE[-3]
    assert state["links"]["wan_a"]["rtt_seconds"] is None
    assert state["partners"]['p"\\\n\u2028']["latency_seconds"] is None
    samples = parse(textfile.read_text(encoding="utf-8"))
    assert {labels.get("partner") for _, labels, _ in samples} >= {'p"\\\n\u2028'}


def test_a_non_finite_number_never_reaches_the_state_file_and_is_logged_not_fatal(monkeypatch, tmp_path, capsys):
    snapshot = _snapshot("edge", ["wan_a"], [])
    snapshot["updated"] = float("nan")
    with pytest.raises(ValueError):
        publish.write(snapshot, str(tmp_path / "state.json"), None)
    assert not (tmp_path / "state.json").exists()
    monkeypatch.setattr(daemon.publish, "state", lambda monitor, now: snapshot)
    daemon._write(None, {"state_file": str(tmp_path / "state.json"), "textfile": None})
    assert "could not write the state file or metrics" in capsys.readouterr().out
