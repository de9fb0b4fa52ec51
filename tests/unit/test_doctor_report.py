"""symroute doctor's report: the same input gives the same JSON and Markdown byte for byte in processes
with different hash seeds; its shape; Markdown that a hostile name cannot break."""

import json
import os
import subprocess
import sys

import yaml
from test_doctor_fakes import replayed

from paths import REPOSITORY
from symroute.yaml_strict import loads as strict_loads
from symroute_router.doctor import diagnose, markdown, options, partner_entry, report

BUILD = """
import sys
from symroute_router.doctor import diagnose, markdown, options, report
from test_doctor_fakes import replayed
recording, replay, connector, read = replayed(sys.argv[1])
settings = {"targets": options.targets(["100.64.20.10:80", "[2001:db8:20::10]:80", "100.64.21.10:80"]),
            "links": {"wanb": "wan_b", "wana": "wan_a"}, "watch_s": 2, "monitor_config": "/nonexistent"}
built = diagnose(replay, settings, read_sysctl=read, connector=connector, sleep=lambda s: None, hostname="edge-lab",
                 now=recording["now"])
sys.stdout.write(report.to_json(built) + markdown.render(built))
"""
KEYS = {
    "doctor",
    "router",
    "generated",
    "options",
    "symroute",
    "links",
    "site_addresses",
    "site_addresses_from",
    "rules",
    "nat",
    "targets",
    "conntrack",
    "findings",
    "problems",
    "notes",
}


def _in_a_process(name, seed):
    environment = dict(
        os.environ,
        PYTHONHASHSEED=seed,
        PYTHONPATH=os.pathsep.join(
            [
                str(REPOSITORY / "tests" / "unit"),
                str(REPOSITORY / "tests"),
                str(REPOSITORY / "module_utils"),
                str(REPOSITORY),
            ]
        ),
    )
    done = subprocess.run(
        [sys.executable, "-c", BUILD, name], capture_output=True, text=True, env=environment, timeout=120, check=True
    )
    return done.stdout


def test_the_report_does_not_depend_on_the_hash_seed():
    for name in ("incident", "symroute"):
        outputs = {_in_a_process(name, seed) for seed in ("0", "1", "4242")}
        assert len(outputs) == 1, name
        assert '"asymmetric-return-path/100.64.20.10:80"' in outputs.pop() or name == "symroute"


def _report(name="incident", targets=("100.64.20.10:80",)):
    recording, replay, connector, read = replayed(name)
    return diagnose(
        replay,
        {
            "targets": options.targets(list(targets)),
            "links": {"wana": "wan_a", "wanb": "wan_b"},
            "monitor_config": "/nonexistent",
        },
        read_sysctl=read,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=0,
    )


def test_the_json_shape():
    built = _report()
    assert set(built) == KEYS
    assert (built["doctor"], built["router"], built["generated"]) == (1, "edge-lab", "1970-01-01T00:00:00Z")
    assert set(built["links"][0]) == {
        "name",
        "named_by",
        "interface",
        "gateways",
        "metrics",
        "addresses",
        "rp_filter",
        "ignore_routes_with_linkdown",
    }
    assert set(built["targets"][0]) == {
        "target",
        "address",
        "port",
        "family",
        "prefix",
        "site_address",
        "route_now",
        "pinned",
        "attempts",
    }
    assert set(built["targets"][0]["attempts"][0]) == {
        "kind",
        "link",
        "interface",
        "source",
        "result",
        "answer",
        "detail",
    }
    assert set(built["conntrack"]) == {
        "available",
        "reason",
        "watch_s",
        "connections",
        "not_via_wan",
        "from_router",
        "groups",
    }
    for finding in built["findings"]:
        assert {"id", "kind", "subject", "severity", "title", "evidence", "fix"} <= set(finding)
        assert set(finding) - {"id", "kind", "subject", "severity", "title", "evidence", "fix"} <= {"partner_entry"}
    assert json.loads(report.to_json(built)) == built


def test_markdown_has_its_sections_and_the_entry_to_paste():
    text = markdown.render(_report())
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Links", "## Findings", "## Targets", "## Conntrack"]
    assert "```yaml\nsymroute_partners:\n  - name: changeme-100-64-20-0-24\n" in text
    assert "| `own` | `wan_a` | `198.51.100.2` | `answered` | `connected` |" in text


def test_markdown_escapes_what_the_router_names():
    built = _report()
    built["router"] = "evil](http://x) <script>"
    built["links"][0]["interface"] = "a|b`c"
    built["findings"][0]["title"] = "see [here](http://x)"
    text = markdown.render(built)
    assert "# symroute doctor: evil\\](http://x) \\<script\\>" in text
    assert "`a\\|b'c`" in text
    assert "see \\[here\\](http://x)" in text


def test_entry_yaml_reads_back_as_the_entry_with_the_projects_strict_loader():
    for prefix, address, link, router in (
        ("2001:db8:20::/48", "2001:db8:20::10", "wan_a", "edge"),
        ("100.64.20.0/24", "100.64.20.10", "yes", "a: b #c"),
        ("100.64.20.0/24", "100.64.20.10", "123", "edge\nx"),
    ):
        built = partner_entry.entry(
            prefix, address=address, link=link, port=443, router=router, generated="2027-01-15T08:00:00Z"
        )
        assert yaml.safe_load(built["yaml"]) == {"symroute_partners": [built["entry"]]}
        assert strict_loads(built["yaml"]) == {"symroute_partners": [built["entry"]]}
        assert len(built["entry"]["name"]) <= 48


def test_a_long_ipv6_prefix_still_gives_a_valid_name():
    assert (
        partner_entry.name_for("2001:db8:1234:5678:9abc:def0:1234:5600/120")
        == "changeme-2001-db8-1234-5678-9abc-def0-1234-5600"
    )


def test_a_fix_keeps_its_commands_as_code_spans():
    assert (
        markdown.prose("Set it: `sysctl -w a.b=2`, and `a.b = 2` in <file>.")
        == "Set it: `sysctl -w a.b=2`, and `a.b = 2` in \\<file\\>."
    )
    assert markdown.prose("an odd ` backtick") == "an odd \\` backtick"
