#!/usr/bin/python
"""Reconcile symroute's ip rules and link-table routes with the plan (add first, then remove)."""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import contract, routing
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.files import read_text, runs_systemd, write_atomically
from ansible.module_utils.symroute_router.ipforms import route_text, rule_text

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


def _texts(changes):
    """The changes as the lines a person reads: "ipv4 pref 10200 fwmark ... lookup 200"."""
    return {key: [f"ipv{item['family']} " + (rule_text(item) if key.endswith("rules") else route_text(item))
                  for item in items] for key, items in changes.items()}


def _lines(texts):
    return "".join(f"{text}\n" for text in sorted(texts))


def main():
    module = AnsibleModule(argument_spec={"routing": {"type": "dict", "required": True},
                                          "state_path": {"type": "path", "required": True},
                                          "table_names_path": {"type": "path", "required": True},
                                          "table_names": {"type": "str", "required": True},
                                          "boot_unit": {"type": "dict", "default": {}}},
                           supports_check_mode=True)
    state = module.params["routing"]
    refused = contract.refusal("routing", state)
    if refused:
        module.fail_json(msg=f"symroute_routing: {refused}")
    runner = Runner()
    raw_changes = routing.diff(state, routing.read_live(runner, state))
    pending = routing.pending(runner, state, raw_changes)
    # A link whose interface is not there waits: its routes are not a change anyone could make now.
    waiting = {str(table) for table, status in pending.items() if status.startswith("waiting for interface")}
    changes = _texts({key: [item for item in items if not (key.endswith("routes") and str(item["table"]) in waiting)]
                      for key, items in raw_changes.items()})
    state_text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    files = [(module.params["state_path"], state_text, 0o600),
             (module.params["table_names_path"], module.params["table_names"], 0o644)]
    if module.params["boot_unit"]:
        files.append((module.params["boot_unit"]["path"], module.params["boot_unit"]["content"], 0o644))
    files_changed = [path for path, text, _ in files if read_text(path) != text]
    changed = bool(files_changed) or any(changes.values())
    result = {"changes": changes, "files": files_changed, "systemd": runs_systemd(), "check_mode": module.check_mode}
    if not module.check_mode:
        for path, text, mode in files:
            write_atomically(path, text, mode=mode)
        try:
            applied = routing.apply(runner, state, lock_path=routing.LOCK_FILE)
        except routing.ApplyError as error:
            module.fail_json(msg=f"symroute_routing: {error}", changes=changes)
        result["links"] = applied["links"]
        for table, status in sorted(applied["links"].items(), key=lambda item: str(item[0])):
            if str(status).startswith("waiting for interface"):
                module.warn(f"symroute_routing: table {table} is {status} (the link monitor installs it when "
                            f"the interface appears)")
    else:
        result["links"] = pending
    before = _lines(changes["remove_rules"] + changes["remove_routes"])
    after = _lines(changes["add_rules"] + changes["add_routes"])
    result["diff"] = {"before": before, "after": after, "before_header": "rules and routes removed",
                      "after_header": "rules and routes added"}
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
