"""The router parts' requests as the controller hands them over: the plan contract's slices, defined once.

Each function takes a router's plan and returns the data its part hands the router, which the router checks
(``module_utils/symroute_router/contract.py``) before anything changes. The roles build their requests with
these through the ``symroute_contract`` filter (``roles/*/vars/main.yml`` adds only what a role renders or
sets: file contents, paths); the contract tests (``tests/unit/test_router_contract.py``) read the same
functions, so the tested mapping is the real one.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from .shapes import Entries, Plan


class _RoutingKeys(TypedDict):
    contract_version: int
    priority_band: list[int]
    monitor_bands: list[list[int]]
    tables: list[int]
    rules: Entries
    routes: Entries


class RoutingSlice(_RoutingKeys, total=False):
    learned: Entries  # only where a link is dynamic


class SysctlsSlice(TypedDict):
    contract_version: int
    sysctls: Entries


class NftablesSlice(TypedDict):
    contract_version: int
    table: str  # "inet symroute"; the role adds the rendered content


class VerifySlice(TypedDict):
    contract_version: int
    tables: Entries
    partners: Entries
    management: list[str]


class AuditSlice(TypedDict):
    contract_version: int
    verify: VerifySlice
    links: Entries
    prefixes: Entries
    mark_mask: str
    out_of_service_group: int


class SnapshotScope(TypedDict):
    nft_table: str
    priority_band: list[int]
    monitor_bands: list[list[int]]
    tables: list[int]
    sysctls: list[str]


def routing(plan: Plan) -> RoutingSlice:
    """Rules of symroute's band and routes of its tables (the learned entries only where a link is dynamic)."""
    part: RoutingSlice = {
        "contract_version": plan["contract_version"],
        "priority_band": plan["priority_band"],
        "monitor_bands": plan["monitor"]["bands"],
        "tables": [table["id"] for table in plan["tables"]],
        "rules": plan["rules"],
        "routes": plan["routes"],
    }
    if "learned" in plan:
        part["learned"] = plan["learned"]
    return part


def sysctls(plan: Plan) -> SysctlsSlice:
    return {"contract_version": plan["contract_version"], "sysctls": plan["sysctls"]}


def nftables(plan: Plan) -> NftablesSlice:
    """Which table; its content is the role's rendering of the plan (symroute.nft.j2)."""
    return {
        "contract_version": plan["contract_version"],
        "table": f"{plan['nftables']['family']} {plan['nftables']['table']}",
    }


def verify(plan: Plan) -> VerifySlice:
    return {
        "contract_version": plan["contract_version"],
        "tables": plan["verify_tables"],
        "partners": plan["verify"],
        "management": plan["management_probes"],
    }


def audit(plan: Plan) -> AuditSlice:
    """The verify slice and what the read-only audit needs besides it (the monitor's state file is a role
    setting, added by the role)."""
    audit = plan["audit"]
    return {
        "contract_version": plan["contract_version"],
        "verify": verify(plan),
        "links": audit["links"],
        "prefixes": audit["prefixes"],
        "mark_mask": audit["mark_mask"],
        "out_of_service_group": audit["out_of_service_group"],
    }


def snapshot_scope(plan: Plan) -> SnapshotScope:
    """What a snapshot holds of symroute's kernel state (the run's id and files are the role's)."""
    return {
        "nft_table": nftables(plan)["table"],
        "priority_band": plan["priority_band"],
        "monitor_bands": plan["monitor"]["bands"],
        "tables": [table["id"] for table in plan["tables"]],
        "sysctls": [item["name"] for item in plan["sysctls"]],
    }


SLICES: Mapping[str, Callable[[Plan], Mapping[str, Any]]] = {
    "routing": routing,
    "sysctls": sysctls,
    "nftables": nftables,
    "verify": verify,
    "audit": audit,
    "snapshot_scope": snapshot_scope,
}


def contract_slice(plan: Plan, part: str) -> Mapping[str, Any]:
    """The ``part`` slice of ``plan``; KeyError for a part that is not one."""
    return SLICES[part](plan)
