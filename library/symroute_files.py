#!/usr/bin/python
"""Write several of symroute's rendered files in one step (units, configuration, scripts)."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.steps import StepFailed, files_step

DOCUMENTATION = r"""
module: symroute_files
short_description: Write symroute's rendered files on the router in one step, each only when it differs
description:
  - Each file is written atomically (a temporary file renamed into place) only when its content or mode
    differs. One task instead of one template task per file, so a converge makes fewer round trips.
  - Also reports whether the router runs systemd, so roles need no fact gathering to decide how to run
    services.
options:
  files:
    description: The files, each with C(path), C(content) and C(mode) (an octal string such as C("0644")).
    type: list
    elements: dict
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: symroute
"""

EXAMPLES = r"""
- name: The monitor's configuration and unit
  symroute_files:
    files:
      - {path: /etc/symroute/monitor.json, content: "{{ lookup('ansible.builtin.template', 'monitor.json.j2') }}", mode: "0644"}
"""

RETURN = r"""
written:
  description: Paths written (or that would be written in check mode).
  returned: always
  type: list
  elements: str
systemd:
  description: Whether the router runs systemd (/run/systemd/system exists).
  returned: always
  type: bool
check_mode:
  description: Whether the task ran in check mode (also when set by the task's C(check_mode) keyword).
  returned: always
  type: bool
"""


def main():
    module = AnsibleModule(argument_spec={"files": {"type": "list", "elements": "dict", "required": True}},
                           supports_check_mode=True)
    try:
        result = files_step.run(module.params["files"], module.check_mode)
    except StepFailed as error:
        module.fail_json(msg=f"symroute_files: {error}", **error.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
