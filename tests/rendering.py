"""Render symroute's role templates as the template module does (trim_blocks, Ansible's and symroute's filters).

Role defaults are resolved in their file order (later defaults refer to earlier
ones), then the plan's router settings override them, as in a playbook run.
"""

import jinja2
import yaml
from ansible.plugins.filter.core import FilterModule as CoreFilters

from filter_plugins.symroute_plan import FilterModule as PlanFilters
from filter_plugins.symroute_quote import FilterModule as QuoteFilters
from paths import REPOSITORY

ROLES = REPOSITORY / "roles"
# (role, template, plan variable) of every template a converge writes.
TEMPLATES = (
    ("symroute_nftables", "symroute.nft.j2", "symroute_nftables_plan"),
    ("symroute_sysctl", "90-symroute.conf.j2", "symroute_sysctl_plan"),
    ("symroute_routing", "rt_tables.conf.j2", "symroute_routing_plan"),
    ("symroute_routing", "symroute-routing.service.j2", "symroute_routing_plan"),
    ("symroute_monitor", "monitor.json.j2", "symroute_monitor_plan"),
    ("symroute_monitor", "symroute-monitor.service.j2", "symroute_monitor_plan"),
    ("symroute_monitor", "symroute-monitor-ctl.j2", "symroute_monitor_plan"),
    ("symroute_monitor", "symroute-status.j2", "symroute_monitor_plan"),
)


def environment(role):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROLES / role / "templates"),
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    for module in (CoreFilters(), PlanFilters(), QuoteFilters()):
        env.filters.update(module.filters())
    return env


def role_variables(role, plan):
    """The role's defaults, resolved in order, with the plan's router settings on top."""
    variables = {}
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for name, value in defaults.items():
        variables[name] = plain.from_string(value).render(variables) if isinstance(value, str) else value
        if name in plan.get("settings", {}):
            variables[name] = plan["settings"][name]
    return variables


def render_all(plan):
    """{template name: rendered text} for one router's plan."""
    rendered = {}
    for role, template, plan_variable in TEMPLATES:
        variables = dict(role_variables(role, plan), **{plan_variable: plan})
        rendered[template] = environment(role).get_template(template).render(variables)
    return rendered
