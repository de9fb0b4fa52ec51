#!/usr/bin/python
"""Install symroute's router package on the router (the boot unit and the link monitor run it)."""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.files import read_text, remove, write_atomically

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

PACKAGE = "symroute_router"


def _stray(root, wanted):
    """Python files under the installed package that the new version does not have."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), root)
            if name.endswith((".py", ".json")) and relative not in wanted:
                found.append(relative)
    return sorted(found)


def main():
    module = AnsibleModule(argument_spec={"dest": {"type": "path", "required": True},
                                          "files": {"type": "dict", "required": True}},
                           supports_check_mode=True)
    root = os.path.join(module.params["dest"], PACKAGE)
    files = module.params["files"]
    for relative in files:
        if relative.startswith("/") or ".." in relative.split("/"):
            module.fail_json(msg=f"symroute_package: {relative!r} is not a path inside the package")
    written = sorted(relative for relative, content in files.items()
                     if read_text(os.path.join(root, relative)) != content)
    removed = _stray(root, set(files)) if os.path.isdir(root) else []
    if not module.check_mode:
        for relative in written:
            write_atomically(os.path.join(root, relative), files[relative], mode=0o644)
        for relative in removed:
            remove(os.path.join(root, relative))
    diff = {"before": "".join(f"{r}\n" for r in written + removed if os.path.exists(os.path.join(root, r))),
            "after": "".join(f"{r}\n" for r in written), "before_header": root, "after_header": root}
    module.exit_json(changed=bool(written or removed), written=written, removed=removed, diff=diff)


if __name__ == "__main__":
    main()
