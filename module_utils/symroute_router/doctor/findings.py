"""Every finding, each with its evidence and its fix, in a fixed order: problems first; within a
severity, targets in the order given, then conntrack groups, then links (each in its section's order).
See ``finding`` for a finding's shape."""

from . import path_findings, target_findings

SEVERITIES = ("problem", "info")


def collect(facts, conntrack, targets, context):
    """Every finding, in the fixed order (problems first)."""
    found = [target_findings.for_target(result, context) for result in targets]
    groups = (path_findings.for_conntrack_group(group, context) for group in conntrack["groups"])
    found += [finding for finding in groups if finding is not None]
    for link in facts["links"]:
        found += path_findings.for_link(link)
    return sorted(found, key=lambda finding: SEVERITIES.index(finding["severity"]))
