"""Names for the shapes of the engine's plain data, for type hints.

Plans, inventory variables and review documents travel as JSON-like dicts and lists (the roles,
the router package and the review read them as such); these names say which one a function takes
or returns. The checks themselves are the plan contract (module_utils/symroute_router/contract.py)
and the inventory schema (schema/inventory.schema.json).
"""

from typing import Any, Protocol, TypedDict

Entries = list[dict[str, Any]]


class _PlanKeys(TypedDict):
    schema_version: int
    contract_version: int
    router: str
    priority_band: list[int]
    tables: Entries
    links: Entries
    routes: Entries
    rules: Entries
    nftables: dict[str, Any]
    sysctls: Entries
    partners: Entries
    main_table_networks: list[str]
    verify: Entries
    verify_tables: Entries
    audit: dict[str, Any]
    monitor: dict[str, Any]
    management_probes: list[str]
    settings: dict[str, Any]
    warnings: list[str]


class Plan(_PlanKeys, total=False):
    """One router's plan (plan.plan_router): plain JSON data, the same bytes for the same inventory. The
    optional keys appear only where the inventory uses what they plan, so a plan without them (and its
    digest) stays what it was before they existed."""

    learned: Entries  # links whose address or gateway the router learns (dynamic links)
    ha: dict[str, Any]  # the router's side of an HA pair


# {router name: Plan}
Plans = dict[str, Plan]
# A router's symroute_* variables as written in the inventory: untrusted until validate.py checked them.
Variables = dict[str, Any]
# A JSON-like document: a review, an explanation, a run summary.
Document = dict[str, Any]


class Collect(Protocol):
    """Where a check puts what it finds: a router's Collector, or a Recorder shared by routers."""

    def problem(self, item: str, message: str) -> None: ...

    def warning(self, item: str, message: str) -> None: ...
