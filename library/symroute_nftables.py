#!/usr/bin/python
"""Load symroute's nftables table in one transaction when its file changed or the live table drifted."""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.steps import StepFailed, nftables_step

DOCUMENTATION = r"""
module: symroute_nftables
short_description: symroute's nftables table (inet symroute), checked, then loaded in one transaction
description:
  - >-
    Compares the rendered file with the installed file, and the live table's listing with the one saved
    at the last load (someone changed or deleted the table); when either differs, checks the rendered
    file with C(nft -c) (also in check mode: it changes nothing). An unchanged, undrifted table is not
    checked again (the installed file was checked and loaded before). When either differs, and not in check mode, installs the
    file, loads it in one transaction (the file replaces the table whole) and saves the new listing.
  - Optionally includes the file from the system's nftables configuration, so the table comes back at boot.
  - The diff shows the file's lines added and removed, set elements one per line.
options:
  nftables:
    description: The plan's C(nftables) slice with the rendered file (plan contract version 1).
    type: dict
    required: true
  path:
    description: symroute's nftables file.
    type: path
    required: true
  listing_path:
    description: Where the live table's listing is saved after each load (drift detection).
    type: path
    required: true
  include_in:
    description: The system's nftables configuration to include the file from; empty to leave it alone.
    type: path
    default: ""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: symroute
"""

EXAMPLES = r"""
- name: The nftables table
  symroute_nftables:
    nftables: {contract_version: 1, table: inet symroute, content: "{{ lookup('ansible.builtin.template', 'symroute.nft.j2') }}"}
    path: /etc/symroute/symroute.nft
    listing_path: /var/lib/symroute/nftables.listing
    include_in: /etc/nftables.conf
"""

RETURN = r"""
reason:
  description: Why the table was (or would be) loaded, empty when nothing changes.
  returned: always
  type: str
elements:
  description: Lines added and removed (C(added), C(removed)).
  returned: always
  type: dict
systemd:
  description: Whether the router runs systemd (nftables.service then loads the file at boot).
  returned: always
  type: bool
"""


def main():
    module = AnsibleModule(argument_spec={"nftables": {"type": "dict", "required": True},
                                          "path": {"type": "path", "required": True},
                                          "listing_path": {"type": "path", "required": True},
                                          "include_in": {"type": "path", "default": ""}},
                           supports_check_mode=True)
    try:
        result = nftables_step.run(module.params, module.check_mode, Runner())
    except StepFailed as error:
        module.fail_json(msg=f"symroute_nftables: {error}", **error.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
