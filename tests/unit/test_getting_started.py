"""The getting-started path: the controller-only install, no default inventory, quiet output, the docs index."""

import configparser
import re
import subprocess

from paths import REPOSITORY


def _pins(name):
    pins = {}
    for line in (REPOSITORY / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, version = line.split("==")
            pins[package.split("[")[0].lower()] = version
    return pins


def test_the_controller_requirements_are_a_subset_of_the_full_pins_without_the_lab_or_tests():
    controller, full = _pins("requirements-controller.txt"), _pins("requirements.txt")
    assert all(full.get(package) == version for package, version in controller.items()), (controller, full)
    assert not set(controller) & {
        "molecule",
        "molecule-plugins",
        "pytest",
        "hypothesis",
        "matplotlib",
        "ansible-lint",
        "ansible",
    }
    assert {"ansible-core", "netaddr", "jsonschema", "pyyaml"} <= set(controller)


def test_the_roles_need_no_collection_beyond_ansible_builtin():
    """requirements-controller.txt installs ansible-core only: every module the playbooks call is builtin or ours."""
    used = set()
    for path in [
        *REPOSITORY.glob("roles/*/tasks/*.yml"),
        *REPOSITORY.glob("playbooks/*.yml"),
        REPOSITORY / "symmetric-routing.yml",
    ]:
        used |= set(re.findall(r"^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:", path.read_text(), re.M))
    assert used == {"ansible.builtin"}, used


def test_bin_run_setup_controller_installs_no_operating_system_package():
    run = (REPOSITORY / "bin" / "run").read_text()
    assert run.index("= setup-controller ]") < run.index("apt-get")
    script = (REPOSITORY / "bin" / "setup-controller").read_text()
    assert (
        "apt-get" not in script
        and "requirements-controller.txt" in script
        and "podman" not in script.split("\n", 5)[-1]
    )


def test_ansible_cfg_names_no_default_inventory():
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "ansible.cfg")
    assert "inventory" not in config["defaults"]
    assert (
        'ANSIBLE_INVENTORY="$PWD/inventories/lab/hosts.yml"'
        in (REPOSITORY / "molecule" / "resources" / "demo.sh").read_text()
    )


def test_ansible_prints_no_deprecation_warning():
    result = subprocess.run(
        [str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "DeprecationWarning" not in result.stdout + result.stderr


def test_the_docs_index_lists_every_document_and_the_readme_starts_with_your_own_router():
    index = (REPOSITORY / "docs" / "README.md").read_text()
    for document in (REPOSITORY / "docs").glob("*.md"):
        if document.name != "README.md":
            assert f"]({document.name})" in index, document.name
    readme = (REPOSITORY / "README.md").read_text()
    assert readme.index("## On your own router") < readme.index("## The lab and the tests")
    assert "docs/getting-started.md" in readme[: readme.index("## The lab and the tests")]


def test_getting_started_names_files_that_exist():
    text = (REPOSITORY / "docs" / "getting-started.md").read_text()
    for path in (
        "inventories/example/two-links",
        "inventories/example/three-links",
        "symmetric-routing.yml",
        "playbooks/audit.yml",
        "playbooks/failover-drill.yml",
        "playbooks/remove.yml",
    ):
        assert path in text and (REPOSITORY / path).exists(), path
    assert "--become" in text and "symroute-status" in text and "bin/run setup-controller" in text
