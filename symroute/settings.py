"""Router settings: the roles' variables an inventory may set, each with its kind.

The partner contract (``model.INVENTORY_KEYS``) says what to route; these say
where symroute's files live on the router and how its services run. Settings
that name a path or run a command are checked here, on the controller, before
anything is applied: a path is absolute and plain, a command is a list of
arguments whose first is an absolute path (never a shell string). Every other
``symroute_*`` name in an inventory is an error (``unknown_names``), so a typo
such as ``symroute_partner`` cannot silently yield an empty plan.
"""

import difflib
import math
import os
import re
from collections.abc import Mapping
from typing import Any, Optional

from .addresses import shown
from .model import INVENTORY_KEYS

PATH = "path"
OPTIONAL_PATH = "optional path"
FLAG = "boolean"
SECONDS = "seconds"
COMMAND = "command"
LINE = "line"
CHOICE = "choice"

# name: (kind, extra); kept equal to the roles' meta/argument_specs.yml by a test.
ROUTER_SETTINGS: dict[str, tuple[str, Any]] = {
    "symroute_monitor_enabled": (FLAG, None),
    "symroute_monitor_install_dir": (PATH, None),
    "symroute_monitor_config_file": (PATH, None),
    "symroute_monitor_state_file": (PATH, None),
    "symroute_monitor_textfile": (OPTIONAL_PATH, None),
    "symroute_monitor_hook": (COMMAND, None),
    "symroute_monitor_routing_state_file": (OPTIONAL_PATH, None),
    "symroute_monitor_confirm_record": (OPTIONAL_PATH, None),
    "symroute_monitor_sysctl_file": (OPTIONAL_PATH, None),
    "symroute_monitor_nftables_file": (OPTIONAL_PATH, None),
    "symroute_monitor_nftables_listing_file": (OPTIONAL_PATH, None),
    "symroute_monitor_repair_interval_s": (SECONDS, (1, 3600)),
    "symroute_monitor_partner_interval_s": (SECONDS, (1, 3600)),
    "symroute_monitor_partner_timeout_s": (SECONDS, (0.1, 60)),
    "symroute_monitor_service_manager": (CHOICE, ("auto", "systemd", "background")),
    "symroute_monitor_log_file": (PATH, None),
    "symroute_monitor_pid_file": (PATH, None),
    "symroute_monitor_ctl_command": (PATH, None),
    "symroute_monitor_status_command": (PATH, None),
    "symroute_monitor_python": (PATH, None),
    "symroute_nftables_dir": (PATH, None),
    "symroute_nftables_file": (PATH, None),
    "symroute_nftables_listing_file": (PATH, None),
    "symroute_nftables_manage_system_config": (FLAG, None),
    "symroute_nftables_system_config": (PATH, None),
    "symroute_nftables_header": (LINE, None),
    "symroute_routing_dir": (PATH, None),
    "symroute_routing_state_file": (PATH, None),
    "symroute_routing_package_dir": (PATH, None),
    "symroute_routing_python": (PATH, None),
    "symroute_routing_table_names_file": (PATH, None),
    "symroute_routing_manage_service": (FLAG, None),
    "symroute_routing_networkd_dropin": (FLAG, None),
    "symroute_sysctl_file": (PATH, None),
    "symroute_verify_monitor_state_file": (PATH, None),
    "symroute_snapshot_file": (PATH, None),
    "symroute_confirm_timeout_s": (SECONDS, (30, 3600)),
    "symroute_monitor_ha_state_file": (PATH, None),
    "symroute_ha_header": (LINE, None),
    "symroute_ha_keepalived_config": (PATH, None),
    "symroute_ha_conntrackd_config": (PATH, None),
    "symroute_ha_conntrackd_command": (PATH, None),
    "symroute_ha_conntrackd_socket": (PATH, None),
    "symroute_ha_notify_command": (PATH, None),
    "symroute_ha_state_file": (PATH, None),
}

# Options of one playbook run: given with -e, never from the inventory.
RUN_OPTIONS = ("symroute_serial", "symroute_expected_plan_digest", "symroute_plan_output", "symroute_router_group")

KNOWN_NAMES = tuple(INVENTORY_KEYS) + tuple(ROUTER_SETTINGS)
NAME_PREFIX = "symroute_"

_PATH = re.compile(r"/[A-Za-z0-9._+@/-]+")
_ARGUMENT = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
_LINE = re.compile(r"[^\x00-\x1f\x7f]{0,200}")
MAX_ARGUMENTS = 32


def _path_problem(value):
    if not isinstance(value, str) or not _PATH.fullmatch(value):
        return f"{shown(value)} is not an absolute path of letters, digits and . _ + @ -"
    if os.path.normpath(value) != value or "/../" in value + "/" or "/./" in value + "/":
        return f"{shown(value)} is not a normalized path (write {os.path.normpath(value)})"
    return None


def _command_problem(value):
    if not isinstance(value, list):
        return (
            f"{shown(value)} is not a list of arguments: write [/absolute/path/to/program, arg, ...] "
            "(a shell string is never run)"
        )
    if len(value) > MAX_ARGUMENTS:
        return f"{len(value)} arguments; at most {MAX_ARGUMENTS}"
    if value and _path_problem(value[0]):
        return f"the program {_path_problem(value[0])}"
    for position, argument in enumerate(value[1:], start=1):
        if not isinstance(argument, str) or not _ARGUMENT.fullmatch(argument):
            return f"argument {position} {shown(argument)} is not a non-empty line of printable text"
    return None


def _seconds_problem(value, bounds):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{shown(value)} is not a number of seconds"
    low, high = bounds
    return None if low <= value <= high else f"{value} is out of range ({low} to {high} seconds)"


def setting_problem(name: str, value: object) -> Optional[str]:
    """Why ``value`` cannot be router setting ``name``, or None."""
    kind, extra = ROUTER_SETTINGS[name]
    if kind == PATH:
        return _path_problem(value)
    if kind == OPTIONAL_PATH:
        return None if value == "" else _path_problem(value)
    if kind == FLAG:
        return None if isinstance(value, bool) else f"{shown(value)} is not true or false"
    if kind == SECONDS:
        return _seconds_problem(value, extra)
    if kind == CHOICE:
        return None if value in extra else f"{shown(value)} is not one of {', '.join(extra)}"
    if kind == COMMAND:
        return _command_problem(value)
    if not isinstance(value, str) or not _LINE.fullmatch(value):
        return f"{shown(value)} is not one line of at most 200 printable characters"
    return None


def unknown_name_problem(name: str) -> Optional[str]:
    """The message for a ``symroute_*`` variable symroute does not know, or None for a known one."""
    if name in KNOWN_NAMES:
        return None
    if name in RUN_OPTIONS:
        return f"variable {name}: an option of one run; give it with -e, not in the inventory"
    close = difflib.get_close_matches(name, KNOWN_NAMES, n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"variable {name}: not a symroute variable{hint}"


def router_settings(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The router settings ``variables`` sets, in name order."""
    return {name: variables[name] for name in sorted(ROUTER_SETTINGS) if name in variables}
