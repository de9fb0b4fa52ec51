"""The collection symroute.router (make collection) converges a router on its own: installed with
ansible-galaxy into a temporary collections path, run by its fully qualified playbook name from a
directory and an ansible.cfg that know nothing of this repository's roles, modules or filters."""

import os
import re
import subprocess
import tarfile

import pytest

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
    match = re.search(rf"^{re.escape(host)}\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      output, re.MULTILINE)
    assert match, output[-3000:]
    return {"ok": int(match[1]), "changed": int(match[2]), "unreachable": int(match[3]), "failed": int(match[4])}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection, built from this checkout and installed into a temporary collections path."""
    work = tmp_path_factory.mktemp("collection")
    build = subprocess.run([str(VENV / "python"), str(REPOSITORY / "bin" / "build-collection"),
                            "--output", str(work / "build")], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = next((work / "build" / "collection").glob("symroute-router-*.tar.gz"))
    install = subprocess.run([str(VENV / "ansible-galaxy"), "collection", "install", str(tarball),
                              "--collections-path", str(work / "collections"), "--force"],
                             capture_output=True, text=True, check=False, cwd=work)
    assert install.returncode == 0, install.stdout + install.stderr
    return work, tarball


def test_the_tarball_holds_the_sources_in_the_collection_layout(installed):
    _work, tarball = installed
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        module = archive.extractfile("plugins/modules/symroute_nftables.py").read().decode()
        template = archive.extractfile("roles/symroute_nftables/templates/symroute.nft.j2").read().decode()
        main = archive.extractfile("playbooks/symmetric_routing.yml").read().decode()
    for expected in ("meta/runtime.yml", "plugins/filter/symroute_quote.py", "plugins/filter/symroute_package_files.py",
                     "plugins/module_utils/symroute_router/__init__.py", "plugins/module_utils/symroute_router/monitor",
                     "plugins/modules/symroute_inventory_plan.py", "roles/symroute_snapshot/tasks/restore.yml",
                     "playbooks/plan.yml", "playbooks/failover_drill.yml", "playbooks/verify.yml"):
        assert expected in names, expected
    assert "from ansible_collections.symroute.router.plugins.module_utils.symroute_router import" in module
    assert "ansible.module_utils.symroute_router" not in module
    assert "| symroute.router.symroute_quote('token')" in template and "| symroute_quote" not in template
    assert "import_playbook: plan.yml" in main
    assert not any("__pycache__" in name for name in names)


def test_the_collection_converges_a_router_without_the_repository(installed, tmp_path):
    work, _tarball = installed
    config = tmp_path / "ansible.cfg"
    config.write_text(CONFIG.format(collections=work / "collections"))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    environment = {key: value for key, value in PODMAN_ENVIRONMENT.items()
                   if not key.startswith("ANSIBLE_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment.update(ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                       PATH=f"{VENV}{os.pathsep}{os.environ['PATH']}")
    router = start_router(NAME, tmp_path)
    try:
        router.write_inventory()

        def converge():
            return subprocess.run([str(VENV / "ansible-playbook"), "-i", str(router.inventory), "site.yml"],
                                  capture_output=True, text=True, cwd=tmp_path, env=environment, check=False)

        first = converge()
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        # The collection's roles ran (their tasks carry the collection's name), not the repository's.
        assert "TASK [symroute.router.symroute_nftables :" in first.stdout, first.stdout[-3000:]
        assert str(REPOSITORY) not in first.stdout
        assert _recap(first.stdout, NAME)["changed"] > 0
        table = router.sh("nft list table inet symroute").stdout
        assert "100.64.20.0/24" in table
        assert router.sh("test -f /usr/local/lib/symroute/symroute_router/monitor/__init__.py").returncode == 0
        second = converge()
        assert second.returncode == 0, second.stdout[-4000:]
        assert _recap(second.stdout, NAME) == dict(_recap(second.stdout, NAME), changed=0, failed=0, unreachable=0)
    finally:
        remove_router(NAME)
