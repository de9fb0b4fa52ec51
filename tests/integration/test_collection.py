"""The collection symroute.router (make collection) converges a router on its own: installed with
ansible-galaxy into a temporary collections path, run by its fully qualified playbook name from a
directory and an ansible.cfg that know nothing of this repository's roles, modules or filters; its
other playbooks pass a syntax check there. The engine's sdist, installed as the execution environment
installs it into a fresh virtualenv, plans the lab inventory as the repository's bin/symroute does."""

import json
import os
import re
import subprocess
import tarfile
import tomllib
import venv

import pytest
import yaml

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY, remove_router, start_router

NAME = "symroute-collection-router"
VENV = REPOSITORY / ".venv" / "bin"
# Only the settings a user's controller would have: no roles_path, library, module_utils or filter_plugins.
CONFIG = """[defaults]
collections_path = {collections}
host_key_checking = True
retry_files_enabled = False
interpreter_python = auto_silent
duplicate_dict_key = error

[inventory]
enable_plugins = ansible.builtin.yaml, ansible.builtin.ini
"""
PLAYBOOK = """---
- name: symroute, from its collection
  ansible.builtin.import_playbook: symroute.router.symmetric_routing
"""


def _recap(output, host):
    match = re.search(
        rf"^{re.escape(host)}\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.MULTILINE
    )
    assert match, output[-3000:]
    return {"ok": int(match[1]), "changed": int(match[2]), "unreachable": int(match[3]), "failed": int(match[4])}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection, built from this checkout and installed into a temporary collections path."""
    work = tmp_path_factory.mktemp("collection")
    build = subprocess.run(
        [str(VENV / "python"), str(REPOSITORY / "bin" / "build-collection"), "--output", str(work / "build")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = next((work / "build" / "collection").glob("symroute-router-*.tar.gz"))
    install = subprocess.run(
        [
            str(VENV / "ansible-galaxy"),
            "collection",
            "install",
            str(tarball),
            "--collections-path",
            str(work / "collections"),
            "--force",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return work, tarball


def test_the_tarball_holds_the_sources_in_the_collection_layout(installed):
    _work, tarball = installed
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        module = archive.extractfile("plugins/modules/symroute_converge.py").read().decode()
        template = archive.extractfile("roles/symroute_nftables/templates/symroute.nft.j2").read().decode()
        main = archive.extractfile("playbooks/symmetric_routing.yml").read().decode()
    for expected in (
        "meta/runtime.yml",
        "plugins/filter/symroute_quote.py",
        "plugins/filter/symroute_package_files.py",
        "plugins/module_utils/symroute_router/__init__.py",
        "plugins/module_utils/symroute_router/monitor",
        "plugins/modules/symroute_inventory_plan.py",
        "roles/symroute_snapshot/tasks/restore.yml",
        "playbooks/plan.yml",
        "playbooks/failover_drill.yml",
        "playbooks/audit.yml",
    ):
        assert expected in names, expected
    assert "from ansible_collections.symroute.router.plugins.module_utils.symroute_router.converge import" in module
    assert "ansible.module_utils.symroute_router" not in module
    assert "| symroute.router.symroute_quote('token')" in template and "| symroute_quote" not in template
    assert "import_playbook: plan.yml" in main
    assert not any("__pycache__" in name for name in names)


@pytest.fixture
def controller(installed, tmp_path):
    """A directory with an ansible.cfg that knows only the collections path, and the environment to run there."""
    work, _tarball = installed
    config = tmp_path / "ansible.cfg"
    config.write_text(CONFIG.format(collections=work / "collections"))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    environment = {
        key: value
        for key, value in PODMAN_ENVIRONMENT.items()
        if not key.startswith("ANSIBLE_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    environment.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{VENV}{os.pathsep}{os.environ['PATH']}",
    )
    return tmp_path, environment


def test_every_playbook_of_the_collection_passes_a_syntax_check(installed, controller):
    _work, tarball = installed
    directory, environment = controller
    with tarfile.open(tarball) as archive:
        playbooks = sorted(
            name.removeprefix("playbooks/").removesuffix(".yml")
            for name in archive.getnames()
            if re.fullmatch(r"playbooks/[^/]+\.yml", name)
        )
    assert {"symmetric_routing", "plan", "verify", "failover_drill", "doctor", "remove"} <= set(playbooks)
    for playbook in playbooks:
        checked = subprocess.run(
            [str(VENV / "ansible-playbook"), "-i", "localhost,", "--syntax-check", f"symroute.router.{playbook}"],
            capture_output=True,
            text=True,
            cwd=directory,
            env=environment,
            check=False,
        )
        assert checked.returncode == 0, f"{playbook}: {checked.stdout[-2000:]}{checked.stderr[-2000:]}"


def test_the_engines_sdist_plans_like_the_repository(installed, tmp_path):
    """The execution environment's recipe (execution-environment.yml): ansible-core and the engine's pinned
    dependencies, then the sdist with --no-deps; run isolated (-I), from the fresh virtualenv's copy."""
    work, _tarball = installed
    version = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    (sdist,) = (work / "build" / "python").glob("symroute-*.tar.gz")
    assert sdist.name == f"symroute-{version}.tar.gz"
    definition = yaml.safe_load((REPOSITORY / "execution-environment.yml").read_text())["dependencies"]
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = str(environment / "bin" / "python")
    for arguments in ([definition["ansible_core"]["package_pip"], *definition["python"]], ["--no-deps", str(sdist)]):
        installed_now = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", *arguments], capture_output=True, text=True, check=False
        )
        assert installed_now.returncode == 0, installed_now.stdout[-2000:] + installed_now.stderr[-2000:]
    where = subprocess.run(
        [python, "-I", "-c", "import symroute; print(symroute.__file__)"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=False,
    )
    assert where.stdout.startswith(str(environment)), where.stdout + where.stderr

    def plan(command):
        result = subprocess.run(
            [*command, "plan", "--format", "json", "--inventory", "inventories/lab"],
            capture_output=True,
            text=True,
            cwd=REPOSITORY,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    from_sdist = plan([python, "-I", "-m", "symroute"])
    from_repository = plan([str(REPOSITORY / "bin" / "symroute")])
    assert from_sdist["digest"].startswith("sha256:") and from_sdist["valid"] is True
    assert from_sdist == from_repository


def test_the_collection_converges_a_router_without_the_repository(installed, controller):
    work, _tarball = installed
    directory, environment = controller
    collection = work / "collections" / "ansible_collections" / "symroute" / "router"
    router = start_router(NAME, directory)
    try:
        router.write_inventory()

        def converge(*options):
            return subprocess.run(
                [str(VENV / "ansible-playbook"), *options, "-i", str(router.inventory), "site.yml"],
                capture_output=True,
                text=True,
                cwd=directory,
                env=environment,
                check=False,
            )

        first = converge("-vv")
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        # The collection's roles ran (their tasks carry the collection's name), from the installed
        # collection: -vv names the config file and each task's file, none of them in the repository.
        assert "TASK [symroute.router.symroute_nftables :" in first.stdout, first.stdout[-3000:]
        assert f"Using {directory / 'ansible.cfg'} as config file" in first.stdout
        task_paths = re.findall(r"^task path: (.+?):\d+$", first.stdout, re.MULTILINE)
        assert any(path.startswith(f"{collection}/roles/symroute_nftables/") for path in task_paths), task_paths[:5]
        outside = [path for path in task_paths if not path.startswith(f"{collection}/")]
        assert not outside, outside[:5]
        assert _recap(first.stdout, NAME)["changed"] > 0
        table = router.sh("nft list table inet symroute").stdout
        assert "100.64.20.0/24" in table
        assert router.sh("test -f /usr/local/lib/symroute/symroute_router/monitor/__init__.py").returncode == 0
        second = converge()
        assert second.returncode == 0, second.stdout[-4000:]
        assert _recap(second.stdout, NAME) == dict(_recap(second.stdout, NAME), changed=0, failed=0, unreachable=0)
    finally:
        remove_router(NAME)
