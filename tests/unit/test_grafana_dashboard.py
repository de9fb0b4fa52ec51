"""docs/grafana/symroute-dashboard.json: valid, and every query names a metric the link monitor exports (its
resolver's included)."""

import json
import re

from paths import REPOSITORY
from symroute_router.monitor import resolving
from symroute_router.monitor.publish import METRICS

DASHBOARD = REPOSITORY / "docs" / "grafana" / "symroute-dashboard.json"
EXPORTED = {name for name, _, _ in METRICS + resolving.METRICS}  # the monitor's file and the resolver's


def _queries(dashboard):
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["query"]["query"])
    return queries


def test_every_query_names_only_exported_metrics_and_every_metric_is_shown():
    dashboard = json.loads(DASHBOARD.read_text())
    named = set()
    for query in _queries(dashboard):
        found = set(re.findall(r"\bsymroute_[a-z_]+\b", query))
        assert found, query
        assert found <= EXPORTED, (query, found - EXPORTED)
        named |= found
    assert named == EXPORTED, EXPORTED - named


def test_panels_are_well_formed():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "symroute"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"] and panel["datasource"]["uid"] == "${datasource}"
        assert all(target["refId"] for target in panel["targets"])
    assert any("transitions" in panel["title"].lower() for panel in dashboard["panels"])
