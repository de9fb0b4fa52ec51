"""The Ansible filters are a thin layer: same plan, errors as AnsibleFilterError."""

import pytest
from ansible.errors import AnsibleFilterError

from paths import REPOSITORY  # noqa: F401  (puts the repository on sys.path)
from filter_plugins.symroute_plan import FilterModule
from symroute.plan import build_plan

FILTERS = FilterModule().filters()


def test_symroute_plan_equals_the_engine(router_vars):
    variables = dict(router_vars, ansible_host="ignored", unrelated=1)
    assert FILTERS["symroute_plan"](variables, "edge") == build_plan("edge", router_vars)


def test_symroute_plans_lists_every_router_problem(router_vars):
    broken = dict(router_vars, symroute_partners=[{"name": "x", "prefixes": ["1.2.3.4/24"], "link": "wan_z"}])
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["symroute_plans"]({"edge-1": broken, "edge-2": router_vars, "edge-3": broken},
                                   ["edge-1", "edge-2", "edge-3"])
    text = str(raised.value)
    assert "edge-1, partner 'x'" in text and "edge-3, partner 'x'" in text and "wan_z" in text


def test_symroute_plans_returns_a_plan_per_router(router_vars):
    plans = FILTERS["symroute_plans"]({"a": router_vars, "b": router_vars}, ["a", "b"])
    assert sorted(plans) == ["a", "b"] and plans["a"]["router"] == "a"
