#!/usr/bin/python
"""Install symroute's router package on the router (the boot unit and the link monitor run it)."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.steps import StepFailed, package_step

DOCUMENTATION = r"""
module: symroute_package
short_description: Install symroute's router package (module_utils/symroute_router) on the router
description:
  - Writes the package's files under O(dest), each only when its content differs, and removes
    Python files of an earlier version that are no longer part of it. The boot unit
    (C(python3 -m symroute_router apply)) and the link monitor (C(python3 -m symroute_router.monitor))
    run this copy; the Ansible modules run the same code from their own bundle.
options:
  dest:
    description: Directory that holds the C(symroute_router) package (it is put on C(PYTHONPATH)).
    type: path
    required: true
  files:
    description: Relative path (inside the package) to content, as read on the controller.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: symroute
"""

EXAMPLES = r"""
- name: Install the router package
  symroute_package:
    dest: /usr/local/lib/symroute
    files: "{{ symroute_routing_package_files }}"
"""

RETURN = r"""
written:
  description: Files written (relative to the package).
  returned: always
  type: list
  elements: str
removed:
  description: Files of an earlier version removed.
  returned: always
  type: list
  elements: str
"""


def main():
    module = AnsibleModule(argument_spec={"dest": {"type": "path", "required": True},
                                          "files": {"type": "dict", "required": True}},
                           supports_check_mode=True)
    try:
        result = package_step.run(module.params, module.check_mode)
    except StepFailed as error:
        module.fail_json(msg=f"symroute_package: {error}", **error.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
