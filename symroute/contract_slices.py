"""The router parts' requests as the controller hands them over: the plan contract's slices, defined once.

Each function takes a router's plan and returns the data its part hands the router, which the router checks
(``module_utils/symroute_router/contract.py``) before anything changes. The roles build their requests with
these through the ``symroute_contract`` filter (``roles/*/vars/main.yml`` adds only what a role renders or
sets: file contents, paths); the contract tests (``tests/unit/test_router_contract.py``) read the same
functions, so the tested mapping is the real one.
"""

from collections.abc import Callable, Mapping
from typing import Any

Slice = dict[str, Any]


def routing(plan: Mapping[str, Any]) -> Slice:
    """Rules of symroute's band and routes of its tables (the learned entries only where a link is dynamic)."""
    part = {"contract_version": plan["contract_version"], "priority_band": plan["priority_band"],
            "monitor_bands": plan["monitor"]["bands"], "tables": [table["id"] for table in plan["tables"]],
            "rules": plan["rules"], "routes": plan["routes"]}
    if "learned" in plan:
        part["learned"] = plan["learned"]
    return part


def sysctls(plan: Mapping[str, Any]) -> Slice:
    return {"contract_version": plan["contract_version"], "sysctls": plan["sysctls"]}


def nftables(plan: Mapping[str, Any]) -> Slice:
    """Which table; its content is the role's rendering of the plan (symroute.nft.j2)."""
    return {"contract_version": plan["contract_version"],
            "table": f"{plan['nftables']['family']} {plan['nftables']['table']}"}


def verify(plan: Mapping[str, Any]) -> Slice:
    return {"contract_version": plan["contract_version"], "tables": plan["verify_tables"],
            "partners": plan["verify"], "management": plan["management_probes"]}


def audit(plan: Mapping[str, Any]) -> Slice:
    """The verify slice and what the read-only audit needs besides it (the monitor's state file is a role
    setting, added by the role)."""
    audit = plan["audit"]
    return {"contract_version": plan["contract_version"], "verify": verify(plan), "links": audit["links"],
            "prefixes": audit["prefixes"], "mark_mask": audit["mark_mask"],
            "out_of_service_group": audit["out_of_service_group"]}


def snapshot_scope(plan: Mapping[str, Any]) -> Slice:
    """What a snapshot holds of symroute's kernel state (the run's id and files are the role's)."""
    return {"nft_table": nftables(plan)["table"], "priority_band": plan["priority_band"],
            "monitor_bands": plan["monitor"]["bands"], "tables": [table["id"] for table in plan["tables"]],
            "sysctls": [item["name"] for item in plan["sysctls"]]}


SLICES: Mapping[str, Callable[[Mapping[str, Any]], Slice]] = {
    "routing": routing, "sysctls": sysctls, "nftables": nftables, "verify": verify, "audit": audit,
    "snapshot_scope": snapshot_scope}


def contract_slice(plan: Mapping[str, Any], part: str) -> Slice:
    """The ``part`` slice of ``plan``; KeyError for a part that is not one."""
    return SLICES[part](plan)
