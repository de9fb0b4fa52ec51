"""What symroute owns on a router is defined once (roles/symroute_snapshot/vars/main.yml): the converge's
snapshot records that list and playbooks/remove.yml removes it with the runtime files; every file setting a
role documents is on one of the two lists, so a new file cannot be written without being recorded and
removed."""

import re

import yaml

from paths import REPOSITORY

SNAPSHOT_VARS = yaml.safe_load((REPOSITORY / "roles" / "symroute_snapshot" / "vars" / "main.yml").read_text())
OWNED = SNAPSHOT_VARS["__symroute_snapshot_owned_files"]
RUNTIME = SNAPSHOT_VARS["__symroute_snapshot_owned_runtime_files"]
HA = SNAPSHOT_VARS["__symroute_snapshot_owned_ha_files"]
# File settings that are not files symroute owns: the system's nftables.conf (symroute adds and removes only
# its include line) and the controller's report directory; the monitor's copies of other roles' settings.
NOT_OWNED = {
    "symroute_nftables_system_config",
    "symroute_verify_report_dir",
    "symroute_verify_monitor_state_file",
    "symroute_monitor_routing_state_file",
    "symroute_monitor_sysctl_file",
    "symroute_monitor_nftables_file",
    "symroute_monitor_nftables_listing_file",
    # conntrackd's own program; the notify command's state file, listed as the monitor's copy.
    "symroute_ha_conntrackd_command",
    "symroute_ha_state_file",
}
FILE_SETTING = re.compile(r"^symroute_\w+_(file|command|config|textfile)$")


def _named(entries):
    return {match.group(1) for entry in entries for match in [re.fullmatch(r"\{\{ (\w+) \}\}", entry)] if match}


def _file_settings():
    for defaults in sorted((REPOSITORY / "roles").glob("*/defaults/main.yml")):
        for name, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            if FILE_SETTING.match(name) and isinstance(value, str) and name not in NOT_OWNED:
                yield name


def test_every_file_setting_of_every_role_is_owned_once():
    settings = list(_file_settings())
    assert "symroute_monitor_config_file" in settings and "symroute_snapshot_file" in settings
    named = _named(OWNED) | _named(RUNTIME) | _named(HA)
    assert sorted(set(settings) - named) == [], "a role's file setting missing from what symroute owns"
    assert len(OWNED + RUNTIME + HA) == len(set(OWNED + RUNTIME + HA)), "a file listed twice"


def test_the_snapshot_records_and_removal_removes_the_one_list():
    main = yaml.safe_load((REPOSITORY / "symmetric-routing.yml").read_text())
    apply_play = next(play for play in main if "symroute_snapshot_files" in play.get("vars", {}))
    assert " ".join(apply_play["vars"]["symroute_snapshot_files"].split()) == (
        "{{ __symroute_snapshot_owned_files + (__symroute_snapshot_owned_ha_files if symroute_plan.ha is defined "
        "else []) }}"
    )
    remove = yaml.safe_load((REPOSITORY / "playbooks" / "remove.yml").read_text())
    tasks = [task for task in remove[1]["tasks"] if "symroute_remove" in task]
    # Two removal tasks (a pair's backup first, then its master), both with the play's one set of paths.
    assert [task["symroute_remove"]["paths"] for task in tasks] == ["{{ __symroute_remove_paths }}"] * 2
    paths = remove[1]["vars"]["__symroute_remove_paths"]
    files = " ".join(paths["files"].split())
    # The HA pair's files are removed by the ha step only when they carry symroute's header (removal.py).
    assert "__symroute_snapshot_owned_ha_files" not in files and "symroute_ha_keepalived_config" in paths["ha"]
    assert files == (
        "{{ __symroute_snapshot_owned_files | reject('equalto', symroute_nftables_system_config) "
        "+ __symroute_snapshot_owned_runtime_files }}"
    )
