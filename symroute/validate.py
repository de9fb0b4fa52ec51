"""Validate one router's inventory and normalize it into a ``Router``.

All problems are collected and raised together in one ``InventoryError``;
warnings (redundant prefixes on one link) travel with the result. The
inventory is untrusted: messages show its values escaped and shortened
(``addresses.shown``), and no value makes validation raise anything else.

The checks of the partner list (per prefix, the costly part) are done once per
distinct partner list and link shape when a ``Sharing`` (shared_work.py) is
given, and replayed under each router's name (shared_partners.py).
"""

import re
from collections.abc import Mapping
from typing import Any, Optional

from .addresses import AddressError, parse_prefix, shown
from .cascades import without_cascades
from .collector import Collector
from .errors import InventoryError, Problem
from .ha_validation import validate_ha
from .item_checks import integer_option
from .link_validation import validate_links
from .model import (
    DEFAULT_RULE_PRIORITY_BASE,
    DEFAULT_TABLE_ID_BASE,
    LAN_NETWORKS,
    LINKS,
    MANAGEMENT_NETWORKS,
    PARTNERS,
    RULE_PRIORITY_BASE,
    TABLE_ID_BASE,
    Router,
)
from .overlap_check import check_router_networks, router_networks
from .plan_warnings import family_warnings, lan_warnings
from .schema_check import partner_schema_errors, structural_problems
from .shared_partners import partner_check

__all__ = ["router_name_problems", "validate_router", "validate_routers"]

MAX_MAIN_TABLE_NETWORKS = 100
ROUTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def router_name_problems(name: object) -> list[Problem]:
    """Problems of a router (inventory host) name: 1-63 letters, digits, '.', '_', '-', a letter or digit first.

    Router names reach file names, commands and the report; a name such as
    "edge\\nflush ruleset" is refused and shown escaped.
    """
    if isinstance(name, str) and ROUTER_NAME.fullmatch(name):
        return []
    return [
        Problem(
            shown(name),
            f"the router name {shown(name)} is not 1 to 63 letters, digits, '.', '_' "
            "or '-' starting with a letter or digit",
        )
    ]


def _networks(collect, key, values):
    networks = []
    if not isinstance(values, list):
        return networks
    for index, text in enumerate(values):
        if not isinstance(text, str):
            continue
        try:
            networks.append(parse_prefix(text))
        except AddressError as error:
            collect.problem(f"{key}[{index}]", str(error))
    return networks


def _partner_schema_errors(sharing):
    """schema_check.partner_schema_errors, once per distinct partner list when sharing."""
    if sharing is None:
        return partner_schema_errors
    return lambda partners: sharing.once("partner schema", partners, None, lambda: partner_schema_errors(partners))


def validate_router(router: str, variables: Mapping[str, Any], sharing: Optional[Any] = None) -> Router:
    """Validate one router's variables; return a ``Router`` or raise ``InventoryError``.

    ``sharing`` (shared_work.Sharing): the partner checks are shared with the
    other routers validated through it; the result is the same either way.
    """
    name_problems = router_name_problems(router)
    collect = Collector(shown(router) if name_problems else router)
    collect.problems.extend(name_problems)
    if not isinstance(variables, dict):
        collect.problem("", "the router's variables are not a mapping")
        raise InventoryError(collect.problems)
    collect.problems.extend(structural_problems(collect.router, variables, _partner_schema_errors(sharing)))
    # A wrong type was reported by the schema check; the default keeps the other checks going.
    table_base = integer_option(variables, TABLE_ID_BASE, DEFAULT_TABLE_ID_BASE)
    priority_base = integer_option(variables, RULE_PRIORITY_BASE, DEFAULT_RULE_PRIORITY_BASE)
    if LINKS not in variables:
        collect.problem("", f"{LINKS} is not set for this router")
    links = validate_links(collect, variables.get(LINKS, []), table_base)
    lan = _networks(collect, LAN_NETWORKS, variables.get(LAN_NETWORKS, []))
    management = _networks(collect, MANAGEMENT_NETWORKS, variables.get(MANAGEMENT_NETWORKS, []))
    if len(lan) + len(management) > MAX_MAIN_TABLE_NETWORKS:
        collect.problem("", f"more than {MAX_MAIN_TABLE_NETWORKS} LAN and management networks")
    partners = partner_check(variables.get(PARTNERS, []), links, sharing)
    partners.validation.replay(collect)
    ha = validate_ha(collect, router, variables, links, lan, management)
    check_router_networks(collect, partners, router_networks(links, lan, management, ha))
    lan_warnings(collect, variables, partners.by_name)
    family_warnings(collect, links, partners.by_name)
    if collect.problems:
        raise InventoryError(without_cascades(collect.problems, variables.get(LINKS, []), links))
    return Router(
        name=router,
        links=tuple(links),
        partners=partners.by_name,
        lan_networks=tuple(lan),
        management_networks=tuple(management),
        rule_priority_base=priority_base,
        warnings=tuple(sorted(set(collect.warnings))),
        partner_prefixes=partners.prefixes,
        ha=ha,
    )


def validate_each(
    routers: Mapping[str, Mapping[str, Any]], sharing: Optional[Any] = None
) -> tuple[dict[str, Router], list[Problem]]:
    """({name: router} of the valid routers, every problem of the others), for checks across routers."""
    results, problems = {}, []
    for name in sorted(routers, key=str):
        try:
            results[name] = validate_router(name, routers[name], sharing)
        except InventoryError as error:
            problems.extend(error.problems)
    return results, problems


def validate_routers(routers: Mapping[str, Mapping[str, Any]], sharing: Optional[Any] = None) -> dict[str, Router]:
    """Validate many routers ({name: variables}); every router's problems at once."""
    results, problems = validate_each(routers, sharing)
    if problems:
        raise InventoryError(problems)
    return results
