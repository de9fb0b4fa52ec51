#!/usr/bin/python
"""Write symroute's sysctl.d file and set the live values from it (exact check mode and diff)."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import contract, sysctl
from ansible.module_utils.symroute_router.files import read_text, write_atomically

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
    refused = contract.refusal("sysctls", module.params["sysctls"])
    if refused:
        module.fail_json(msg=f"symroute_sysctl: {refused}")
    wanted = {item["name"]: str(item["value"]) for item in module.params["sysctls"]["sysctls"]}
    live = sysctl.read(list(wanted))
    waiting = sysctl.waiting(live)
    missing = sorted(name for name, value in live.items() if value is None and name not in waiting)
    if missing:
        module.fail_json(msg=f"symroute_sysctl: the kernel has no {', '.join(missing)}")
    wanted = {name: value for name, value in wanted.items() if name not in waiting}
    for interface in sorted(set(waiting.values())):
        module.warn(f"symroute_sysctl: interface {interface} is not there: its keys wait for it "
                    f"(they apply when it appears)")
    changes = sysctl.diff(wanted, live)
    path, content = module.params["path"], module.params["content"]
    before_file = read_text(path)
    file_changed = before_file != content
    if not module.check_mode:
        if changes:
            sysctl.remember_originals(live)
        if file_changed:
            write_atomically(path, content, mode=0o644)
        sysctl.apply(wanted)
    diff = [{"before": "".join(f"{name} = {live[name]}\n" for name in sorted(wanted)),
             "after": "".join(f"{name} = {wanted[name]}\n" for name in sorted(wanted)),
             "before_header": "live sysctls", "after_header": "planned sysctls"},
            {"before": before_file or "", "after": content, "before_header": path, "after_header": path}]
    module.exit_json(changed=bool(changes) or file_changed, changed_values=changes, diff=diff,
                     waiting=[f"{name} (waiting for interface {interface})"
                              for name, interface in sorted(waiting.items())])


if __name__ == "__main__":
    main()
