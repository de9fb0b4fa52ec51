#!/usr/bin/python
"""Verify on the router that the plan routes as planned (read-only)."""

DOCUMENTATION = r"""
module: symroute_verify
short_description: Verify symroute's routing on the router, or capture the management routes before a change
description:
  - With O(capture=true), reads how the management addresses route now (run before any change).
  - Otherwise checks that each link table routes via its gateway, that each pinned partner's address with
    its link's mark leaves by its link (by another while the link monitor has taken the link out of
    service), and that the management addresses route as before. Read-only; fails with every finding.
options:
  verify:
    description: The plan's C(verify) slice (plan contract version 1).
    type: dict
    required: true
  capture:
    description: Only read the management routes and return them.
    type: bool
    default: false
  management_before:
    description: The routes captured before the change (address to C(ip -json route get) output).
    type: dict
    default: {}
  monitor_state_file:
    description: The link monitor's state file (which links it has taken out of service).
    type: path
    default: /run/symroute/monitor.json
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Returns no details on what has changed.
    support: none
author: symroute maintainers (@symroute)
"""

EXAMPLES = r"""
- name: Verify
  symroute_verify:
    verify: "{{ symroute_verify_request }}"
    management_before: "{{ symroute_verify_captured.management }}"
"""

RETURN = r"""
management:
  description: Address to route (capture).
  returned: capture
  type: dict
observed:
  description: What was read (tables, partners, management).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import contract, verify
from ansible.module_utils.symroute_router.command import Runner


def main():
    module = AnsibleModule(
        argument_spec={
            "verify": {"type": "dict", "required": True},
            "capture": {"type": "bool", "default": False},
            "management_before": {"type": "dict", "default": {}},
            "monitor_state_file": {"type": "path", "default": "/run/symroute/monitor.json"},
        },
        supports_check_mode=True,
    )
    request = module.params["verify"]
    refused = contract.refusal("verify", request)
    if refused:
        module.fail_json(msg=f"symroute_verify: {refused}")
    runner = Runner()
    if module.params["capture"]:
        module.exit_json(changed=False, management=verify.read_management(runner, request["management"]))
    observed, failures = verify.run(
        runner, request, module.params["monitor_state_file"], module.params["management_before"]
    )
    if failures:
        module.fail_json(msg="; ".join(failures), failures=failures, observed=observed)
    module.exit_json(changed=False, observed=observed)


if __name__ == "__main__":
    main()
