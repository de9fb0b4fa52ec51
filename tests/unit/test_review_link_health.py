"""The review shows changes to what the link monitor probes and how it judges a link."""

from symroute.plan import build_plan
from symroute.review import router_changes
from symroute.review_markdown import _router_section


def test_target_and_threshold_changes_are_listed(router_vars):
    router_vars["symroute_links"][0]["health_targets"] = ["100.64.1.2"]
    before = build_plan("edge", router_vars)
    router_vars["symroute_links"][0]["health_targets"] = ["100.64.1.2", "tcp://100.64.1.3:443"]
    router_vars["symroute_links"][0]["health"] = {"down_after": 5}
    after = build_plan("edge", router_vars)
    change = router_changes(before, after)
    assert change["status"] == "changed"
    assert change["link_health"]["added"] == [
        "wan_a health down_after=5 interval_ms=250 reliability=1 timeout_ms=150 up_after=10",
        "wan_a target tcp://100.64.1.3:443",
    ]
    assert change["link_health"]["removed"] == [
        "wan_a health down_after=3 interval_ms=250 reliability=1 timeout_ms=150 up_after=10",
    ]
    markdown = "\n".join(_router_section("edge", change))
    assert "- link monitoring:" in markdown and "+ `wan_a target tcp://100.64.1.3:443`" in markdown


def test_no_change_means_unchanged(router_vars):
    plan = build_plan("edge", router_vars)
    assert router_changes(plan, build_plan("edge", router_vars))["status"] == "unchanged"
