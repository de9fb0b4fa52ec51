#!/usr/bin/python
"""Remove everything symroute installed on the router, and nothing else."""

DOCUMENTATION = r"""
module: symroute_remove
short_description: Remove symroute from a router (monitor, units, rules, routes, nft table, sysctls, files)
description:
  - Stops and disables the link monitor (which puts every link back in service) and the boot unit, puts
    any interface left in the out-of-service group back in the default group, removes the rules of
    symroute's priority band and the routes of every table symroute owned, deletes its nftables table
    and its include line, gives the sysctls symroute changed the values they had before symroute first
    wrote them (as recorded by the sysctl module), and removes its files and directories.
  - On a router of an HA pair (C(paths.ha)), first removes keepalived's notify command, then stops and disables
    keepalived and conntrackd and removes their configuration files, each only when the file's first line
    (after a C(#!) line) is exactly symroute's header line (C(paths.ha.header_line)); a file symroute did
    not write stays, its service too, and C(left) says so. A unit that does not stop fails the module
    before its configuration goes.
  - Leaves everything else alone. Idempotent. In check mode, lists what exists and would go.
options:
  paths:
    description: Where symroute's files are (the roles' defaults; see playbooks/remove.yml).
    type: dict
    required: true
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
- name: Remove symroute
  symroute_remove:
    paths: "{{ symroute_remove_paths }}"
"""

RETURN = r"""
removed:
  description: What was done (or, in check mode, the files and directories that would go).
  returned: always
  type: list
  elements: str
left:
  description: What of an HA pair's files and services stays because it has no symroute header, and why.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import removal
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.nftables import NftError
from ansible.module_utils.symroute_router.routing import ApplyError


def main():
    module = AnsibleModule(argument_spec={"paths": {"type": "dict", "required": True}}, supports_check_mode=True)
    paths = module.params["paths"]
    if module.check_mode:
        found = removal.present(paths)
        module.exit_json(changed=bool(found), removed=found, left=removal.left(paths))
    try:
        done = removal.remove(Runner(), paths)
    except (ApplyError, NftError, OSError, ValueError) as error:
        module.fail_json(msg=f"symroute_remove: {error}")
    module.exit_json(changed=bool(done), removed=done, left=removal.left(paths))


if __name__ == "__main__":
    main()
