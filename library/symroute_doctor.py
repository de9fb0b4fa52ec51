#!/usr/bin/python
"""symroute doctor on the router: the incident's triage, read-only (module_utils/symroute_router/doctor)."""

DOCUMENTATION = r"""
module: symroute_doctor
short_description: Find asymmetric return paths on a router with several WAN links (read-only)
description:
  - Reads the router's WAN links (interfaces holding a default route in the main table), their gateways,
    metrics and own addresses, the site addresses, policy rules, C(rp_filter) and
    C(ignore_routes_with_linkdown), whether NAT is used, and which partners symroute pins (when installed).
  - Samples conntrack for connections that go unanswered per destination prefix and link.
  - For each target, opens TCP connections from each link's own address and from a site address leaving
    by each link, and tells an asymmetric return path from an unreachable destination.
  - On a router of an HA pair, findings for keepalived and conntrackd running, keepalived's configuration
    test, the VRRP state, the peer reachable over the sync link, the shared addresses held by exactly the
    master, and conntrackd's caches.
  - Returns the report with each finding's evidence and fix, and a C(symroute_partners) entry to paste
    into a pull request where pinning a prefix is the fix. Never fails because of findings (the playbook
    decides); fails only on invalid options. Changes nothing on the router.
options:
  targets:
    description: Destinations to prove, C(ADDRESS:PORT) or C([IPV6]:PORT); IP addresses only (no DNS).
    type: list
    elements: str
    default: []
  watch_s:
    description: Sample conntrack once a second for this many seconds (0 to 3600; 0 is one read).
    type: int
    default: 0
  timeout_ms:
    description: TCP connect timeout in milliseconds (1 to 60000).
    type: int
    default: 2000
  links:
    description:
      - Link names by interface (name to interface). By default the names come from symroute's monitor
        configuration on the router (O(monitor_config)), else a link is named by its interface.
    type: dict
    required: false
  site_addresses:
    description: Site (LAN) addresses to probe from; by default the global addresses of the non-WAN interfaces.
    type: list
    elements: str
    default: []
  monitor_config:
    description: symroute's monitor configuration on the router, read for the link names.
    type: path
    default: /etc/symroute/monitor.json
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads and probes; it runs the same in check mode.
  diff_mode:
    description: Returns no details on what has changed.
    support: none
author: symroute maintainers (@symroute)
"""

EXAMPLES = r"""
- name: Diagnose the return paths to the partner API
  symroute_doctor:
    targets: ["100.64.20.10:80", "[2001:db8:20::10]:80"]
    watch_s: 10
  register: symroute_doctor
"""

RETURN = r"""
report:
  description:
    - The report (the same as C(symroute doctor --format json)). Keys C(doctor) (format version), C(router),
      C(generated), C(options), C(symroute), C(links), C(site_addresses), C(site_addresses_from), C(rules),
      C(nat), C(targets), C(conntrack), C(findings), C(problems), C(notes), and, on a router of an HA pair
      (symroute's monitor configuration has C(ha)), C(ha) (VRRP state, keepalived and conntrackd, keepalived's
      configuration test, the peer over the sync link, the shared addresses held, conntrackd's caches).
    - Each finding has C(id), C(kind), C(subject), C(severity) (problem or info), C(title), C(evidence), C(fix)
      and, when pinning a prefix is the fix, C(partner_entry) (C(entry) and its C(yaml) text).
  returned: always
  type: dict
markdown:
  description: The report as Markdown (sections Links, Findings, Targets, Conntrack).
  returned: always
  type: str
problems:
  description: The number of findings whose severity is problem.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.doctor import diagnose, markdown, options


def _settings(params):
    """The checked settings (the command line's checks), or OptionError."""
    pairs = [
        (options.link_name(name), options.interface(device)) for name, device in sorted((params["links"] or {}).items())
    ]
    return {
        "targets": options.targets(params["targets"]),
        "watch_s": options.integer(params["watch_s"], "watch", "watch_s"),
        "timeout_ms": options.integer(params["timeout_ms"], "timeout_ms"),
        "links": options.links(pairs),
        "site_addresses": options.site_addresses(params["site_addresses"]),
        "monitor_config": options.path(params["monitor_config"], "monitor_config"),
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "targets": {"type": "list", "elements": "str", "default": []},
            "watch_s": {"type": "int", "default": 0},
            "timeout_ms": {"type": "int", "default": 2000},
            "links": {"type": "dict", "required": False},
            "site_addresses": {"type": "list", "elements": "str", "default": []},
            "monitor_config": {"type": "path", "default": "/etc/symroute/monitor.json"},
        },
        supports_check_mode=True,
    )
    try:
        settings, refused = _settings(module.params), None
    except options.OptionError as error:
        settings, refused = None, str(error)
    if refused:  # outside the except block: a refused option is a message, never a traceback
        module.fail_json(msg=f"symroute_doctor: {refused}")
    report = diagnose(Runner(), settings)
    module.exit_json(changed=False, report=report, markdown=markdown.render(report), problems=report["problems"])


if __name__ == "__main__":
    main()
