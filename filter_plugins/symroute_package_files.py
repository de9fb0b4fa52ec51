"""The symroute_package_files filter: the router package's files, read on the controller."""

from pathlib import Path

from ansible.errors import AnsibleFilterError

DOCUMENTATION = """
  name: symroute_package_files
  short_description: read symroute's router package (module_utils/symroute_router) into a mapping
  description:
    - Returns every C(.py) and C(.json) file under the package directory as relative path to content,
      in path order, for the symroute_package module, which installs them on the router.
  positional: _input
  options:
    _input:
      description: The package directory on the controller.
      type: path
      required: true
"""

EXAMPLES = """
- name: Install the router package
  symroute_package:
    dest: /usr/local/lib/symroute
    files: "{{ (role_path ~ '/../../module_utils/symroute_router') | symroute_package_files }}"
"""

RETURN = """
  _value:
    description: Relative path (posix) to file content.
    type: dict
"""

SUFFIXES = (".py", ".json")


def symroute_package_files(directory):
    root = Path(directory).resolve()
    if not (root / "__init__.py").is_file():
        raise AnsibleFilterError(f"symroute_package_files: {root} is not symroute's router package")
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*"))
            if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in path.parts}


class FilterModule:
    """symroute's package filter."""

    def filters(self):
        return {"symroute_package_files": symroute_package_files}
