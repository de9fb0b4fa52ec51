"""The inventory contract: known names, router settings, the YAML reader, and no code run by Ansible either."""

import os
import shutil
import subprocess

import pytest
import yaml

from paths import REPOSITORY
from symroute.settings import ROUTER_SETTINGS, setting_problem, unknown_name_problem
from symroute.yaml_strict import VaultValue, YamlProblem, loads

INTERNAL = {
    "symroute_sysctl_plan",
    "symroute_nftables_plan",
    "symroute_routing_plan",
    "symroute_verify_plan",
    "symroute_monitor_plan",
    "symroute_ha_plan",
    "symroute_verify_management_before",
    "symroute_snapshot_plan",
    "symroute_snapshot_files",
    "symroute_snapshot_run_id",
    "symroute_confirm_result",
    # Set by playbooks/audit.yml from the run (-e symroute_report_dir), never by the inventory.
    "symroute_verify_drift",
    "symroute_verify_report_dir",
}


def _role_options():
    options = set()
    for path in (REPOSITORY / "roles").glob("*/meta/argument_specs.yml"):
        for spec in yaml.safe_load(path.read_text())["argument_specs"].values():
            options |= set(spec.get("options", {}))
    return options


def test_router_settings_are_exactly_the_roles_documented_options():
    assert set(ROUTER_SETTINGS) == _role_options() - INTERNAL


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("symroute_monitor_hook", []),
        ("symroute_monitor_hook", ["/usr/local/bin/alert", "--team", "net ops", "it's"]),
        ("symroute_monitor_install_dir", "/opt/symroute"),
        ("symroute_monitor_textfile", ""),
        ("symroute_monitor_partner_interval_s", 2.5),
        ("symroute_monitor_service_manager", "systemd"),
        ("symroute_nftables_header", 'Managed by symroute — "quoted"'),
        ("symroute_routing_manage_service", False),
    ],
)
def test_valid_router_settings(name, value):
    assert setting_problem(name, value) is None


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("symroute_monitor_hook", "/bin/alert --now", "list of arguments"),
        ("symroute_monitor_hook", ["bin/alert"], "absolute path"),
        ("symroute_monitor_hook", ["/bin/alert", "a\nb"], "argument 1"),
        ("symroute_monitor_hook", ["/bin/alert"] + ["x"] * 40, "at most 32"),
        ("symroute_monitor_install_dir", "/usr/lib\nExecStartPre=/bin/sh", "absolute path"),
        ("symroute_monitor_install_dir", "relative/dir", "absolute path"),
        ("symroute_monitor_install_dir", "/opt//symroute/", "normalized"),
        ("symroute_monitor_install_dir", "/opt/sym route", "absolute path"),
        ("symroute_monitor_enabled", "yes", "true or false"),
        ("symroute_monitor_partner_interval_s", True, "number of seconds"),
        ("symroute_monitor_partner_interval_s", float("nan"), "number of seconds"),
        ("symroute_monitor_partner_timeout_s", 1e9, "out of range"),
        ("symroute_monitor_service_manager", "cron", "one of"),
        ("symroute_nftables_header", "a\nb", "one line"),
        ("symroute_nftables_header", "x" * 201, "one line"),
    ],
)
def test_invalid_router_settings(name, value, fragment):
    assert fragment in setting_problem(name, value)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("symroute_partner", "did you mean 'symroute_partners'"),
        ("symroute_lan_network", "did you mean 'symroute_lan_networks'"),
        ("symroute_serial", "give it with -e"),
        ("symroute_monitor_hooks", "did you mean 'symroute_monitor_hook'"),
        ("symroute_zzz", "not a symroute variable"),
    ],
)
def test_unknown_names_are_named(name, fragment):
    assert fragment in unknown_name_problem(name)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: 1\na: 2\n", "appears twice"),
        ("a: {b: 1, b: 2}\n", "appears twice"),
        ("1: x\n", "not a string"),
        ("~: x\n", "not a string"),
        ("true: x\n", "not a string"),
        ("? [a]\n: x\n", "not a string"),
        ("a: !!python/name:os.system x\n", "tag"),
        ("a: !include other.yml\n", "tag"),
        ("a: &a [*a]\n", "contains it"),
        ("a: [\n", "malformed YAML"),
    ],
)
def test_yaml_that_is_not_plain_data_is_refused(text, fragment):
    with pytest.raises(YamlProblem) as raised:
        loads(text)
    assert fragment in raised.value.message


def test_yaml_keeps_shared_anchors_merge_keys_and_vault_as_data():
    data = loads("base: &b {x: 1}\nuse: {<<: *b, y: 2}\nsecret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  30\n")
    assert data["use"] == {"x": 1, "y": 2}
    assert isinstance(data["secret"], VaultValue)


def test_the_fast_string_path_reads_what_yaml_reads():
    """A plain scalar holding a slash skips YAML's implicit-type patterns, and a list of strings is taken as
    written: the data is the same as YAML's own."""
    scalars = [
        "10.0.0.0/24",
        "2001:db8::/48",
        "1/2",
        "1:2/3",
        "0x1/2",
        "1e3/4",
        "2001-12-14/1",
        "true/false",
        "~/x",
        "null/",
        "/",
        ".inf/",
        "12:30:00/2",
        "<</",
        "=/",
        "-1/2",
        "+0/0",
        "0o7/1",
        "1_000/2",
    ]
    for text in [
        f"[{', '.join(scalars)}]",
        "a: " + " ".join(scalars),
        "\n".join(f"- {x}" for x in scalars),
        "a: &x 1/2\nb: *x\n",
        "? 1/2\n: 3/4\n",
        "[a, 'b', \"c\", 1/2, !!str 3]",
        "[1, a/b, null, [x, y], {k: v}]",
        "- [x, y]\n- [1, 2.5, true]\n- []\n",
        "a: &l [x/1, y]\nb: *l\n",
    ]:
        assert loads(text) == yaml.load(text, Loader=yaml.SafeLoader), text
    assert loads('a: !!int 12\nb: ! 1/2\nc: [!unsafe "{{ x }}", y]\n') == {"a": 12, "b": "1/2", "c": ["{{ x }}", "y"]}


def test_an_alias_bomb_is_refused_at_once():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
    )
    with pytest.raises(YamlProblem, match="alias bomb"):
        loads(bomb)


def test_ansible_itself_never_runs_an_inventory_script(tmp_path):
    """ansible.cfg enables the YAML and INI inventory plugins only: --syntax-check and --list-hosts run nothing."""
    inventory = tmp_path / "inventory"
    shutil.copytree(REPOSITORY / "inventories" / "lab", inventory)
    canary = tmp_path / "canary"
    script = inventory / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {canary}\necho '{{}}'\n")
    script.chmod(0o755)
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"))
    for extra in ("--syntax-check", "--list-hosts"):
        subprocess.run(
            [
                str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
                "-i",
                str(inventory),
                extra,
                str(REPOSITORY / "symmetric-routing.yml"),
            ],
            capture_output=True,
            env=environment,
            cwd=REPOSITORY,
            check=False,
            timeout=120,
        )
    assert not canary.exists()


def test_a_symlink_to_a_device_or_a_huge_file_is_refused_before_it_is_read(tmp_path):
    from symroute.inventory_files import scan

    inventory = tmp_path / "inventory"
    shutil.copytree(REPOSITORY / "inventories" / "lab", inventory)
    (inventory / "group_vars" / "all" / "zero.yml").symlink_to("/dev/zero")
    _, files, problems = scan(inventory)
    assert any("zero.yml" in problem.where and "not a regular file" in problem.message for problem in problems)
    assert "group_vars/all/zero.yml" not in files
