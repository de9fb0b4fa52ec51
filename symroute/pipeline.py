"""From routers' raw variables to their plans: one path for the CLI, the playbook and the filter.

    variables (as written in the inventory files, never rendered)
      -> data only (no Jinja, no vault, plain types), known names, router settings
      -> validation of the partner contract (validate.py)
      -> plans (plan.py), and one digest over all of them

The digest is what a reviewer approves: the pull-request comment prints it, and
the playbook refuses to apply a plan with another digest when it is given
``-e symroute_expected_plan_digest=...``.

Routers that share a partner list share its per-prefix work (shared_work.py):
the plans are the same as each router's planned alone, problems included.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Optional

from . import json_text
from .addresses import shown
from .data_only import non_data_values, router_name_problem, variable_problems
from .errors import InventoryError, Problem
from .ha_pairs import check_pairs
from .model import INVENTORY_KEYS, PARTNERS
from .plan import plan_router
from .settings import NAME_PREFIX, ROUTER_SETTINGS, router_settings, setting_problem, unknown_name_problem
from .shapes import Plans, Variables
from .shared_work import SharedWork
from .validate import validate_each

DIGEST_ALGORITHM = "sha256"


def symroute_variables(variables: Mapping[str, Any]) -> Variables:
    """Every ``symroute_*`` variable of a router, known or not (unknown ones are reported)."""
    return {
        name: variables[name] for name in sorted(variables) if isinstance(name, str) and name.startswith(NAME_PREFIX)
    }


def _non_data(sharing):
    """data_only.non_data_values, walking each distinct partner list once (the one variable that is large)."""

    def non_data(name, value):
        if name != PARTNERS:
            return non_data_values(name, value)
        return sharing.once("non-data values", value, name, lambda: non_data_values(name, value))

    return non_data


def _router_problems(router, variables, sharing):
    problems = []
    name_problem = router_name_problem(router)
    if name_problem:
        problems.append(Problem(shown(router), name_problem))
    for name in variables:
        message = unknown_name_problem(name)
        if message:
            problems.append(Problem(router, message))
    non_data = variable_problems(router, variables, _non_data(sharing))
    problems += [Problem(where, message) for where, message in non_data]
    for name in sorted(set(variables) & set(ROUTER_SETTINGS)):
        message = setting_problem(name, variables[name])
        if message:
            problems.append(Problem(router, f"variable {name}: {message}"))
    return problems


def _field(problem):
    return problem.where, problem.message.split(":", 1)[0]


def plan_routers(routers: Mapping[str, Variables], shared: Optional[Any] = None) -> Plans:
    """{router: plan} for {router: symroute variables}; every problem of every router at once.

    ``shared``: a SharedWork to share the partner lists' work with other calls (e.g. the base inventory of a
    review); the plans are the same with or without it. Nothing may change ``routers`` during the call.
    """
    sharing = (SharedWork() if shared is None else shared).sharing()
    problems = []
    for router in sorted(routers):
        problems += _router_problems(router, routers[router], sharing)
    contract = {
        router: {key: value for key, value in variables.items() if key in INVENTORY_KEYS}
        for router, variables in routers.items()
    }
    validated, invalid = validate_each(contract, sharing)
    # A field already refused as non-data (Jinja, vault) is not reported again for its form.
    refused = {_field(problem) for problem in problems}
    problems += [problem for problem in invalid if _field(problem) not in refused]
    # The checks across routers run on the valid ones: every problem at once, whichever router has one.
    problems += _unresolved_names(validated, routers)
    validated, pair_problems = check_pairs(validated, invalid=set(contract) - set(validated))
    problems += pair_problems
    if problems:
        raise InventoryError(problems)
    return {name: plan_router(router, settings=router_settings(routers[name])) for name, router in validated.items()}


def _unresolved_names(validated, routers):
    """A router with the link monitor disabled never looks a partner's domains up: refused, not half-applied."""
    return [
        Problem(
            name,
            f"variable symroute_monitor_enabled: false, but partner {partner.name} has domains "
            "(the monitor looks them up): enable the monitor or list prefixes only",
        )
        for name, router in sorted(validated.items())
        if routers[name].get("symroute_monitor_enabled") is False
        for partner in router.partners
        if partner.domains
    ]


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def plan_digest(plans: Plans, manifest: Optional[dict[str, Any]] = None) -> str:
    """The content digest of a set of plans and of the inventory files they came from: what a reviewer approves.

    The files' checksums are part of it, so a change to any inventory file after the review (a connection
    variable, a new file) also changes the digest, not only a change to a plan.

    It hashes canonical_json({"plans": plans, "inventory_files": files}), written plan by plan (keys sorted:
    "inventory_files" first) with json_text.py, so the prefix lists a fleet's plans share are written once
    and the whole document is never held in memory.
    """
    files = {path: entry["sha256"] for path, entry in (manifest or {}).get("files", {}).items()}
    digest = hashlib.sha256()
    if not all(isinstance(name, str) for name in plans):  # not plans symroute made: hashed the plain way
        digest.update(canonical_json({"plans": plans, "inventory_files": files}).encode())
        return f"{DIGEST_ALGORITHM}:{digest.hexdigest()}"
    reuse, encoded = json_text.reused_texts(), {}
    digest.update(('{"inventory_files":' + json_text.dumps(files) + ',"plans":{').encode())
    for position, name in enumerate(sorted(plans)):
        digest.update((("," if position else "") + json_text.dumps(name) + ":").encode())
        json_text.update_hash(digest, plans[name], reuse, encoded)
    digest.update(b"}}")
    return f"{DIGEST_ALGORITHM}:{digest.hexdigest()}"
