#!/usr/bin/python
"""Plan every router of an inventory from its files (controller side; read-only)."""

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
  - >-
    The planned inventory is O(sources), unless the controller's environment variable
    C(SYMROUTE_PLAN_INVENTORY) names a directory (a relative path is taken from O(working_directory);
    set but empty, or not a directory, fails). It is read from the environment by the module itself,
    never through a template, so no inventory can set it. AWX / Automation Platform need it: they hand
    the run a generated inventory script, which the loader refuses as code.
  - >-
    With C(SYMROUTE_PLAN_INVENTORY), the run's inventory (O(sources)) must also agree with the planned
    one for every variable the roles read: for every host of O(group) that the planned inventory
    holds, its C(symroute_*) variables, read as raw data with C(ansible-inventory --list) (nothing
    templated), must equal the planned inventory's as written. Every disagreement is listed, one per
    router and variable, and the module fails. A host of the run that the planned inventory does not
    hold is left to the caller (C(playbooks/plan.yml) stops the run for it).
  - >-
    It returns the plans' RV(digest); C(playbooks/plan.yml) compares it with the reviewed one in a task
    of its own, after this module has proven that the inventory does not set
    C(symroute_expected_plan_digest).
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
  working_directory:
    description:
      - >-
        The directory ansible-playbook runs in (a local module runs in the playbook's directory instead):
        a relative C(SYMROUTE_PLAN_INVENTORY) is taken from it, and C(ansible-inventory) runs in it (so it
        reads the run's C(ansible.cfg)). C(playbooks/plan.yml) passes
        C("{{ '.' | ansible.builtin.realpath }}"): a filter, which no inventory variable can stand in for.
      - Empty is the module's own working directory.
    type: path
    default: ""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Returns no details on what has changed.
    support: none
author: symroute maintainers (@symroute)
"""

EXAMPLES = r"""
- name: Plan every router from the inventory's files
  symroute_inventory_plan:
    sources: "{{ ansible_inventory_sources }}"
    working_directory: "{{ '.' | ansible.builtin.realpath }}"
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
planned_sources:
  description: The inventory sources planned (C(SYMROUTE_PLAN_INVENTORY) as an absolute path, or O(sources)).
  returned: always
  type: list
  elements: str
plan_warnings:
  description: The plans' warnings (redundant prefixes and the like).
  returned: success
  type: list
  elements: str
problems:
  description: Every problem of every router, when the inventory is invalid or the run's inventory disagrees.
  returned: failure
  type: list
  elements: str
"""

import json
import os
import re
import sys

from ansible.module_utils.basic import AnsibleModule

PLANNED_INVENTORY = "SYMROUTE_PLAN_INVENTORY"
NAME_PREFIX = "symroute_"
_MISSING = object()
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# The planned inventory's symroute_* variables per router, as written (the CLI's loader), as JSON.
_PLANNED_VARIABLES = (
    "import json, sys\n"
    "from symroute.ansible_inventory import load_inventory\n"
    "routers = load_inventory(sys.argv[1], group=sys.argv[2]).routers\n"
    "sys.stdout.write(json.dumps(routers, sort_keys=True, default=repr))\n"
)


def _shown(name):
    return name if isinstance(name, str) and _PLAIN_NAME.fullmatch(name) else json.dumps(name)[:100]


def _planned_directory(module, working_directory):
    """SYMROUTE_PLAN_INVENTORY as an absolute directory, or None when it is not set."""
    value = os.environ.get(PLANNED_INVENTORY)
    if value is None:
        return None
    if not value.strip():
        module.fail_json(
            msg=f"symroute: {PLANNED_INVENTORY} is set but empty: set it to the reviewed inventory "
            "directory (inventories/production) or unset it; nothing was applied",
            problems=[],
            planned_sources=[],
        )
    directory = os.path.realpath(os.path.join(working_directory, value))
    if not os.path.isdir(directory):
        module.fail_json(
            msg=f"symroute: {PLANNED_INVENTORY}={json.dumps(value)[:300]} is not a directory "
            f"(a relative path is taken from {json.dumps(working_directory)}); nothing was applied",
            problems=[],
            planned_sources=[],
        )
    return directory


def _run_json(module, command, what, must_succeed, cwd=None):
    """The JSON a command prints; fails the module with its exit and error output otherwise."""
    status, stdout, stderr = module.run_command(command, cwd=cwd)
    if status == 0 or not must_succeed:
        try:
            return json.loads(stdout)
        except ValueError:
            pass
    module.fail_json(msg=f"symroute: {what} failed (exit {status}): {stderr.strip()[:2000]}", problems=[])
    return None


def _plan(module, sources, group):
    """The review document of `python -m symroute plan` (the CLI's own loader) over the sources."""
    command = [sys.executable, "-I", "-m", "symroute", "plan", "--format", "json", "--group", group]
    for source in sources:
        command += ["--inventory", source]
    return _run_json(module, command, "the plan engine", must_succeed=False)


def _group_hosts(document, group, seen):
    """The hosts of ``group`` and of its children, in ``ansible-inventory --list`` output."""
    entry = document.get(group)
    if group in seen or not isinstance(entry, dict):
        return set()
    seen.add(group)
    hosts = set(entry.get("hosts") or [])
    for child in entry.get("children") or []:
        hosts |= _group_hosts(document, child, seen)
    return hosts


def run_variables(module, sources, group, working_directory):
    """{host: its symroute_* variables} for the hosts of ``group`` in the run's inventory, as raw data.

    ``ansible-inventory --list`` of the same ansible-core, with the run's environment and working
    directory (so the same ansible.cfg and inventory plugins as the run): it merges each host's
    variables as the run does and templates nothing.
    """
    command = [sys.executable, "-I", "-m", "ansible.cli.inventory", "--list"]
    for source in sources:
        command += ["-i", source]
    document = _run_json(
        module, command, "ansible-inventory --list (the run's inventory)", must_succeed=True, cwd=working_directory
    )
    hostvars = (document.get("_meta") or {}).get("hostvars") or {}
    return {
        host: {
            name: value
            for name, value in (hostvars.get(host) or {}).items()
            if isinstance(name, str) and name.startswith(NAME_PREFIX)
        }
        for host in _group_hosts(document, group, set())
    }


def disagreements(run, planned, directory):
    """One problem per router and variable where the run's inventory and the planned one differ."""
    problems = []

    def canonical(value):
        return value if value is _MISSING else json.dumps(value, sort_keys=True, default=repr)

    for router in sorted(set(run) & set(planned)):
        for name in sorted(set(run[router]) | set(planned[router])):
            given, written = run[router].get(name, _MISSING), planned[router].get(name, _MISSING)
            if canonical(given) == canonical(written):
                continue
            what = (
                "gives a value the planned inventory ({}) does not"
                if given is not _MISSING
                else "does not give it; the planned inventory ({}) does"
            ).format(directory)
            problems.append(f"router {json.dumps(router)}: variable {_shown(name)}: the run's inventory {what}")
    return problems


def main():
    module = AnsibleModule(
        argument_spec={
            "sources": {"type": "list", "elements": "path", "required": True},
            "group": {"type": "str", "default": "symroute_routers"},
            "working_directory": {"type": "path", "default": ""},
        },
        supports_check_mode=True,
    )
    sources, group = module.params["sources"], module.params["group"]
    working_directory = module.params["working_directory"] or os.getcwd()
    directory = _planned_directory(module, working_directory)
    planned_sources = [directory] if directory else sources
    document = _plan(module, planned_sources, group)
    if not document["valid"]:
        # The problems once, in the result (Ansible prints msg twice: as the error and in the result); the
        # task's own location that Ansible adds is not where they are: each problem names its file and line.
        count = len(document["problems"])
        module.fail_json(
            msg=f"symroute: the inventory has {count} problem{'s' if count != 1 else ''} (under "
            "'problems' below, each with its inventory file and line); nothing was applied",
            problems=document["problems"],
            planned_sources=planned_sources,
        )
    if directory:
        planned = _run_json(
            module,
            [sys.executable, "-I", "-c", _PLANNED_VARIABLES, directory, group],
            "the plan engine's loader",
            must_succeed=True,
        )
        problems = disagreements(run_variables(module, sources, group, working_directory), planned, directory)
        if problems:
            module.fail_json(
                msg="\n".join(
                    [
                        f"symroute: the run's inventory disagrees with the planned inventory "
                        f"({directory}) for what the roles read; nothing was applied:"
                    ]
                    + [f"  - {problem}" for problem in problems]
                ),
                problems=problems,
                planned_sources=planned_sources,
            )
    module.exit_json(
        changed=False,
        plans=document["routers"],
        digest=document["digest"],
        plan_warnings=document["warnings"],
        planned_sources=planned_sources,
    )


if __name__ == "__main__":
    main()
