"""Same inventory, same plan and rendered files, byte for byte: two processes with different hash seeds."""

import json
import os
import subprocess
import sys

from paths import REPOSITORY

RENDER = """
import json, sys
from symroute.ansible_inventory import load_inventory
from symroute.pipeline import plan_digest, plan_routers
from rendering import render_all
plans = plan_routers(load_inventory(sys.argv[1]).routers)
print(json.dumps({"digest": plan_digest(plans), "files": {router: render_all(plan) for router, plan in plans.items()}},
                 sort_keys=True))
"""


def _render_in_a_process(inventory, seed):
    environment = dict(
        os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.pathsep.join([str(REPOSITORY / "tests"), str(REPOSITORY)])
    )
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(inventory)], capture_output=True, text=True, env=environment, check=True
    )
    return result.stdout


def test_plans_and_rendered_files_do_not_depend_on_the_hash_seed():
    for inventory in ("lab", "production"):
        outputs = {_render_in_a_process(REPOSITORY / "inventories" / inventory, seed) for seed in ("0", "1", "4242")}
        assert len(outputs) == 1, inventory
        document = json.loads(outputs.pop())
        assert document["digest"].startswith("sha256:") and document["files"]
