"""explain takes a name wherever it takes an address (issue #23, item 5): resolved on the controller, each
answer walked through the plan as the router's resolver pins it."""

import shutil
import subprocess
import sys

import pytest
import yaml

from paths import REPOSITORY
from symroute import name_lookup
from symroute.explain import explain_address, explain_name
from symroute.plan import build_plan

PARTNER = {"name": "partner-dns", "link": "wan_b", "domains": ["api.partner.example"]}


def _plan(router_vars):
    router_vars["symroute_partners"].append(dict(PARTNER))
    return build_plan("edge", router_vars)


def test_each_answer_of_a_partners_name_is_walked_with_the_partners_mark(router_vars):
    plan = _plan(router_vars)
    answer = explain_name(plan, "api.partner.example", ["100.64.60.10", "2001:db8:60::10"], "a test resolver")
    assert answer["partner"] == "partner-dns" and answer["pinned_link"] == "wan_b"
    assert answer["resolved_with"] == "a test resolver"
    v4, v6 = answer["answers"]
    assert v4["partner"] == v6["partner"] == "partner-dns" and v4["link"] == v6["link"] == "wan_b"
    assert v4["prefix"] == "the answers of api.partner.example"
    assert (v4["source"], v6["source"]) == ("198.51.100.6", "2001:db8:b::2")  # wan_b's own addresses
    assert "leaves by wan_b" in v4["path"] and "leaves by wan_b" in v6["path"]
    assert v4["when_link_fails"].startswith("leaves by wan_a")
    # without the name, the same address is no partner's: the main table
    assert explain_address(plan, "100.64.60.10")["partner"] is None


def test_an_answer_in_the_lan_is_what_the_routers_resolver_refuses(router_vars):
    answer = explain_name(_plan(router_vars), "api.partner.example", ["203.0.113.10"], "a test resolver")
    [walked] = answer["answers"]
    assert walked["partner"] is None and walked["link"] is None
    assert walked["path"].startswith("refused by the router's resolver (203.0.113.0/24 is its own network")


def test_answers_in_a_links_network_or_special_use_are_refused_as_on_the_router(router_vars):
    answer = explain_name(_plan(router_vars), "api.partner.example", ["198.51.100.5", "127.0.0.1"], "a test resolver")
    link, loopback = answer["answers"]
    assert link["partner"] is None and link["path"].startswith(
        "refused by the router's resolver (198.51.100.0/29 is its own network: DNS rebinding)"  # the links, merged
    )
    assert loopback["path"].startswith("refused by the router's resolver (127.0.0.0/8 is a special-use range)")


def test_a_name_of_no_partner_is_walked_address_by_address(router_vars):
    answer = explain_name(_plan(router_vars), "www.example.org", ["100.64.30.7"], "a test resolver")
    assert answer["partner"] is None and answer["path"].startswith("not a partner's name")
    assert answer["answers"][0]["address"] == "100.64.30.7"


def test_the_controller_resolves_with_the_standard_library_when_dnspython_is_missing():
    pytest.importorskip("socket")
    try:
        import dns.resolver  # noqa: F401
    except ImportError:
        addresses, how = name_lookup.resolve("localhost")  # /etc/hosts, through getaddrinfo: no network
        assert "127.0.0.1" in addresses and "getaddrinfo" in how and "dnspython not installed" in how
    else:
        pytest.skip("dnspython is installed: resolve() uses it")


@pytest.mark.parametrize("text", ["a b", "{{ lookup('pipe', 'id') }}", "name\nwith newline", "-x.example", "a" * 300])
def test_what_is_not_a_name_is_never_resolved(text):
    with pytest.raises(name_lookup.NameLookupError, match="neither a valid IP address nor a DNS name"):
        name_lookup.resolve(text)


def _inventory(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(REPOSITORY / "inventories" / "lab", inventory)
    partners = inventory / "group_vars" / "all" / "partners.yml"
    data = yaml.safe_load(partners.read_text())
    data["symroute_partners"].append(dict(PARTNER, link="wan_b"))
    partners.write_text(yaml.safe_dump(data))
    return inventory


def test_explain_resolves_a_partners_name_on_the_controller_and_walks_each_answer(tmp_path):
    """The command line with its own /etc/hosts (a private mount namespace): the real lookup of the standard library."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], check=False).returncode:
        pytest.skip("no mount namespace here (unshare -m needs root)")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n100.64.60.10 api.partner.example\n2001:db8:60::10 api.partner.example\n")
    command = (
        f"mount --bind {hosts} /etc/hosts && exec {sys.executable} -m symroute explain "
        f"--inventory {_inventory(tmp_path)} --host edge api.partner.example no-such-name.invalid"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, check=False, cwd=REPOSITORY
    )  # this checkout's engine (python -m symroute from its root), as bin/symroute runs it
    lines = result.stdout.splitlines()
    assert lines[0].startswith("api.partner.example (partner partner-dns, name): a name of partner partner-dns")
    assert lines[1] == (
        "  resolved with the controller's system resolver (getaddrinfo; dnspython not installed): "
        "100.64.60.10, 2001:db8:60::10"
    )
    assert lines[2].startswith(
        "  100.64.60.10 (partner partner-dns, the answers of api.partner.example, pinned to wan_b): leaves by wan_b"
    ), result.stdout
    assert any(
        line.startswith("  2001:db8:60::10 (partner partner-dns") and "leaves by wan_b" in line for line in lines
    ), result.stdout
    assert lines[-1].startswith("no-such-name.invalid: not a valid IP address, nor a name the controller resolves")
    assert result.returncode == 1  # one argument could not be explained


def test_explain_refuses_the_same_special_use_ranges_as_the_routers_resolver():
    """The engine does not import the router package: its copy of the ranges must stay the resolver's."""
    from symroute import explain
    from symroute_router.monitor import resolver

    assert list(explain.SPECIAL_USE) == [str(network) for network in resolver.SPECIAL_USE]
