#!/usr/bin/python
"""Converge one router in one call: snapshot, sysctls, nftables, rules and routes, verify, link monitor;
on any failure the snapshot is restored whole (exact check mode and diff)."""

DOCUMENTATION = r"""
module: symroute_converge
short_description: Converge all of symroute's state on a router in one call, restored whole on failure
description:
  - >-
    Runs the parts of a converge that O(parts) selects, in the order of symroute's flow: records how the
    management addresses route, takes one snapshot of all of symroute's state, then the kernel settings,
    the nftables table (and nftables.service enabled), the router package, rules and routes with the boot
    unit and the systemd-networkd drop-in, verification (the same code as M(symroute.router.symroute_verify)),
    and the link monitor (its package copy, files and service). It is symroute's only apply path: symmetric-routing.yml
    runs the parts its tags select, a role run alone (symroute_sysctl, symroute_nftables, symroute_routing,
    symroute_monitor) runs its own part without a snapshot.
  - >-
    On any failure after the snapshot, restores it (files, nftables table, rules, routes, sysctls) and
    fails with the step's name (RV(step)), what was restored (RV(restored)) and whether the restore was
    whole (RV(rolled_back)).
  - >-
    In check mode, computes every part's exact difference from the live state and writes nothing: no
    snapshot, no restore, no verification (nothing was applied). A router symroute never configured is
    reported in full.
  - One round trip to the router instead of one per task.
options:
  parts:
    description: The parts to run (the playbook's tags select them).
    type: list
    elements: str
    choices: [sysctl, nftables, routing, verify, monitor, ha]
    required: true
  snapshot:
    description: >-
      C(path) of the snapshot on the router and its C(scope) (see M(symroute.router.symroute_snapshot)),
      C(run_id) in the scope naming this run (the playbook's rescue restores only this run's snapshot).
      Empty: no snapshot is taken and a failure restores nothing (a role run alone, such as symroute_monitor).
    type: dict
    default: {}
  sysctl:
    description: >-
      C(sysctls) (the plan's slice, plan contract version 1), C(path) (symroute's sysctl.d file) and
      C(content) (that file, rendered by the role).
    type: dict
    default: {}
  nftables:
    description: >-
      C(nftables) (the plan's slice with the rendered file, plan contract version 1), C(path) (symroute's
      nftables file), C(listing_path) (the live table's listing after each load, for drift detection),
      C(include_in) (the system's nftables configuration to include the file from, or empty) and
      C(enable_service) (enable nftables.service under systemd).
    type: dict
    default: {}
  routing:
    description: >-
      C(routing) (the plan's slice, plan contract version 1), C(state_path) (the state file the boot unit
      applies), C(table_names_path) and C(table_names) (iproute2 names of symroute's tables and that file's
      content), C(boot_unit) (C(path) and C(content) of the unit, or empty), C(package_dir) (where the
      router package is installed) and C(networkd_dropin) (a file as C(path), C(content), C(mode), or
      empty).
    type: dict
    default: {}
  verify:
    description: C(verify) (M(symroute.router.symroute_verify)'s slice) and C(monitor_state_file).
    type: dict
    default: {}
  monitor:
    description: >-
      C(enabled), C(install_dir), C(files) (each with C(path), C(content), C(mode)), C(directories) (made
      before the unit starts), C(service_manager)
      (C(auto), C(systemd) or C(background)) and C(ctl_command).
    type: dict
    default: {}
  ha:
    description: >-
      The HA pair (the C(symroute_ha) role): C(conntrackd) and C(keepalived) (each C(files) with C(path),
      C(content), C(mode)) and C(directories) (made first). conntrackd is restarted for a new
      configuration, keepalived reloaded (a restart would switch the pair over); systemd only.
    type: dict
    default: {}
  package_files:
    description: The router package's files, relative path to content (installed for the boot unit and monitor).
    type: dict
    default: {}
  confirm:
    description: >-
      Confirmed commit: C(timeout_s) (30 to 3600) and optionally C(python) (the dead-man's interpreter, by
      default this module's). After the snapshot and before the first change, the router's dead-man is armed
      (a transient systemd timer, else a detached process); it restores this run's snapshot unless the
      controller confirms with M(symroute.router.symroute_snapshot)
      O(symroute.router.symroute_snapshot#module:state=confirmed) within C(timeout_s) of the end of this call.
      Needs O(snapshot) with a C(run_id). Empty: no dead-man. A run that changed nothing is disarmed at once;
      a run awaiting its confirmation makes a second converge fail.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
author: symroute maintainers (@symroute)
"""

EXAMPLES = r"""
- name: Converge the router
  symroute_converge:
    parts: [sysctl, nftables, routing, verify, monitor]
    snapshot: "{{ symroute_snapshot_request }}"
    sysctl: "{{ symroute_sysctl_request }}"
    nftables: "{{ symroute_nftables_request }}"
    routing: "{{ symroute_routing_request }}"
    verify: "{{ symroute_verify_request }}"
    monitor: "{{ symroute_monitor_request }}"
    package_files: "{{ 'symroute_router' | symroute_package_files }}"
"""

RETURN = r"""
parts:
  description: Each part's result (what it wrote, removed and restarted), without the diff.
  returned: success
  type: dict
summary:
  description: One line per part that changed (or would change in check mode).
  returned: success
  type: list
  elements: str
seconds:
  description: How long each part took on the router ("before the parts" covers the contract, capture and snapshot).
  returned: success
  type: dict
snapshot:
  description: Where this run's snapshot is (none in check mode).
  returned: success
  type: str
confirm:
  description: >-
    C(armed) (the controller must confirm), C(run_id), C(timeout_s), C(deadline) (epoch seconds),
    C(mechanism) (systemd or background), C(record) (the confirmation record on the router). In check mode,
    C(last): the last run's confirmation outcome (an unconfirmed, restored run is reported by the audit).
  returned: success
  type: dict
previous_run:
  description: An earlier run that was not confirmed and was restored by its dead-man (reported once).
  returned: when there was one
  type: dict
step:
  description: The step that failed.
  returned: failure
  type: str
outcome:
  description: >-
    One sentence on the state the failure left: nothing was changed (it failed before any change, or in
    check mode), the previous state was restored (and what), or it could not be restored whole.
  returned: failure
  type: str
restored:
  description: What the restore of the snapshot put back, one line per part.
  returned: failure, not in check mode
  type: list
  elements: str
rolled_back:
  description: Whether the snapshot was restored whole after the failure.
  returned: failure
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.converge import PARTS, ConvergeFailed, converge
from ansible.module_utils.symroute_router.converge_report import CHECK_MODE, NOTHING_CHANGED


def main():
    module = AnsibleModule(
        argument_spec={
            "parts": {"type": "list", "elements": "str", "choices": list(PARTS), "required": True},
            "snapshot": {"type": "dict", "default": {}},
            "sysctl": {"type": "dict", "default": {}},
            "nftables": {"type": "dict", "default": {}},
            "routing": {"type": "dict", "default": {}},
            "verify": {"type": "dict", "default": {}},
            "monitor": {"type": "dict", "default": {}},
            "package_files": {"type": "dict", "default": {}},
            "confirm": {"type": "dict", "default": {}},
            "ha": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    missing = [part for part in module.params["parts"] if not module.params[part]]
    if missing:
        module.fail_json(
            msg=f"symroute_converge: no request for the parts {', '.join(missing)}",
            step="symroute_converge's options",
            restored=[],
            rolled_back=False,
            outcome=CHECK_MODE if module.check_mode else NOTHING_CHANGED,
        )
    try:
        result = converge(module.params, module.check_mode, Runner(), module.warn)
    except ConvergeFailed as error:
        module.fail_json(
            msg=str(error),
            step=error.step,
            outcome=error.outcome,
            restored=error.restored,
            rolled_back=error.rolled_back,
            check_mode=module.check_mode,
            **error.fields,
        )
    if not module._diff:  # the diff holds the rendered files twice: sent back only when asked for (--diff)
        del result["diff"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
