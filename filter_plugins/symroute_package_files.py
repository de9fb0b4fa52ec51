"""The symroute_package_files filter: the router package's files, read on the controller."""

from pathlib import Path

from ansible.errors import AnsibleFilterError

DOCUMENTATION = """
  name: symroute_package_files
  short_description: read symroute's router package (module_utils/symroute_router) into a mapping
  description:
    - Returns every C(.py) and C(.json) file of the named package as relative path to content, in path
      order, for symroute_converge, whose routing and monitor parts install them on the router.
    - The package is found beside this plugin, in C(../module_utils/<name>), which is the same in the
      repository (C(filter_plugins/) and C(module_utils/)) and in the collection (C(plugins/filter/) and
      C(plugins/module_utils/)), so the roles need no path of their own.
  positional: _input
  options:
    _input:
      description: The package's name (a directory of module_utils beside this plugin).
      type: str
      required: true
"""

EXAMPLES = """
- name: Install the link monitor and the router package it runs
  symroute_converge:
    parts: [monitor]
    monitor: "{{ symroute_monitor_request }}"
    package_files: "{{ 'symroute_router' | symroute_package_files }}"
"""

RETURN = """
  _value:
    description: Relative path (posix) to file content.
    type: dict
"""

# filter_plugins/ -> module_utils/ in the repository, plugins/filter/ -> plugins/module_utils/ in the collection.
MODULE_UTILS = Path(__file__).resolve().parent.parent / "module_utils"
SUFFIXES = (".py", ".json")


def symroute_package_files(name):
    if not isinstance(name, str) or not name.isidentifier():
        raise AnsibleFilterError(f"symroute_package_files: {name!r} is not a package name")
    root = MODULE_UTILS / name
    if not (root / "__init__.py").is_file():
        raise AnsibleFilterError(f"symroute_package_files: {root} is not symroute's router package")
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in path.parts
    }


class FilterModule:
    """symroute's package filter."""

    def filters(self):
        return {"symroute_package_files": symroute_package_files}
