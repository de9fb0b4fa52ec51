"""Validation problems name the inventory file and line of the value; one root cause gives one message."""

import json
import subprocess

import pytest

from paths import REPOSITORY

SYMROUTE = [str(REPOSITORY / "bin" / "symroute")]
HOSTS = "symroute_routers:\n  hosts:\n    gw1:\n      ansible_host: 100.64.99.1\n"
LINKS = """symroute_links:
  - name: fiber
    interface: eth1
    address: 198.51.100.2/30
    gateway: 198.51.100.1
    address6: "2001:db8:a::2/64"
    gateway6: "2001:db8:a::1"
  - name: lte
    interface: wwan0
    address: 100.64.3.2/30
    gateway: 100.64.3.1
symroute_lan_networks: [10.10.0.0/16]
"""
PARTNERS = """symroute_partners:
  - name: stripe-api
    prefixes: [198.18.10.0/24, "2001:db8:100::/48"]
    link: fiber
  - name: bank
    prefixes: [198.18.20.0/24]
    link: lte
"""


def site(tmp_path, links=LINKS, partners=PARTNERS, hosts=HOSTS):
    root = tmp_path / "site"
    (root / "host_vars").mkdir(parents=True)
    (root / "group_vars" / "all").mkdir(parents=True)
    (root / "hosts.yml").write_text(hosts)
    (root / "host_vars" / "gw1.yml").write_text(links)
    (root / "group_vars" / "all" / "partners.yml").write_text(partners)
    return root


def plan(root, *extra):
    result = subprocess.run(
        [*SYMROUTE, "plan", "--inventory", str(root), "--format", "json", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_valid_site_plans(tmp_path):
    code, document = plan(site(tmp_path))
    assert code == 0 and document["valid"], document["problems"]


def test_a_link_problem_names_the_host_file_and_line(tmp_path):
    root = site(tmp_path, links=LINKS.replace("    gateway: 100.64.3.1\n", "    gateway: 100.64.9.1\n"))
    code, document = plan(root)
    assert code == 1
    assert document["problems"] == [
        f"{root}/host_vars/gw1.yml:11: gw1, link 'lte': field gateway: 100.64.9.1 is not in the link's network "
        "100.64.3.0/30"
    ]


def test_a_partner_problem_names_the_partner_file_and_the_line_of_the_field(tmp_path):
    root = site(tmp_path, partners=PARTNERS + "  - name: broken\n    prefixes: [198.18.30.7/24]\n    link: lte\n")
    code, document = plan(root)
    assert code == 1
    (problem,) = document["problems"]
    assert problem.startswith(f"{root}/group_vars/all/partners.yml:9: gw1, partner 'broken': field prefixes[0]")


def test_a_link_missing_its_gateway_gives_one_message_not_an_unknown_link_for_its_partners(tmp_path):
    root = site(tmp_path, links=LINKS.replace("    gateway: 100.64.3.1\n", "    gateway:\n"))
    code, document = plan(root)
    assert code == 1
    (problem,) = document["problems"]
    assert "link 'lte': field gateway" in problem and "unknown link" not in problem
    assert problem.startswith(f"{root}/host_vars/gw1.yml:11: ")


def test_refused_ipv6_on_a_link_is_not_repeated_by_its_partners(tmp_path):
    root = site(tmp_path, links=LINKS.replace('    gateway6: "2001:db8:a::1"\n', ""))
    code, document = plan(root)
    assert code == 1
    (problem,) = document["problems"]
    assert "field gateway6: IPv6 needs both address6 and gateway6" in problem


def test_a_health_check_without_scheme_gives_one_message(tmp_path):
    root = site(tmp_path, partners=PARTNERS + "    health_check: api.bank.example/health\n")
    code, document = plan(root)
    assert code == 1
    (problem,) = document["problems"]
    assert "field health_check: 'api.bank.example/health' is neither tcp://HOST:PORT nor an https:// URL" in problem
    assert problem.startswith(f"{root}/group_vars/all/partners.yml:8: ")


def test_a_variable_problem_names_its_file_and_line(tmp_path):
    root = site(tmp_path, links=LINKS + "symroute_lan_networkz: []\n")
    code, document = plan(root)
    assert code == 1
    assert document["problems"] == [
        f"{root}/host_vars/gw1.yml:13: gw1: variable symroute_lan_networkz: not a "
        "symroute variable (did you mean 'symroute_lan_networks'?)"
    ]


def test_a_key_without_a_value_says_so(tmp_path):
    root = site(tmp_path, links=LINKS.replace("    gateway: 100.64.3.1\n", "    gateway:\n"))
    _, document = plan(root)
    assert "got nothing (the key is written without a value)" in document["problems"][0]


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("symroute_partners:\n  - name: a\n    prefixes: [198.18.1.0/24\n", 4, 1),
        ("symroute_partners:\n  - name: a\n    name: b\n", 3, 5),
        ("symroute_partners: !!python/object:os.system x\n", 1, 20),
    ],
)
def test_malformed_yaml_gives_file_line_and_column(tmp_path, text, line, column):
    root = site(tmp_path, partners=text)
    code, document = plan(root)
    assert code == 1
    assert any(f"partners.yml line {line} column {column}: " in p for p in document["problems"]), document


def test_every_problem_at_once_with_its_own_file(tmp_path):
    root = site(tmp_path, links=LINKS.replace("eth1", "all"), partners=PARTNERS.replace("link: lte", "link: dsl"))
    code, document = plan(root)
    assert code == 1 and len(document["problems"]) == 2
    assert {p.split(":")[0] for p in document["problems"]} == {
        f"{root}/host_vars/gw1.yml",
        f"{root}/group_vars/all/partners.yml",
    }


def test_no_router_says_how_to_fix_it(tmp_path):
    root = site(tmp_path, hosts="routers:\n  hosts:\n    gw1: {}\n")
    code, document = plan(root)
    assert code == 1
    (problem,) = document["problems"]
    assert "no hosts in group 'symroute_routers'" in problem
    assert "symroute_routers:" in problem and "--group" in problem and "getting-started" in problem


def test_markdown_shows_the_file_first(tmp_path):
    root = site(tmp_path, links=LINKS.replace("    gateway: 100.64.3.1\n", "    gateway: 100.64.9.1\n"))
    result = subprocess.run([*SYMROUTE, "plan", "--inventory", str(root)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert f"- {root}/host_vars/gw1.yml:11: gw1, link 'lte'" in result.stdout


def test_the_playbook_prints_each_problem_once_with_its_file(tmp_path):
    root = site(tmp_path, links=LINKS.replace("    gateway: 100.64.3.1\n", "    gateway: 100.64.9.1\n"))
    result = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(root),
            str(REPOSITORY / "playbooks" / "plan.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            "ANSIBLE_CONFIG": str(REPOSITORY / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
    )
    # Ansible folds long values and doubles the quotes of its single-quoted YAML strings.
    output = " ".join((result.stdout + result.stderr).split()).replace("''", "'")
    assert result.returncode != 0
    assert output.count("is not in the link's network 100.64.3.0/30") == 1, output
    assert f"{root}/host_vars/gw1.yml:11: gw1, link 'lte'" in output
    assert "the inventory has 1 problem (under 'problems' below, each with its inventory file and line)" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("name", ["evil\nname", "a" * 300, "{{ lookup('pipe', 'id') }}", "ünïcode", ""])
def test_hostile_partner_names_are_located_without_error(tmp_path, name):
    partners = PARTNERS + f"  - name: {json.dumps(name)}\n    prefixes: [198.18.30.7/24]\n    link: lte\n"
    code, document = plan(site(tmp_path, partners=partners))
    assert code == 1 and document["problems"]
    assert all(p.startswith(str(tmp_path)) or "cannot" in p for p in document["problems"]), document["problems"]


def test_variables_inline_in_hosts_yml_are_located_in_it(tmp_path):
    hosts = (
        "symroute_routers:\n  hosts:\n    gw1:\n      ansible_host: 100.64.99.1\n"
        "      symroute_lan_networks: [10.10.0.7/16]\n"
    )
    root = site(tmp_path, hosts=hosts, links=LINKS.replace("symroute_lan_networks: [10.10.0.0/16]\n", ""))
    code, document = plan(root)
    assert code == 1
    assert document["problems"][0].startswith(f"{root}/hosts.yml:5: gw1, symroute_lan_networks[0]: ")


def test_an_ini_inventory_names_the_host_file(tmp_path):
    root = site(tmp_path, links=LINKS.replace("eth1", "all"))
    (root / "hosts.yml").unlink()
    (root / "hosts.ini").write_text("[symroute_routers]\ngw1 ansible_host=100.64.99.1\n")
    code, document = plan(root)
    assert code == 1
    assert document["problems"][0].startswith(f"{root}/host_vars/gw1.yml:3: gw1, link 'fiber': field interface")
