#!/usr/bin/python
"""Write symroute's sysctl.d file and set the live values from it (exact check mode and diff)."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.steps import StepFailed, sysctl_step

DOCUMENTATION = r"""
module: symroute_sysctl
short_description: symroute's kernel settings, in its own sysctl.d file and live
description:
  - Compares the live values of the plan's sysctls and symroute's sysctl.d file with the plan,
    then (not in check mode) writes the file and sets the values that differ.
  - Check mode reads only; on a router symroute never configured it reports every value.
options:
  sysctls:
    description: The plan's C(sysctls) slice (plan contract version 1).
    type: dict
    required: true
  path:
    description: symroute's sysctl.d file.
    type: path
    required: true
  content:
    description: The file's content, rendered by the role.
    type: str
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: symroute
"""

EXAMPLES = r"""
- name: Kernel settings
  symroute_sysctl:
    sysctls: {contract_version: 1, sysctls: "{{ symroute_sysctl_plan.sysctls }}"}
    path: /etc/sysctl.d/90-symroute.conf
    content: "{{ lookup('ansible.builtin.template', '90-symroute.conf.j2') }}"
"""

RETURN = r"""
changed_values:
  description: "C(name: old -> new) for each live value that differs (or differed) from the plan."
  returned: always
  type: list
  elements: str
waiting:
  description: >-
    The per-interface keys not applied because their interface is not there (an LTE or PPPoE device
    that comes and goes); they are in the sysctl.d file and apply when the interface appears.
  returned: always
  type: list
  elements: str
"""


def main():
    module = AnsibleModule(argument_spec={"sysctls": {"type": "dict", "required": True},
                                          "path": {"type": "path", "required": True},
                                          "content": {"type": "str", "required": True}},
                           supports_check_mode=True)
    try:
        result = sysctl_step.run(module.params, module.check_mode, lambda text: module.warn(f"symroute_sysctl: {text}"))
    except StepFailed as error:
        module.fail_json(msg=f"symroute_sysctl: {error}", **error.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
