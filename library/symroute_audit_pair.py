#!/usr/bin/python
"""The pair-level audit of an HA pair: one master, the peer reachable, the conntrack caches in sync."""

DOCUMENTATION = r"""
module: symroute_audit_pair
short_description: Check an HA pair as a whole after each of its routers' audits (read-only)
description:
  - Takes the audits (symroute_audit's C(report) and C(ha_entries), symroute_ha_cache's C(entries) of the
    internal cache read before and after) of both routers of an HA pair and checks the pair as a whole; runs
    on the controller (delegate_to localhost), reading nothing on the routers.
  - Exactly one master, the router holding the shared addresses (both holding some are split brain, neither
    a pair without a master; VRRP states that disagree with the addresses a finding), each router's peer
    reachable over the sync link, and the conntrack caches in sync (every settled entry of symroute's traffic
    in both reads of the master's internal cache present in the backup's external cache, read in between,
    compared by original tuple).
  - Returns the router's report with a C(pair) section and the pair's findings, and its Markdown. When the
    peer was not audited in the same run (C(-l) one router), the section says the pair was not checked.
options:
  router:
    description: The router whose report this is.
    type: str
    required: true
  pair:
    description: The pair's name.
    type: str
    required: true
  audits:
    description: >-
      The pair's routers' audits in this run, by router name (each C(report) and C(ha_entries) of
      symroute_audit, C(first) and C(last) the C(entries) of symroute_ha_cache's internal reads before and
      after it); a router left out of the run is absent.
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
- name: Check the pair
  symroute_audit_pair:
    router: "{{ inventory_hostname }}"
    pair: "{{ symroute_plan.ha.pair }}"
    audits: "{{ {inventory_hostname: __symroute_verify_ha_reads} }}"
  delegate_to: localhost
"""

RETURN = r"""
report:
  description: The router's audit report with C(pair) (C(checked), C(states), C(master), C(caches)) and its findings.
  returned: always
  type: dict
markdown:
  description: The same report for people.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import audit_pair, audit_report


def main():
    module = AnsibleModule(
        argument_spec={
            "router": {"type": "str", "required": True},
            "pair": {"type": "str", "required": True},
            "audits": {"type": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    router, audits = module.params["router"], module.params["audits"]
    if not isinstance(audits.get(router), dict) or "report" not in audits[router]:
        module.fail_json(msg=f"symroute_audit_pair: no audit of {router} was given")
    routers = {
        name: {
            "report": audit["report"],
            "entries": audit["ha_entries"],
            "first": audit.get("first"),
            "last": audit.get("last"),
        }
        for name, audit in sorted(audits.items())
        if isinstance(audit, dict) and "report" in audit and isinstance(audit.get("ha_entries"), dict)
    }
    report = audit_pair.extend(audits[router]["report"], module.params["pair"], routers)
    module.exit_json(changed=False, report=report, markdown=audit_report.markdown(router, report))


if __name__ == "__main__":
    main()
