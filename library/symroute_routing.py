#!/usr/bin/python
"""Reconcile symroute's ip rules and link-table routes with the plan (add first, then remove)."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.steps import StepFailed, routing_step

DOCUMENTATION = r"""
module: symroute_routing
short_description: symroute's ip rules (its priority band) and the routes of its link tables
description:
  - Reads the live rules in symroute's band (the link monitor's sub-bands excepted) and the routes of
    symroute's tables, and shows the exact difference with the plan. Not in check mode, writes the
    state file (the boot unit applies it at boot) and the table names, then adds what is missing before
    removing what is extra, link by link, and reads the live state again.
  - A link whose interface is absent or down does not stop the others; its status says so.
options:
  routing:
    description: The plan's C(routing) slice (plan contract version 1).
    type: dict
    required: true
  state_path:
    description: The state file the boot unit applies.
    type: path
    required: true
  table_names_path:
    description: iproute2 table names file of symroute's tables.
    type: path
    required: true
  table_names:
    description: Its content, rendered by the role.
    type: str
    required: true
  boot_unit:
    description: >-
      The systemd unit that applies the state file at boot, as C(path) and C(content); written like the
      state file. Empty for none.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: symroute
"""

EXAMPLES = r"""
- name: Rules and routes
  symroute_routing:
    routing: "{{ symroute_routing_state }}"
    state_path: /etc/symroute/routing.json
    table_names_path: /etc/iproute2/rt_tables.d/symroute.conf
    table_names: "{{ lookup('ansible.builtin.template', 'rt_tables.conf.j2') }}"
"""

RETURN = r"""
changes:
  description: Rules and routes added and removed (C(add_rules), C(remove_rules), C(add_routes), C(remove_routes)).
  returned: always
  type: dict
systemd:
  description: Whether the router runs systemd (the boot unit then needs enabling).
  returned: always
  type: bool
check_mode:
  description: Whether the task ran in check mode (also when set by the task's C(check_mode) keyword).
  returned: always
  type: bool
links:
  description: >-
    Per link table: C(installed), C(waiting for interface ...) or C(failed: <the kernel's message>); in check
    mode C(installed), C(waiting for interface ...) or C(would change).
  returned: always
  type: dict
"""


def main():
    module = AnsibleModule(argument_spec={"routing": {"type": "dict", "required": True},
                                          "state_path": {"type": "path", "required": True},
                                          "table_names_path": {"type": "path", "required": True},
                                          "table_names": {"type": "str", "required": True},
                                          "boot_unit": {"type": "dict", "default": {}}},
                           supports_check_mode=True)
    try:
        result = routing_step.run(module.params, module.check_mode, Runner(),
                                  lambda text: module.warn(f"symroute_routing: {text}"))
    except StepFailed as error:
        module.fail_json(msg=f"symroute_routing: {error}", **error.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
