#!/usr/bin/python
"""Plan every router of an inventory from its files (controller side; read-only)."""

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: symroute_inventory_plan
short_description: Validate an inventory and compute every router's symroute plan, from the files as written
description:
  - Loads the inventory sources with the same loader as C(bin/symroute plan) (only the YAML and INI
    inventory plugins; nothing is templated, an executable file is refused), validates every router
    and returns the plans and their content digest.
  - Run it on the controller (C(hosts: localhost)). It never changes anything, so check mode is exact.
  - With O(expected_digest), it fails unless the plans are exactly the ones reviewed.
version_added: "0.10.0"
options:
  sources:
    description: The inventory sources of the run (the magic variable C(ansible_inventory_sources)).
    type: list
    elements: path
    required: true
  group:
    description: The inventory group of the routers.
    type: str
    default: symroute_routers
  expected_digest:
    description:
      - The plan digest printed by the pull-request review (C(sha256:...)). Empty accepts any plan.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: symroute
"""

EXAMPLES = r"""
- name: Plan every router from the inventory's files
  symroute_inventory_plan:
    sources: "{{ ansible_inventory_sources }}"
    expected_digest: "{{ symroute_expected_plan_digest | default('') }}"
  register: symroute_inventory
"""

RETURN = r"""
plans:
  description: Router name to plan.
  returned: success
  type: dict
digest:
  description: The content digest of all plans (C(sha256:...)), as in the pull-request review.
  returned: always, when the inventory is valid
  type: str
plan_warnings:
  description: The plans' warnings (redundant prefixes and the like).
  returned: success
  type: list
  elements: str
problems:
  description: Every problem of every router, when the inventory is invalid.
  returned: failure
  type: list
  elements: str
"""


def main():
    module = AnsibleModule(
        argument_spec={
            "sources": {"type": "list", "elements": "path", "required": True},
            "group": {"type": "str", "default": "symroute_routers"},
            "expected_digest": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    # The plan engine is installed in the controller's virtualenv (bin/run setup).
    from symroute.ansible_inventory import load_inventory
    from symroute.errors import InventoryError
    from symroute.planning import plan_digest, plan_routers

    group = module.params["group"]
    try:
        plans = plan_routers(load_inventory(module.params["sources"], group=group).routers)
    except InventoryError as error:
        module.fail_json(msg=error.describe(), problems=[str(problem) for problem in error.problems])
    if not plans:
        module.fail_json(msg=f"symroute: no hosts in group '{group}'", problems=[])
    digest = plan_digest(plans)
    expected = module.params["expected_digest"]
    if expected and expected != digest:
        module.fail_json(msg=f"symroute: the plan's digest is {digest}, not the reviewed {expected}: the inventory "
                             "changed since the review; nothing was applied", digest=digest, problems=[])
    warnings = [warning for plan in plans.values() for warning in plan["warnings"]]
    module.exit_json(changed=False, plans=plans, digest=digest, plan_warnings=warnings)


if __name__ == "__main__":
    main()
