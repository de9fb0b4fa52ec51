"""molecule's ``ha`` scenario (molecule/ha) drives the lab's pair with inventories/ha-lab's own variables: its
inventory links that inventory's group_vars and host_vars (one source of truth), its platforms are that
inventory's routers, reached at the same containers as inventories/ha-lab/hosts.yml says, and the pair's
real-packet tests run there (verify) and in no other CI target."""

import re

import yaml

from paths import REPOSITORY

SCENARIO = REPOSITORY / "molecule" / "ha"
LAB = REPOSITORY / "inventories" / "ha-lab"


def _read(path):
    return yaml.safe_load(path.read_text())


def test_the_scenario_links_the_ha_lab_inventory_s_variables():
    links = _read(SCENARIO / "molecule.yml")["provisioner"]["inventory"]["links"]
    assert links == {
        "group_vars": "../../inventories/ha-lab/group_vars",
        "host_vars": "../../inventories/ha-lab/host_vars",
    }
    for name, target in links.items():
        assert (SCENARIO / target).resolve() == (LAB / name).resolve() and (LAB / name).is_dir()


def test_the_platforms_are_the_inventory_s_routers_at_its_containers():
    scenario = _read(SCENARIO / "molecule.yml")
    hosts = _read(LAB / "hosts.yml")["symroute_routers"]["hosts"]
    assert [(p["name"], p["groups"]) for p in scenario["platforms"]] == [(name, ["symroute_routers"]) for name in hosts]
    assert sorted(path.stem for path in (LAB / "host_vars").glob("*.yml")) == sorted(hosts)
    create = (SCENARIO / "create.yml").read_text()
    for name, variables in hosts.items():
        assert variables["ansible_host"] == f"symroute-ha-{name}"
        assert variables["ansible_connection"] == "containers.podman.podman"
    assert "address: symroute-ha-{{ platform.name }}" in create
    assert "connection: containers.podman.podman" in create


def test_the_sequence_checks_the_never_configured_pair_and_runs_the_pair_s_tests_once():
    scenario = _read(SCENARIO / "molecule.yml")
    assert scenario["scenario"]["test_sequence"] == [
        "destroy",
        "create",
        "prepare",
        "check",
        "side_effect",
        "converge",
        "idempotence",
        "verify",
        "destroy",
    ]
    assert scenario["provisioner"]["playbooks"]["converge"] == "../router/converge.yml"
    assert "/../../tests/halab.py up" in (SCENARIO / "create.yml").read_text()
    verify = (SCENARIO / "verify.yml").read_text()
    assert "pytest" in verify and "tests/ha" in verify and "SYMROUTE_HA_LAB: running" in verify
    makefile = (REPOSITORY / "Makefile").read_text()
    assert re.search(r"^molecule: .*\bmolecule-ha\b", makefile, re.M)
    assert re.search(r"^molecule-ha: setup\n\t\$\(BIN\)/molecule test -s ha$", makefile, re.M)
    # The pair's tests live in tests/ha, outside what `make unit` and `make integration` collect.
    assert re.search(r"^integration: setup\n\t\$\(BIN\)/pytest -q tests/integration$", makefile, re.M)
    assert not list((REPOSITORY / "tests" / "integration").glob("test_ha_*.py"))
