#!/usr/bin/python
"""Plan every router of an inventory from its files (controller side; read-only)."""

import json
import sys

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: symroute_inventory_plan
short_description: Validate an inventory and compute every router's symroute plan, from the files as written
description:
  - Runs C(python -m symroute plan), the loader of C(bin/symroute plan) (only the YAML and INI
    inventory plugins; nothing is templated, an executable file is refused), validates every router
    and returns the plans and their content digest.
  - >-
    Run it on the controller with the Python that has the plan engine (C(delegate_to: localhost),
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}")). It never changes anything, so
    check mode is exact.
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


def _plan(module, sources, group):
    """The review document of `python -m symroute plan` (the CLI's own loader) over the sources."""
    command = [sys.executable, "-I", "-m", "symroute", "plan", "--format", "json", "--group", group]
    for source in sources:
        command += ["--inventory", source]
    status, stdout, stderr = module.run_command(command)
    try:
        document = json.loads(stdout)
    except ValueError:
        module.fail_json(msg=f"symroute: the plan engine failed (exit {status}): {stderr.strip()[:2000]}",
                         problems=[])
    return document


def main():
    module = AnsibleModule(
        argument_spec={
            "sources": {"type": "list", "elements": "path", "required": True},
            "group": {"type": "str", "default": "symroute_routers"},
            "expected_digest": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    document = _plan(module, module.params["sources"], module.params["group"])
    if not document["valid"]:
        count = len(document["problems"])
        module.fail_json(msg="\n".join([f"symroute: the inventory has {count} problem{'s' if count != 1 else ''}:"]
                                       + [f"  - {problem}" for problem in document["problems"]]),
                         problems=document["problems"])
    digest, expected = document["digest"], module.params["expected_digest"]
    if expected and expected != digest:
        module.fail_json(msg=f"symroute: the plan's digest is {digest}, not the reviewed {expected}: the inventory "
                             "changed since the review; nothing was applied", digest=digest, problems=[])
    module.exit_json(changed=False, plans=document["routers"], digest=digest, plan_warnings=document["warnings"])


if __name__ == "__main__":
    main()
