#!/usr/bin/python
"""Audit a router against its plan (read-only): paths, connections, the monitor's view, drift."""

DOCUMENTATION = r"""
module: symroute_audit
short_description: Audit symroute on a router against its plan (read-only)
description:
  - Reads, per partner and family, the link a new connection with the partner's mark takes now and its
    source address, and compares it with the pinned link and the links' states as the kernel holds them
    (in service, out of service in the monitor's interface group, without carrier, missing).
  - Groups the live connections (conntrack) of each partner by the link they are bound to, reads the link
    monitor's state file, and turns the converge's check-mode parts (O(drift)) into drift findings.
  - Returns the report and its Markdown; never changes anything and never fails because of a finding
    (the playbook decides), so it runs the same in check mode.
options:
  audit:
    description: The plan's C(audit) slice (plan contract version 1).
    type: dict
    required: true
  drift:
    description:
      - >-
        What symroute_converge found in check mode on this router (its C(parts)): C(routing),
        C(nftables), C(sysctl), and C(monitor) (what of the monitor would change: its code, its files,
        its service, the systemd-networkd drop-in).
    type: dict
    default: {}
  router:
    description: The router's name in the report.
    type: str
    required: true
  ha:
    description:
      - The plan's C(ha) section, for a router of an HA pair (empty for a router alone). The report then has
        an C(ha) section (VRRP state, yield, keepalived and conntrackd, the peer over the sync link, the shared
        addresses held, conntrackd's cache counts) and its findings, and C(ha_entries) (the external cache's
        entries, read between symroute_ha_cache's two reads of the internal one) is returned for the
        pair-level check (symroute_audit_pair).
    type: dict
    default: {}
  ha_state_file:
    description: Where keepalived's notify command records the VRRP state (the symroute_ha role's setting).
    type: path
    default: /run/symroute/ha-state
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
- name: Audit
  symroute_audit:
    audit: "{{ __symroute_verify_audit_request }}"
    drift: "{{ symroute_verify_drift }}"
    router: "{{ inventory_hostname }}"
"""

RETURN = r"""
report:
  description: >-
    C(links) (state per link), C(partners) (per partner and family, the link now, the expected one, C(ok)),
    C(connections) (partner to link to state counts), C(conntrack), C(monitor), C(findings) (C(kind), C(text)),
    C(passed).
  returned: always
  type: dict
markdown:
  description: The same report for people.
  returned: always
  type: str
ha_entries:
  description: >-
    For a router of a pair: the digests of the original tuples in conntrackd's external cache (C(tuples),
    C(young), C(errors); symroute_ha_cache's C(entries) with C(digests)).
  returned: when O(ha) is given
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import audit, audit_ha, audit_report, contract, ha_read
from ansible.module_utils.symroute_router.command import Runner


def main():
    module = AnsibleModule(
        argument_spec={
            "audit": {"type": "dict", "required": True},
            "drift": {"type": "dict", "default": {}},
            "router": {"type": "str", "required": True},
            "ha": {"type": "dict", "default": {}},
            "ha_state_file": {"type": "path", "default": ha_read.STATE_FILE},
            "conntrackd_config": {"type": "path", "default": ha_read.CONNTRACKD_CONFIG},
        },
        supports_check_mode=True,
    )
    request = module.params["audit"]
    refused = contract.refusal("audit", request)
    if refused:
        module.fail_json(msg=f"symroute_audit: {refused}")
    runner, ha, extra = Runner(), module.params["ha"], {}
    observed = audit.read(runner, request)
    report = audit.judge(request, observed, module.params["drift"])
    if ha:
        found = ha_read.read(runner, ha, module.params["ha_state_file"], module.params["conntrackd_config"])
        report = audit_ha.extend(report, found, module.params["drift"].get("ha"), observed.get("monitor") or {})
        extra["ha_entries"] = audit_ha.cache_entries(found["dumps"]["external"], request, ha, "external", digests=True)
    markdown = audit_report.markdown(module.params["router"], report)
    module.exit_json(changed=False, report=report, markdown=markdown, **extra)


if __name__ == "__main__":
    main()
