"""library/symroute_doctor.py: its documentation matches its options, it refuses bad options with one
message, and it runs (read-only, also in check mode) through Ansible on this machine without targets."""

import ast
import json
import os
import subprocess

import yaml

from paths import REPOSITORY
from symroute_router.doctor import facts

MODULE = REPOSITORY / "library" / "symroute_doctor.py"
ANSIBLE = REPOSITORY / ".venv" / "bin" / "ansible"


def _argument_spec():
    tree = ast.parse(MODULE.read_text())
    call = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "AnsibleModule"
    )
    return ast.literal_eval(next(k.value for k in call.keywords if k.arg == "argument_spec"))


def _documentation():
    tree = ast.parse(MODULE.read_text())
    text = next(
        node.value.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION"
    )
    return yaml.safe_load(text)


def test_the_documentation_matches_the_argument_spec():
    spec, documented = _argument_spec(), _documentation()["options"]
    assert (
        set(spec)
        == set(documented)
        == {"targets", "watch_s", "timeout_ms", "links", "site_addresses", "monitor_config"}
    )
    for name, option in spec.items():
        assert option["type"] == documented[name]["type"], name
        assert option.get("default") == documented[name].get("default"), name
    assert _documentation()["attributes"]["check_mode"]["support"] == "full"
    assert spec["monitor_config"]["default"] == facts.MONITOR_CONFIG


def _ad_hoc(arguments):
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    done = subprocess.run(
        [
            str(ANSIBLE),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "--check",
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
            "-m",
            "symroute_doctor",
            "-a",
            json.dumps(arguments),
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(REPOSITORY),
        timeout=180,
        check=False,
    )
    document = json.loads(done.stdout[done.stdout.index("{") :])
    return document["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_a_bad_option_fails_with_the_command_lines_message():
    result = _ad_hoc({"targets": ["100.64.20.10:80\n"]})
    assert result["failed"] is True
    assert result["msg"] == "symroute_doctor: target '100.64.20.10:80\\n': the port must be an integer 1-65535"
    assert _ad_hoc({"links": {"wan_a": "wan a"}})["msg"].startswith("symroute_doctor: interface 'wan a' is not")


def test_the_module_reads_in_check_mode_and_reports():
    result = _ad_hoc({"watch_s": 0})  # no target: reads only, opens no connection
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["problems"] == result["report"]["problems"]
    assert result["markdown"].startswith("# symroute doctor: ")
    assert {"links", "findings", "targets", "conntrack", "nat"} <= set(result["report"])
