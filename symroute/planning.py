"""From routers' raw variables to their plans: one path for the CLI, the playbook and the filter.

    variables (as written in the inventory files, never rendered)
      -> data only (no Jinja, no vault, plain types), known names, router settings
      -> validation of the partner contract (validate.py)
      -> plans (plan.py), and one digest over all of them

The digest is what a reviewer approves: the pull-request comment prints it, and
the playbook refuses to apply a plan with another digest when it is given
``-e symroute_expected_plan_digest=...``.
"""

import hashlib
import json

from .addresses import shown
from .data_only import router_name_problem, variable_problems
from .errors import InventoryError, Problem
from .model import INVENTORY_KEYS
from .plan import plan_router
from .settings import NAME_PREFIX, ROUTER_SETTINGS, router_settings, setting_problem, unknown_name_problem
from .validate import validate_routers

DIGEST_ALGORITHM = "sha256"


def symroute_variables(variables):
    """Every ``symroute_*`` variable of a router, known or not (unknown ones are reported)."""
    return {name: variables[name] for name in sorted(variables)
            if isinstance(name, str) and name.startswith(NAME_PREFIX)}


def _router_problems(router, variables):
    problems = []
    name_problem = router_name_problem(router)
    if name_problem:
        problems.append(Problem(shown(router), name_problem))
    for name in variables:
        message = unknown_name_problem(name)
        if message:
            problems.append(Problem(router, message))
    problems += [Problem(where, message) for where, message in variable_problems(router, variables)]
    for name in sorted(set(variables) & set(ROUTER_SETTINGS)):
        message = setting_problem(name, variables[name])
        if message:
            problems.append(Problem(router, f"variable {name}: {message}"))
    return problems


def _field(problem):
    return problem.where, problem.message.split(":", 1)[0]


def plan_routers(routers):
    """{router: plan} for {router: symroute variables}; every problem of every router at once."""
    problems = []
    for router in sorted(routers):
        problems += _router_problems(router, routers[router])
    contract = {router: {key: value for key, value in variables.items() if key in INVENTORY_KEYS}
                for router, variables in routers.items()}
    try:
        validated = validate_routers(contract)
    except InventoryError as error:
        # A field already refused as non-data (Jinja, vault) is not reported again for its form.
        refused = {_field(problem) for problem in problems}
        problems += [problem for problem in error.problems if _field(problem) not in refused]
    if problems:
        raise InventoryError(problems)
    return {name: plan_router(router, settings=router_settings(routers[name])) for name, router in validated.items()}


def canonical_json(data):
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def plan_digest(plans, manifest=None):
    """The content digest of a set of plans and of the inventory files they came from: what a reviewer approves.

    The files' checksums are part of it, so a change to any inventory file after the review (a connection
    variable, a new file) also changes the digest, not only a change to a plan.
    """
    files = {path: entry["sha256"] for path, entry in (manifest or {}).get("files", {}).items()}
    document = {"plans": plans, "inventory_files": files}
    return f"{DIGEST_ALGORITHM}:{hashlib.sha256(canonical_json(document).encode()).hexdigest()}"
