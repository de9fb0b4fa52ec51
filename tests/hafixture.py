"""A router plan with the `ha` section exactly as the engine hands it (docs/design.md, "HA pair"): the lab's
plan for edge plus the pair's section, for tests that render or apply the pair without the engine's side."""

import copy
import json
import subprocess
from functools import lru_cache

from paths import REPOSITORY

HA_SECTION = {
    "pair": "edge-pair",
    "router": "edge-1",
    "peer": "edge-2",
    "priority": 150,
    "peer_priority": 100,
    "preempt": False,
    "advert_interval_ms": 100,
    "sync": {"interface": "sync0", "address": "10.255.0.1/30", "peer": "10.255.0.2"},
    "instances": [
        {
            "name": "lan4",
            "segment": "lan",
            "family": 4,
            "vrid": 10,
            "interface": "lan0",
            "addresses": ["203.0.113.1/24"],
        },
        {
            "name": "lan6",
            "segment": "lan",
            "family": 6,
            "vrid": 10,
            "interface": "lan0",
            "addresses": ["2001:db8:5::1/64"],
        },
        {
            "name": "wan_a4",
            "segment": "wan_a",
            "family": 4,
            "vrid": 21,
            "interface": "wana",
            "addresses": ["198.51.100.4/29"],
        },
    ],
    "links": {"wan_a": {"mode": "shared", "address": "198.51.100.4/29"}, "wan_c": {"mode": "own"}},
    "tracked_links": ["wan_a", "wan_b"],
    "yield_file": "/run/symroute/ha-yield",
}


@lru_cache(maxsize=1)
def _lab_plan():
    result = subprocess.run(
        [
            str(REPOSITORY / "bin" / "symroute"),
            "plan",
            "--inventory",
            str(REPOSITORY / "inventories" / "lab"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
    )
    return json.dumps(json.loads(result.stdout)["routers"]["edge"])


def ha_plan(**changes):
    """The lab router's plan with the pair's section (``changes`` replace its keys)."""
    plan = json.loads(_lab_plan())
    plan["ha"] = dict(copy.deepcopy(HA_SECTION), **changes)
    return plan
