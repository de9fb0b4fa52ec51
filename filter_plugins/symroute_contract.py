"""The symroute_contract filter: one part's request of a router's plan, as the engine defines it."""

from ansible.errors import AnsibleFilterError

DOCUMENTATION = """
  name: symroute_contract
  short_description: the slice of symroute's plan that one part of the converge hands to the router
  description:
    - Returns the data one part of the converge hands the router (the plan contract's slice), as the plan
      engine defines it once (C(symroute/contract_slices.py)); the roles add only what they render or set
      (file contents, paths). The router checks every slice before anything changes.
  positional: _input, part
  options:
    _input:
      description: The router's plan (the symroute_plan filter's, or the plan step's).
      type: dict
      required: true
    part:
      description: The part.
      type: str
      required: true
      choices: [routing, sysctls, nftables, verify, audit, snapshot_scope]
"""

EXAMPLES = """
- name: The routing part's request
  ansible.builtin.set_fact:
    routing_request: "{{ symroute_plan | symroute_contract('routing') }}"
"""

RETURN = """
  _value:
    description: The part's slice of the plan (docs/design.md, the contract).
    type: dict
"""


def symroute_contract(plan, part):
    # Imported when the filter runs, like symroute_plan: loading the plugins stays cheap.
    from symroute.contract_slices import SLICES, contract_slice

    if part not in SLICES:
        raise AnsibleFilterError(f"symroute_contract: unknown part {part!r} (one of {', '.join(SLICES)})")
    try:
        return contract_slice(plan, part)
    except (KeyError, TypeError) as error:
        raise AnsibleFilterError(f"symroute_contract: the plan has no {part} slice: {error}") from None


class FilterModule:
    """symroute's contract filter."""

    def filters(self):
        return {"symroute_contract": symroute_contract}
