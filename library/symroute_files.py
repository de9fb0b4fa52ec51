#!/usr/bin/python
"""Write several of symroute's rendered files in one step (units, configuration, scripts)."""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.files import mode_of, read_text, runs_systemd, write_atomically

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
    written, diffs = [], []
    for item in module.params["files"]:
        path, content, mode = item.get("path"), item.get("content"), int(str(item.get("mode", "0644")), 8)
        if not isinstance(path, str) or not os.path.isabs(path) or not isinstance(content, str):
            module.fail_json(msg=f"symroute_files: each file needs an absolute path and a content: {item!r:.200}")
        before = read_text(path)
        if before == content and mode_of(path) == mode:
            continue
        written.append(path)
        diffs.append({"before": before or "", "after": content, "before_header": path, "after_header": path})
        if not module.check_mode:
            write_atomically(path, content, mode=mode)
    module.exit_json(changed=bool(written), written=written, diff=diffs, systemd=runs_systemd(),
                     check_mode=module.check_mode)


if __name__ == "__main__":
    main()
