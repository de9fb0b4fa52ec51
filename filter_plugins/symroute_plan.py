"""Ansible filters over symroute's plan engine (a thin layer: no logic here)."""

import os
import sys

from ansible.errors import AnsibleFilterError

# The plan engine is the plain-Python package at the repository root.
_REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)

from symroute.errors import InventoryError  # noqa: E402
from symroute.inventory import router_variables  # noqa: E402
from symroute.plan import build_plan, plan_router  # noqa: E402
from symroute.validate import validate_routers  # noqa: E402

DOCUMENTATION = """
  name: symroute_plan
  short_description: compute symroute's plan for one router
  description:
    - Validates one router's symroute variables (symroute_links, symroute_partners,
      symroute_lan_networks, symroute_management_networks and the optional bases)
      and returns its plan, the data the roles render. Every problem is reported
      at once in one error that names the router, the partner or link, and the field.
  positional: _input, router
  options:
    _input:
      description: The router's variables (a mapping, e.g. hostvars[inventory_hostname]).
      type: dict
      required: true
    router:
      description: The router's name, used in messages and in the plan.
      type: str
      default: router
---
  name: symroute_plans
  short_description: compute and validate the plans of many routers at once
  description:
    - Takes hostvars and a list of host names and returns a mapping from host name
      to plan. All routers are validated before any plan is returned, so one
      invalid router stops the play with every problem of every router listed.
  positional: _input, hosts
  options:
    _input:
      description: hostvars (or any mapping from host name to its variables).
      type: dict
      required: true
    hosts:
      description: The routers to plan.
      type: list
      elements: str
      required: true
"""

EXAMPLES = """
- name: Compute the plan of this router
  ansible.builtin.set_fact:
    symroute_plan: "{{ hostvars[inventory_hostname] | symroute_plan(inventory_hostname) }}"

- name: Validate and plan every router of the play on the controller
  ansible.builtin.set_fact:
    symroute_plans_by_router: "{{ hostvars | symroute_plans(ansible_play_hosts_all) }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = """
  _value:
    description: The plan (symroute_plan) or a mapping of router name to plan (symroute_plans).
    type: dict
"""


def symroute_plan(variables, router="router"):
    try:
        return build_plan(str(router), router_variables(variables))
    except InventoryError as error:
        raise AnsibleFilterError(error.describe()) from None


def symroute_plans(hostvars, hosts):
    try:
        routers = {str(host): router_variables(hostvars[host]) for host in hosts}
        validated = validate_routers(routers)
    except InventoryError as error:
        raise AnsibleFilterError(error.describe()) from None
    return {name: plan_router(router) for name, router in validated.items()}


class FilterModule:
    """symroute's plan filters."""

    def filters(self):
        return {"symroute_plan": symroute_plan, "symroute_plans": symroute_plans}
