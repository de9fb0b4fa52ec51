"""The HA lab's first router's plan exactly as the engine hands it (docs/design.md, "HA pair"): ``bin/symroute
plan --inventory inventories/ha-lab --format json``, router edge-1, its `ha` section included, for tests that
render or apply the pair without running the engine themselves."""

import copy
import json
import subprocess
from functools import lru_cache

from paths import REPOSITORY

INVENTORY = REPOSITORY / "inventories" / "ha-lab"
ROUTER = "edge-1"


@lru_cache(maxsize=1)
def _pair_plan():
    result = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "plan", "--inventory", str(INVENTORY), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
    )
    return json.dumps(json.loads(result.stdout)["routers"][ROUTER])


def ha_plan(**changes):
    """edge-1's plan from inventories/ha-lab (``changes`` replace keys of its `ha` section)."""
    plan = json.loads(_pair_plan())
    plan["ha"] = dict(copy.deepcopy(plan["ha"]), **changes)
    return plan
