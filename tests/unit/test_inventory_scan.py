"""The inventory scan reads what Ansible reads, no more and no less (issue #27).

Ansible skips, in an inventory directory, names starting with a dot and those
matching INVENTORY_IGNORE_EXTS and INVENTORY_IGNORE_PATTERNS; in group_vars/
and host_vars/, hidden and backup names and, inside a group's or host's
directory, names with an extension it does not read as variables. A team's
inventory kept as a git repository of its own (.git/ with its executable
sample hooks at the root) must plan; a file Ansible would read must still be
checked.
"""

import json
import os
import shutil
import subprocess

import pytest

from paths import REPOSITORY
from symroute import cli
from symroute.ansible_inventory import _restrict_ansible
from symroute.inventory_files import scan
from symroute.review_contract import has_contract_changes

SYMROUTE = str(REPOSITORY / "bin" / "symroute")
LAB = REPOSITORY / "inventories" / "lab"
GIT_IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
REFUSED_EXECUTABLE = "the file is executable"


def _git(repository, *args):
    subprocess.run(["git", "-C", str(repository), *GIT_IDENTITY, *args], check=True, capture_output=True)


def _plan(*args, capsys):
    status = cli.main(["plan", "--format", "json", *map(str, args)])
    return status, json.loads(capsys.readouterr().out)


@pytest.fixture
def repository(tmp_path):
    """The lab inventory as the root of a git repository of its own, committed."""
    root = tmp_path / "partner-inventory"
    shutil.copytree(LAB, root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "partners")
    return root


def test_an_inventory_that_is_a_git_repository_plans_with_and_without_base(repository, capsys):
    hooks = [path for path in (repository / ".git" / "hooks").iterdir() if os.access(path, os.X_OK)]
    assert hooks, "git init wrote no executable sample hook: the test proves nothing"
    status, document = _plan("--inventory", LAB, capsys=capsys)
    assert status == 0
    lab_digest = document["digest"]
    status, document = _plan("--inventory", repository, capsys=capsys)
    assert status == 0, document["problems"]
    assert document["digest"] == lab_digest  # nothing of .git/ is part of the inventory
    partners = repository / "group_vars" / "all" / "partners.yml"
    partners.write_text(partners.read_text().replace("100.64.20.0/24", "100.64.20.0/24, 100.64.22.0/24"))
    result = subprocess.run(
        [SYMROUTE, "plan", "--inventory", ".", "--base", "HEAD", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=repository,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["base_notes"] == []
    assert document["changes"]["edge"]["partners"]["partner-api"]["prefixes"]["added"] == ["100.64.22.0/24"]
    assert not has_contract_changes(document["outside_contract"])


def _write(root, relative, text, mode=0o644):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_hidden_and_backup_files_are_ignored_as_ansible_ignores_them(tmp_path, capsys):
    root = tmp_path / "inventory"
    shutil.copytree(LAB, root)
    status, document = _plan("--inventory", root, capsys=capsys)
    digest = document["digest"]
    # Each would be refused or change the plan if it were read; Ansible reads none of them.
    _write(root, ".draft.yml", "symroute_routers:\n  hosts:\n    ghost:\n      symroute_partners: []\n")
    _write(root, "group_vars/all/.partners-next.yml", "symroute_partners: []\n")
    _write(root, "group_vars/all/partners.yml~", "symroute_partners: []\n")
    _write(root, "group_vars/.all.yml", "symroute_lan_networks: [not-a-network]\n")
    _write(root, "host_vars/.edge/links.yml", "symroute_links: []\n")
    _write(root, ".hooks/pre-commit", "#!/bin/sh\nexit 1\n", 0o755)
    status, document = _plan("--inventory", root, capsys=capsys)
    assert status == 0, document["problems"]
    assert document["digest"] == digest


def test_a_file_ansible_would_read_is_still_refused_when_executable(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(LAB, root)
    read = [
        "extra.yml",
        "more/hosts",
        "group_vars/all/more.yml",
        "group_vars/all/deeper/values",
        "host_vars/edge.example.org",
    ]
    ignored = [
        "README.md",
        "notes.txt",
        "hosts.orig",
        "site.retry",
        "old.cfg",
        "hosts.yml~",
        ".envrc",
        "group_vars/all/notes.txt",
        "group_vars/all/draft.yml.bak",
        "group_vars/all/sub.d/x.yml",
        "more/group_vars/all.yml",
        "vars_plugins/plugin.py",
    ]
    for relative in read + ignored:
        _write(root, relative, "{}\n" if relative.endswith(".yml") else "", 0o755)
    _, files, problems = scan(root)
    refused = sorted(str(problem.where) for problem in problems if REFUSED_EXECUTABLE in problem.message)
    assert refused == sorted(str(root / relative) for relative in read)
    assert not set(ignored) & set(files)


def _files_ansible_reads(source, monkeypatch):
    """The files Ansible's own inventory loading opens for ``source`` (every group's and host's vars included)."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    opened = set()
    original = DataLoader._get_file_contents

    def recording(self, file_name):
        opened.add(os.path.realpath(file_name))
        return original(self, file_name)

    monkeypatch.setattr(DataLoader, "_get_file_contents", recording)
    _restrict_ansible()
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(source)])
    variables = VariableManager(loader=loader, inventory=manager)
    for host in manager.get_hosts():
        variables.get_vars(host=host)
    return opened


def test_the_scan_holds_exactly_the_files_ansible_reads(tmp_path, monkeypatch):
    root = tmp_path / "inventory"
    hosts = ("edge", "edge2.example.org", "web")
    _write(
        root,
        "hosts.yml",
        "all:\n  children:\n    routers:\n      hosts:\n"
        + "".join(f"        {host}:\n" for host in hosts)
        + "    web_group:\n      hosts:\n        web:\n",
    )
    _write(root, "more/extra.yml", "routers:\n  hosts:\n    edge:\n")
    _write(root, "more/hosts", "[routers]\nedge\n")
    for relative in (
        "group_vars/all.yml",
        "group_vars/routers/a.yml",
        "group_vars/routers/b",
        "group_vars/routers/deeper/c.json",
        "group_vars/web_group.yaml",
        "host_vars/edge.yml",
        "host_vars/edge2.example.org",
        "host_vars/web/x.yml",
    ):
        _write(root, relative, "{}\n")
    for relative in (
        "README.md",
        ".git/config",
        ".git/hooks/pre-commit.sample",
        "x.retry",
        "hosts.yml~",
        "more/group_vars/all.yml",
        "vars_plugins/x.yml",
        "group_vars/.all.yml",
        "group_vars/routers/.hidden.yml",
        "group_vars/routers/a.yml~",
        "group_vars/routers/notes.txt",
        "group_vars/routers/sub.d/d.yml",
        "host_vars/web/.x.yml",
    ):
        _write(root, relative, "not: [read\n")  # malformed: Ansible would fail on any of them
    _, files, problems = scan(root)
    assert problems == []
    assert {os.path.realpath(root / relative) for relative in files} == _files_ansible_reads(root, monkeypatch)


def test_the_users_ignore_settings_are_honoured(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(LAB, root)
    _write(root, "drafts-hosts.yml", "symroute_routers:\n  hosts:\n    ghost:\n", 0o755)
    _write(root, "hosts.yml.old", "not: [yaml\n", 0o755)

    def run(**settings):
        environment = dict(os.environ, **settings)
        return subprocess.run(
            [SYMROUTE, "plan", "--inventory", str(root)], capture_output=True, text=True, env=environment, check=False
        )

    result = run()
    assert result.returncode == 1
    assert "drafts-hosts.yml: the file is executable" in result.stdout and "hosts.yml.old" in result.stdout
    config = _write(
        tmp_path,
        "ansible.cfg",
        "[defaults]\ninventory_ignore_patterns = ^drafts-\n[inventory]\nignore_extensions = .old\n",
    )
    result = run(ANSIBLE_CONFIG=str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(ANSIBLE_INVENTORY_IGNORE_REGEX="^drafts-", ANSIBLE_INVENTORY_IGNORE=".old")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- symroute_partners: []\n", "its top level is a list"),
        ("just a sentence\n", "its top level is a string"),
        ("$ANSIBLE_VAULT;1.1;AES256\n6162\n", "encrypted with Ansible Vault"),
    ],
)
def test_a_vars_file_that_is_not_a_mapping_is_named_in_symroutes_words(tmp_path, text, message):
    root = tmp_path / "inventory"
    shutil.copytree(LAB, root)
    partners = _write(root, "group_vars/all/partners.yml", text)
    _write(root, "group_vars/all/empty.yml", "[]\n")  # empty: Ansible skips it, so does symroute
    result = subprocess.run([SYMROUTE, "plan", "--inventory", str(root)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert len(problems) == 1, result.stdout
    assert problems[0].startswith(f"- {partners}: ")
    assert message in problems[0]
    if "Vault" not in message:
        assert "the file must be a mapping of variable names to values" in problems[0]
    assert "Tagged" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_yaml_inventory_file_that_is_a_list_is_named(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(LAB, root)
    hosts = _write(root, "more-hosts.yml", "- edge\n")
    result = subprocess.run([SYMROUTE, "plan", "--inventory", str(root)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert f"- {hosts}: a YAML inventory file must be a mapping of group names to groups" in result.stdout
    assert "Tagged" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_the_plan_does_not_depend_on_the_working_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    _write(elsewhere, "group_vars/all/partners.yml", "symroute_partners: []\n")
    _write(elsewhere, "host_vars/edge.yml", "symroute_links: []\n")
    digests = set()
    for directory in (REPOSITORY, elsewhere):
        result = subprocess.run(
            [SYMROUTE, "plan", "--inventory", str(LAB), "--format", "json"],
            capture_output=True,
            text=True,
            cwd=directory,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        digests.add(json.loads(result.stdout)["digest"])
    assert len(digests) == 1
