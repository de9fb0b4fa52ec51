"""The hostile-inventory corpus (tests/hostile_corpus.py) through bin/symroute plan and the playbook's plan step.

For every case: a refused case exits 1 with one problem naming where it is, an
accepted one plans files that pass the structural checks; no case runs a
command (the canary never appears) or prints a traceback; and the playbook's
plan step (playbooks/plan.yml, the first play of symmetric-routing.yml) agrees
with the CLI: the same plans and digest, or a refusal.
"""

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from hostile_corpus import ACCEPTED, CANARY, CASES
from paths import REPOSITORY
from promtext import parse
from rendering import render_all
from symroute_router.monitor import publish

LAB = REPOSITORY / "inventories" / "lab"
IDS = [case[0] for case in CASES]
NFT_TOP_LEVEL = ["table inet symroute", "delete table inet symroute", "table inet symroute {"]


def _build(directory, case):
    name, edits, _ = case
    root = directory / re.sub(r"[^a-z0-9]+", "-", name.lower())
    shutil.copytree(LAB, root / "inventory")
    canary = root / "canary"
    for edit in edits:
        edit(root / "inventory")
    for path in (root / "inventory").rglob("*"):
        if path.is_file():
            text = path.read_text()
            if CANARY in text:
                mode = path.stat().st_mode
                path.write_text(text.replace(CANARY, str(canary)))
                os.chmod(path, mode)
    return root


def _cli(root):
    result = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "plan", "--inventory", str(root / "inventory"), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result


def _playbook(root):
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_LOCAL_TEMP=str(root / "tmp"),
    )
    output = root / "playbook-plan.json"
    result = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(root / "inventory"),
            str(REPOSITORY / "playbooks" / "plan.yml"),
            "-e",
            f"symroute_plan_output={output}",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=root,
        env=environment,
        check=False,
    )
    return result, (json.loads(output.read_text()) if output.exists() else None)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every case through the CLI and the playbook's plan step, four at a time."""
    directory = tmp_path_factory.mktemp("hostile")
    roots = [_build(directory, case) for case in CASES]

    def run(root):
        return _cli(root), _playbook(root), (root / "canary").exists()

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(IDS, pool.map(run, roots)))


def test_the_corpus_is_large_and_each_case_is_named_once():
    assert len(CASES) >= 60 and len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_refuses_or_plans(case, outcomes):
    name, _, expected = case
    cli, _, _ = outcomes[name]
    assert "Traceback" not in cli.stdout + cli.stderr, cli.stdout + cli.stderr
    document = json.loads(cli.stdout)
    if expected == ACCEPTED:
        assert cli.returncode == 0 and document["valid"], document["problems"]
        return
    fragments = expected[1]
    assert cli.returncode == 1 and not document["valid"]
    assert any(all(fragment in problem for fragment in fragments) for problem in document["problems"]), (
        f"no problem holds {fragments}: {document['problems']}"
    )
    assert all(len(problem) < 600 for problem in document["problems"]), "a problem echoes a hostile value at length"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nothing_in_the_inventory_runs(case, outcomes):
    assert not outcomes[case[0]][2], "a command from the inventory ran"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_playbook_plans_exactly_what_the_cli_plans(case, outcomes):
    cli, (playbook, written), _ = outcomes[case[0]]
    assert "Traceback" not in playbook.stdout + playbook.stderr
    document = json.loads(cli.stdout)
    if not document["valid"]:
        assert playbook.returncode != 0 and written is None, playbook.stdout[-2000:]
        return
    assert playbook.returncode == 0, playbook.stdout[-3000:] + playbook.stderr[-2000:]
    assert written == {"digest": document["digest"], "routers": document["routers"]}


def _top_level(text):
    depth, lines = 0, []
    for line in text.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped and not stripped.startswith("#"):
            lines.append(stripped)
        depth += line.count("{") - line.count("}")
    return lines


def _check_nft(text, tmp_path):
    assert _top_level(text) == NFT_TOP_LEVEL
    path = tmp_path / "symroute.nft"
    path.write_text(text)
    result = subprocess.run(
        ["unshare", "--net", "nft", "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


UNIT_KEYS = {
    "Description",
    "Documentation",
    "After",
    "Wants",
    "StartLimitIntervalSec",
    "Type",
    "RemainAfterExit",
    "Environment",
    "ExecStart",
    "Restart",
    "RestartSec",
    "WantedBy",
    # The sandbox (docs/security.md): fixed lines of the templates, none of them from the inventory.
    "CapabilityBoundingSet",
    "DevicePolicy",
    "IPAddressDeny",
    "KeyringMode",
    "LockPersonality",
    "MemoryDenyWriteExecute",
    "MemoryMax",
    "NoNewPrivileges",
    "PrivateDevices",
    "PrivateIPC",
    "PrivateMounts",
    "PrivateTmp",
    "ProcSubset",
    "ProtectClock",
    "ProtectControlGroups",
    "ProtectHome",
    "ProtectHostname",
    "ProtectKernelLogs",
    "ProtectKernelModules",
    "ProtectKernelTunables",
    "ProtectProc",
    "ProtectSystem",
    "ReadWritePaths",
    "RemoveIPC",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "RuntimeDirectory",
    "RuntimeDirectoryMode",
    "RuntimeDirectoryPreserve",
    "StateDirectory",
    "StateDirectoryMode",
    "SystemCallArchitectures",
    "SystemCallErrorNumber",
    "SystemCallFilter",
    "TasksMax",
    "TimeoutStartSec",
    "TimeoutStopSec",
    "UMask",
}


def _check_unit(text):
    """Three sections, known keys only, one ExecStart: no line was injected."""
    sections, keys = [], []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            sections.append(line)
            continue
        key, _, _ = line.partition("=")
        assert key in UNIT_KEYS, f"unexpected unit line {line!r}"
        keys.append(key)
    assert sections == ["[Unit]", "[Service]", "[Install]"] and keys.count("ExecStart") == 1


def _metrics_of(plan):
    links = {
        link["name"]: {
            "up": True,
            "carrier": True,
            "gated": False,
            "reason": "r",
            "since": 1.0,
            "transitions": 0,
            "rtt_seconds": 0.01,
            "loss_ratio": 0.0,
        }
        for link in plan["links"]
    }
    partners = {
        p["name"]: {
            "pinned_link": p["link"],
            "reachable": True,
            "latency_seconds": 0.01,
            "link": p["link"],
            "off_pinned_link": False,
            "checked": 1.0,
        }
        for p in plan["partners"]
    }
    return publish.metrics({"router": plan["router"], "updated": 1.0, "links": links, "partners": partners})


ACCEPTED_CASES = [case for case in CASES if case[2] == ACCEPTED]


@pytest.mark.parametrize("case", ACCEPTED_CASES, ids=[case[0] for case in ACCEPTED_CASES])
def test_every_rendered_file_stays_sound(case, outcomes, tmp_path):
    document = json.loads(outcomes[case[0]][0].stdout)
    for plan in document["routers"].values():
        files = render_all(plan)
        _check_nft(files["symroute.nft.j2"], tmp_path)
        for line in files["90-symroute.conf.j2"].splitlines():
            assert line.startswith("#") or re.fullmatch(
                r"[a-z0-9_]+([.][A-Za-z0-9_-]+|/[A-Za-z0-9_.-]+)+ = [0-9]+", line
            )
        for line in files["rt_tables.conf.j2"].splitlines():
            assert line.startswith("#") or re.fullmatch(r"[0-9]+ symroute_[a-z0-9_]+", line)
        for name in ("monitor.json.j2",):
            json.loads(files[name])
        assert json.loads(files["monitor.json.j2"])["settings"]["hook"] == plan["settings"].get(
            "symroute_monitor_hook", []
        )
        _check_unit(files["symroute-routing.service.j2"])
        _check_unit(files["symroute-monitor.service.j2"])
        script = tmp_path / "ctl"
        script.write_text(files["symroute-monitor-ctl.j2"])
        assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
        assert len(parse(_metrics_of(plan))) == 6 * len(plan["links"]) + 4 * len(plan["partners"]) + 2
