"""The Ansible filters are thin: the engine's results, errors as AnsibleFilterError, documented."""

import os
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from filter_plugins.symroute_contract import FilterModule as ContractFilters
from filter_plugins.symroute_plan import FilterModule as PlanFilters
from filter_plugins.symroute_quote import FilterModule as QuoteFilters
from paths import REPOSITORY
from symroute.pipeline import plan_routers

symroute_plan = PlanFilters().filters()["symroute_plan"]
symroute_quote = QuoteFilters().filters()["symroute_quote"]
symroute_contract = ContractFilters().filters()["symroute_contract"]


def test_symroute_plan_equals_the_engine(router_vars):
    variables = dict(router_vars, ansible_host="ignored", unrelated=1)
    assert symroute_plan(variables, "edge") == plan_routers({"edge": router_vars})["edge"]


def test_symroute_plan_lists_every_problem(router_vars):
    broken = dict(
        router_vars, symroute_partners=[{"name": "x", "prefixes": ["1.2.3.4/24"], "link": "wan_z"}], symroute_partner=[]
    )
    with pytest.raises(AnsibleFilterError) as raised:
        symroute_plan(broken, "edge-1")
    text = str(raised.value)
    assert "edge-1, partner 'x'" in text and "wan_z" in text and "did you mean 'symroute_partners'" in text


@pytest.mark.parametrize(
    ("value", "syntax", "written"),
    [
        ("eth1", "nft_string", '"eth1"'),
        ("edge\nflush ruleset", "comment", "edge\\nflush ruleset"),
        ("a\u2028b", "comment", "a\\u2028b"),
        ("/usr/lib/symroute dir", "systemd", '"/usr/lib/symroute dir"'),
        ("50%$HOME", "systemd", '"50%%$$HOME"'),
        ("net.ipv4.conf.eth0/100.rp_filter", "sysctl_key", "net.ipv4.conf.eth0/100.rp_filter"),
        ("it's", "shell", "'it'\"'\"'s'"),
        ('a"b\\c\nd', "prometheus_label", '"a\\"b\\\\c\\nd"'),
    ],
)
def test_symroute_quote_writes_each_syntax(value, syntax, written):
    assert symroute_quote(value, syntax) == written


@pytest.mark.parametrize(
    ("value", "syntax"),
    [
        ('eth1" ; flush ruleset ; "', "nft_string"),
        ("eth1\n", "nft_string"),
        ("net.ipv4.conf.all.rp_filter = 0\nkernel.x", "sysctl_key"),
        ("/usr/lib\nExecStartPre=/bin/sh", "systemd"),
        ("wan a", "token"),
        ("x", "no-such-syntax"),
    ],
)
def test_symroute_quote_refuses_what_does_not_fit(value, syntax):
    with pytest.raises(AnsibleFilterError, match="symroute_quote"):
        symroute_quote(value, syntax)


@pytest.mark.parametrize("name", ["symroute_plan", "symroute_quote"])
def test_ansible_doc_renders_each_filter(name):
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(REPOSITORY / ".venv" / "bin" / "ansible-doc"), "-t", "filter", name],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and "EXAMPLES" in result.stdout and "RETURN" in result.stdout.upper()
    assert "ERROR" not in result.stderr


def test_symroute_contract_is_the_engines_slice_and_refuses_what_is_not_one(router_vars):
    from symroute.contract_slices import contract_slice

    plan = plan_routers({"edge": router_vars})["edge"]
    assert symroute_contract(plan, "routing") == contract_slice(plan, "routing")
    with pytest.raises(AnsibleFilterError, match="unknown part 'rules'"):
        symroute_contract(plan, "rules")
    with pytest.raises(AnsibleFilterError, match="the plan has no verify slice"):
        symroute_contract({"contract_version": 1}, "verify")
