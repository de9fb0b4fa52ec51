"""The role's nftables template over real plans: byte-identical renders the kernel accepts."""

import subprocess
import uuid

import pytest
import yaml

from rendering import environment
from routerlab import REPOSITORY
from symroute.plan import build_plan


def _lab_variables():
    variables = {}
    for path in ("inventories/lab/group_vars/all/partners.yml", "inventories/lab/host_vars/edge.yml"):
        variables.update(yaml.safe_load((REPOSITORY / path).read_text()))
    return variables


def _render(plan):
    return (
        environment("symroute_nftables")
        .get_template("symroute.nft.j2")
        .render(symroute_nftables_plan=plan, symroute_nftables_header="test")
    )


@pytest.fixture
def namespace():
    name = f"symroute-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


def _nft(namespace, *args, stdin=None):
    return subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_same_plan_same_bytes():
    assert _render(build_plan("edge", _lab_variables())) == _render(build_plan("edge", _lab_variables()))


def test_the_kernel_accepts_the_lab_table_and_reloads_it_in_place(namespace, tmp_path):
    path = tmp_path / "symroute.nft"
    path.write_text(_render(build_plan("edge", _lab_variables())))
    assert _nft(namespace, "-c", "-f", str(path)).returncode == 0
    assert _nft(namespace, "add", "table", "inet", "foreign").returncode == 0
    for _ in range(2):  # the first load creates the table, the second replaces it
        result = _nft(namespace, "-f", str(path))
        assert result.returncode == 0, result.stderr
    tables = _nft(namespace, "list", "tables").stdout
    assert "table inet symroute" in tables and "table inet foreign" in tables


def test_a_rejected_file_leaves_the_loaded_table_untouched(namespace, tmp_path):
    good = tmp_path / "good.nft"
    good.write_text(_render(build_plan("edge", _lab_variables())))
    assert _nft(namespace, "-f", str(good)).returncode == 0
    before = _nft(namespace, "list", "ruleset").stdout
    broken = tmp_path / "broken.nft"
    broken.write_text(good.read_text().replace("flags interval", "flags intervalz", 1))
    assert _nft(namespace, "-f", str(broken)).returncode != 0
    assert _nft(namespace, "list", "ruleset").stdout == before
