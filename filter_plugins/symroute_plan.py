"""The symroute_plan filter: the plan engine over variables you already hold as data."""

from ansible.errors import AnsibleFilterError

DOCUMENTATION = """
  name: symroute_plan
  short_description: compute symroute's plan of one router from its variables
  description:
    - Validates one router's symroute variables (symroute_links, symroute_partners, symroute_lan_networks,
      symroute_management_networks, the bases and the router settings) and returns its plan. Every problem
      is reported at once in one error that names the router, the partner or link, and the field.
    - A router of an HA pair (symroute_ha) is planned with its peer only, so this filter, which plans one
      router, refuses it (its peer is not among the routers planned).
    - The playbook does not use this filter on C(hostvars), which Ansible renders; it plans from the
      inventory's files with the symroute_inventory_plan module, as C(bin/symroute plan) does. Use the
      filter for data you hold as data (tests, a JSON file).
  positional: _input, router
  options:
    _input:
      description: The router's variables (a mapping; names other than symroute_* are ignored).
      type: dict
      required: true
    router:
      description: The router's name, used in messages and in the plan.
      type: str
      default: router
"""

EXAMPLES = """
- name: Plan a router described in a JSON file
  ansible.builtin.set_fact:
    symroute_plan: "{{ lookup('ansible.builtin.file', 'router.json') | from_json | symroute_plan('edge') }}"
"""

RETURN = """
  _value:
    description: The router's plan (see docs/design.md).
    type: dict
"""


def symroute_plan(variables, router="router"):
    # Imported when the filter runs, not when Ansible loads the plugins: every task that uses any filter
    # loads this file in a fresh worker process, and the engine (netaddr, jsonschema) takes about 0.15 s.
    from symroute.errors import InventoryError
    from symroute.pipeline import plan_routers, symroute_variables

    try:
        return plan_routers({str(router): symroute_variables(variables)})[str(router)]
    except InventoryError as error:
        raise AnsibleFilterError(error.describe()) from None


class FilterModule:
    """symroute's plan filter."""

    def filters(self):
        return {"symroute_plan": symroute_plan}
