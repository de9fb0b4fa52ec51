"""bin/symroute plan and explain: exit codes, output, --base comparison."""

import json
import os
import shutil
import subprocess

import pytest

from paths import REPOSITORY

SYMROUTE = [str(REPOSITORY / "bin" / "symroute")]
LAB = REPOSITORY / "inventories" / "lab"


def run(*args, cwd=REPOSITORY):
    return subprocess.run([*SYMROUTE, *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False)


def test_plan_of_the_lab_is_valid():
    result = run("plan", "--inventory", LAB)
    assert result.returncode == 0, result.stderr
    assert "**Valid**: 1 router(s)" in result.stdout and "partner-api | wan_a | failover" in result.stdout


def test_plan_json_schema():
    result = run("plan", "--inventory", LAB, "--format", "json")
    document = json.loads(result.stdout)
    assert document["symroute_review_version"] == 1 and document["valid"] is True
    assert set(document) >= {"inventory", "problems", "warnings", "routers"}
    assert document["routers"]["edge"]["schema_version"] == 1


def test_plan_of_the_production_example_is_valid():
    assert run("plan", "--inventory", REPOSITORY / "inventories" / "production").returncode == 0


@pytest.fixture
def inventory(tmp_path):
    target = tmp_path / "inventory"
    shutil.copytree(LAB, target)
    return target


def _partners_file(inventory):
    return inventory / "group_vars" / "all" / "partners.yml"


def test_invalid_inventory_exits_1_with_every_problem(inventory):
    _partners_file(inventory).write_text(
        "symroute_partners:\n"
        "  - {name: acme, prefxes: [100.64.40.0/24], link: wan_a}\n"
        "  - {name: beta, prefixes: [100.64.40.7/24], link: wan_z}\n"
    )
    result = run("plan", "--inventory", inventory)
    assert result.returncode == 1
    # Three causes, three messages: the misspelt key is not also reported as missing prefixes.
    for fragment in ("unknown key 'prefxes'", "host bits set", "unknown link 'wan_z'", "**Invalid**: 3 problem(s)"):
        assert fragment in result.stdout
    assert "needs prefixes" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_malformed_yaml_names_the_file_and_line(inventory):
    _partners_file(inventory).write_text("symroute_partners:\n  - {name: acme\n")
    result = run("plan", "--inventory", inventory)
    assert result.returncode == 1
    assert "partners.yml line" in result.stdout and "malformed YAML" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("args", [["plan"], ["frobnicate"], ["plan", "--inventory", "x", "--format", "xml"]])
def test_usage_error_exits_2(args):
    assert run(*args).returncode == 2


def test_explain_v4_and_v6():
    result = run(
        "explain",
        "--inventory",
        LAB,
        "--host",
        "edge",
        "--format",
        "json",
        "100.64.20.10",
        "2001:db8:21::5",
        "203.0.113.7",
        "100.64.77.1",
    )
    assert result.returncode == 0, result.stderr
    answers = {a["address"]: a for a in json.loads(result.stdout)}
    assert answers["100.64.20.10"]["link"] == "wan_a" and answers["100.64.20.10"]["source"] == "198.51.100.2"
    assert answers["2001:db8:21::5"]["partner"] == "partner-ledger"
    assert answers["2001:db8:21::5"]["on_link_failure"] == "fail_closed"
    assert answers["2001:db8:21::5"]["mark"] == "0x8100"
    assert "LAN or management" in answers["203.0.113.7"]["path"]
    assert answers["100.64.77.1"]["partner"] is None and "main table" in answers["100.64.77.1"]["path"]


def test_explain_unknown_host_is_a_usage_error():
    assert run("explain", "--inventory", LAB, "--host", "nope", "100.64.20.1").returncode == 2


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_plan_base_shows_what_changes(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(LAB, repo / "inventories" / "lab")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "base", "--allow-empty")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    partners = _partners_file(repo / "inventories" / "lab")
    partners.write_text(
        partners.read_text()
        .replace("100.64.20.0/24", "100.64.20.0/24, 100.64.22.0/24")
        .replace("link: wan_a\n    on_link_failure: fail_closed", "link: wan_b\n    on_link_failure: fail_closed")
        .replace('"2001:db8:21::/48"', "100.64.23.0/24")
    )
    result = run("plan", "--inventory", repo / "inventories" / "lab", "--base", "HEAD", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    edge = document["changes"]["edge"]
    assert edge["status"] == "changed"
    assert edge["partners"]["partner-api"]["prefixes"] == {"added": ["100.64.22.0/24"], "removed": []}
    assert edge["partners"]["partner-ledger"]["repinned"] == {"from": "wan_a", "to": "wan_b"}
    assert edge["set_elements"]["wan_a_failover_v4"]["added"] == ["100.64.22.0/24"]
    assert edge["set_elements"]["wan_b_fail_closed_v4"]["added"] == ["100.64.21.0/24", "100.64.23.0/24"]
    assert document["partners_changed"]["partner-ledger"]["routers"] == ["edge"]
    markdown = run("plan", "--inventory", repo / "inventories" / "lab", "--base", "HEAD", cwd=repo).stdout
    assert "re-pinned `wan_a` → `wan_b`" in markdown and "+ `100.64.22.0/24`" in markdown


def _committed_lab(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(LAB, repo / "inventories" / "lab")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return repo, repo / "inventories" / "lab"


def test_plan_base_lists_every_change_outside_the_partner_contract(tmp_path):
    repo, lab = _committed_lab(tmp_path)
    host_vars = lab / "host_vars" / "edge.yml"
    host_vars.write_text(host_vars.read_text() + "symroute_monitor_hook: [/usr/local/bin/alert]\n")
    (lab / "host_vars" / "edge2.yml").write_text("symroute_links: []\n")
    (lab / "hosts.yml").write_text((lab / "hosts.yml").read_text() + "    edge2:\n      ansible_host: 100.64.99.7\n")
    partners = _partners_file(lab)
    partners.write_text(partners.read_text().replace("100.64.20.0/24", "100.64.20.0/24, 100.64.22.0/24"))
    result = run("plan", "--inventory", lab, "--base", "HEAD", "--format", "json", cwd=repo)
    json.loads(result.stdout)  # a JSON document all the same
    assert result.returncode == 1  # edge2 has no links: invalid, and nothing to compare
    host_vars.write_text(host_vars.read_text())
    (lab / "host_vars" / "edge2.yml").unlink()
    (lab / "hosts.yml").write_text(
        (lab / "hosts.yml").read_text().replace("    edge2:\n      ansible_host: 100.64.99.7\n", "")
    )
    (lab / "group_vars" / "all" / "zz-extra.yml").write_text("ansible_ssh_common_args: -o ProxyCommand=nc\n")
    result = run("plan", "--inventory", lab, "--base", "HEAD", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    outside = json.loads(result.stdout)["outside_contract"]
    assert outside["files_added"] == [
        {"path": "group_vars/all/zz-extra.yml", "note": "", "variables": ["ansible_ssh_common_args"]}
    ]
    assert outside["files_changed"] == [
        {
            "path": "host_vars/edge.yml",
            "modes": [],
            "variables": {"added": ["symroute_monitor_hook"], "removed": [], "changed": []},
        }
    ]
    assert outside["hosts"] == {}
    markdown = run("plan", "--inventory", lab, "--base", "HEAD", cwd=repo).stdout
    assert "### ⚠ Changes outside the partner contract" in markdown
    assert "new file `group_vars/all/zz-extra.yml`: defines `ansible_ssh_common_args`" in markdown
    assert "changed file `host_vars/edge.yml`: added `symroute_monitor_hook`" in markdown


def test_the_review_shows_router_settings_jinja_and_cannot_be_hidden_by_names(tmp_path):
    repo, lab = _committed_lab(tmp_path)
    (lab / "group_vars" / "all" / "monitoring.yml").write_text(
        'symroute_monitor_hook: [/usr/local/bin/alert, --team, net]\n"x\\n<!-- ": 1\n'
    )
    (lab / "hosts.yml").write_text(
        (lab / "hosts.yml")
        .read_text()
        .replace("ansible_host: symroute-lab-edge", "ansible_host: \"{{ 'symroute-lab-edge' }}\"")
    )
    result = run("plan", "--inventory", lab, "--base", "HEAD", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["changes"]["edge"]["status"] == "changed"
    assert document["changes"]["edge"]["settings"]["added"] == [
        'symroute_monitor_hook=["/usr/local/bin/alert", "--team", "net"]'
    ]
    assert document["outside_contract"]["templates"] == [{"path": "hosts.yml", "variable": "edge:ansible_host"}]
    markdown = run("plan", "--inventory", lab, "--base", "HEAD", cwd=repo).stdout
    assert "<!--" not in markdown and "x\\n&lt;!-- " in markdown
    assert "router settings:" in markdown and "holds Jinja" in markdown


def test_a_partner_change_alone_shows_no_contract_warning(tmp_path):
    repo, lab = _committed_lab(tmp_path)
    partners = _partners_file(lab)
    partners.write_text(partners.read_text().replace("100.64.20.0/24", "100.64.20.0/24, 100.64.22.0/24"))
    result = run("plan", "--inventory", lab, "--base", "HEAD", cwd=repo)
    assert result.returncode == 0 and "outside the partner contract" not in result.stdout
    assert "Plan digest: `sha256:" in result.stdout


def test_the_digest_is_the_same_in_two_processes_with_different_hash_seeds():
    digests = set()
    for seed in ("1", "2"):
        environment = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [*SYMROUTE, "plan", "--inventory", str(REPOSITORY / "inventories" / "production"), "--format", "json"],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        digests.add(json.loads(result.stdout)["digest"])
    assert len(digests) == 1


def test_plan_base_unknown_ref_is_a_usage_error(tmp_path):
    assert run("plan", "--inventory", LAB, "--base", "no-such-ref-xyz").returncode == 2


def test_explain_down_walks_the_plans_rules_for_three_links_and_two_failures():
    result = run(
        "explain",
        "--inventory",
        LAB,
        "--host",
        "edge",
        "--format",
        "json",
        "--down",
        "wan_a",
        "--down",
        "wan_b",
        "100.64.20.10",
        "2001:db8:20::10",
        "100.64.21.10",
    )
    assert result.returncode == 0, result.stderr
    api4, api6, ledger = json.loads(result.stdout)
    assert (api4["link"], api4["source"], api4["rejected"]) == ("wan_c", "198.51.100.10", False)
    assert api4["rules"][-1].endswith("leaves by wan_c (wanc)")
    assert api6["rejected"] and api6["link"] is None  # wan_c carries no IPv6
    assert ledger["rejected"] and "prohibit: rejected" in ledger["rules"][-1]  # fail_closed on wan_a


def test_explain_down_with_an_unknown_link_is_a_usage_error():
    result = run("explain", "--inventory", LAB, "--host", "edge", "--down", "wan_z", "100.64.20.10")
    assert result.returncode == 2 and "--down wan_z: not a link of edge" in result.stderr
