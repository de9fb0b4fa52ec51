#!/usr/bin/python
"""Read one of conntrackd's caches on a router of an HA pair for the pair-level audit (read-only)."""

DOCUMENTATION = r"""
module: symroute_ha_cache
short_description: Read one conntrackd cache of a router of an HA pair for the pair's audit (read-only)
description:
  - Dumps conntrackd's internal (C(-i)) or external (C(-e)) cache and returns the original tuples the
    pair-level check (symroute_audit_pair) compares; in the internal cache only symroute's connections at
    least a few seconds old.
  - playbooks/audit.yml reads the internal cache of every router of a pair before and after the audit reads
    the external one, so that the check compares only connections alive across the backup's read.
options:
  audit:
    description: The plan's C(audit) slice (its mark mask and links' marks tell symroute's connections).
    type: dict
    required: true
  ha:
    description: The plan's C(ha) section.
    type: dict
    required: true
  cache:
    description: Which cache.
    type: str
    choices: [internal, external]
    default: internal
  digests:
    description: Return the tuples' short digests instead (a read the pair-level check only looks tuples up in).
    type: bool
    default: false
  conntrackd_config:
    description: conntrackd's configuration (its control socket is read from it).
    type: path
    default: /etc/conntrackd/conntrackd.conf
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
- name: Read the internal cache
  symroute_ha_cache:
    audit: "{{ __symroute_verify_audit_request }}"
    ha: "{{ symroute_verify_plan.ha }}"
    cache: internal
"""

RETURN = r"""
entries:
  description: >-
    C(tuples) (sorted original tuples, or their digests with O(digests)), C(young) (internal entries left
    out as too new), C(errors) (why the dump cannot be trusted: conntrackd failed, lines it could not
    parse, entries beyond what it reads).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import audit_ha, ha_read
from ansible.module_utils.symroute_router.command import Runner


def main():
    module = AnsibleModule(
        argument_spec={
            "audit": {"type": "dict", "required": True},
            "ha": {"type": "dict", "required": True},
            "cache": {"type": "str", "choices": ["internal", "external"], "default": "internal"},
            "digests": {"type": "bool", "default": False},
            "conntrackd_config": {"type": "path", "default": ha_read.CONNTRACKD_CONFIG},
        },
        supports_check_mode=True,
    )
    cache = module.params["cache"]
    dump = ha_read.dump(Runner(), cache, module.params["conntrackd_config"])
    entries = audit_ha.cache_entries(dump, module.params["audit"], module.params["ha"], cache, module.params["digests"])
    module.exit_json(changed=False, entries=entries)


if __name__ == "__main__":
    main()
