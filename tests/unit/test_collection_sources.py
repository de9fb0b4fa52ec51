"""The collection symroute.router is built from the repository's sources (bin/build-collection): one
version, the router package found the same way in both layouts, and rewrites that are exact and checked."""

import importlib.machinery
import importlib.util
import shutil
import tomllib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from filter_plugins.symroute_package_files import symroute_package_files
from paths import REPOSITORY


def _load_build_script():
    loader = importlib.machinery.SourceFileLoader("build_collection", str(REPOSITORY / "bin" / "build-collection"))
    spec = importlib.util.spec_from_loader("build_collection", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


build = _load_build_script()


def test_the_collection_has_the_engines_version():
    galaxy = yaml.safe_load((REPOSITORY / "collection" / "galaxy.yml").read_text())
    engine = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    assert galaxy["version"] == engine
    assert build.collection_identity() == (galaxy["namespace"], galaxy["name"], engine) == ("symroute", "router", engine)


def test_the_build_refuses_two_versions(tmp_path):
    for name in ("pyproject.toml", "collection"):
        source = REPOSITORY / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    galaxy = tmp_path / "collection" / "galaxy.yml"
    galaxy.write_text(galaxy.read_text().replace("\nversion: ", "\nversion: 9"))
    with pytest.raises(build.BuildError, match="is not pyproject.toml's"):
        build.collection_identity(tmp_path)


def test_the_filter_finds_the_router_package_beside_it():
    files = symroute_package_files("symroute_router")
    package = REPOSITORY / "module_utils" / "symroute_router"
    expected = sorted(path.relative_to(package).as_posix() for path in package.rglob("*")
                      if path.suffix in (".py", ".json") and "__pycache__" not in path.parts)
    assert list(files) == expected
    assert "monitor/__init__.py" in files and "contract.schema.json" in files
    assert files["__init__.py"] == (package / "__init__.py").read_text()


@pytest.mark.parametrize("name", ["../module_utils/symroute_router", "/etc", "symroute_router/monitor", "", None,
                                  "no_such_package"])
def test_the_filter_takes_a_package_name_only(name):
    with pytest.raises(AnsibleFilterError):
        symroute_package_files(name)


@pytest.mark.parametrize(("text", "expected", "count"), [
    ("from ansible.module_utils.symroute_router import audit\n",
     "from ansible_collections.symroute.router.plugins.module_utils.symroute_router import audit\n", 1),
    ("from ansible.module_utils.basic import AnsibleModule\n"
     "from ansible.module_utils.symroute_router.command import Runner\n",
     "from ansible.module_utils.basic import AnsibleModule\n"
     "from ansible_collections.symroute.router.plugins.module_utils.symroute_router.command import Runner\n", 1),
    ("    from ansible.module_utils.symroute_router.files import x\n",
     "    from ansible_collections.symroute.router.plugins.module_utils.symroute_router.files import x\n", 1),
    ("from ansible.module_utils.basic import AnsibleModule\n", "from ansible.module_utils.basic import AnsibleModule\n", 0),
], ids=["package", "submodule beside basic", "indented", "none"])
def test_module_imports_are_rewritten_exactly(text, expected, count):
    assert build.rewrite_module_imports(text, "symroute.router") == (expected, count)


@pytest.mark.parametrize("text", [
    "from ansible.module_utils.symroute_routerx import y\n", "import ansible.module_utils.symroute_router\n",
    "# see ansible.module_utils.symroute_router\n", "x = 'ansible.module_utils.symroute_router.files'\n",
], ids=["another package", "plain import", "in a comment", "in a string"])
def test_a_use_the_build_cannot_rewrite_fails_it(text):
    with pytest.raises(build.BuildError):
        build.rewrite_module_imports(text, "symroute.router")


@pytest.mark.parametrize(("text", "expected", "count"), [
    ("{{ name | symroute_quote('token') }}", "{{ name | symroute.router.symroute_quote('token') }}", 1),
    ("{{ 'symroute_router' |symroute_package_files }}", "{{ 'symroute_router' |symroute.router.symroute_package_files }}", 1),
    ("{{ a | symroute_quote('x') ~ b | symroute_quote('y') }}",
     "{{ a | symroute.router.symroute_quote('x') ~ b | symroute.router.symroute_quote('y') }}", 2),
    ("{{ a | symroute_quoted }} symroute_quote", "{{ a | symroute_quoted }} symroute_quote", 0),
    ("{{ a | symroute.router.symroute_quote('x') }}", "{{ a | symroute.router.symroute_quote('x') }}", 0),
], ids=["call", "no space", "two", "other names", "already qualified"])
def test_filter_calls_are_qualified_exactly(text, expected, count):
    names = build.filter_names()
    assert names == ["symroute_package_files", "symroute_plan", "symroute_quote"]
    assert build.rewrite_filters(text, "symroute.router", names) == (expected, count)


def test_the_main_playbook_imports_the_plan_beside_it():
    text = (REPOSITORY / "symmetric-routing.yml").read_text()
    rewritten = build.rewrite_main_playbook(text)
    assert "ansible.builtin.import_playbook: plan.yml" in rewritten and "playbooks/plan.yml" not in rewritten
    with pytest.raises(build.BuildError):
        build.rewrite_main_playbook(text.replace(build.MAIN_IMPORT, "ansible.builtin.import_playbook: other.yml"))


def test_the_staged_tree_counts_every_rewrite(tmp_path):
    counts = build.stage(tmp_path)
    sources = sum(path.read_text().count("from ansible.module_utils.symroute_router")
                  for path in (REPOSITORY / "library").glob("*.py"))
    assert counts["module imports"] == sources > 0
    staged = "".join(path.read_text() for path in (tmp_path / "plugins" / "modules").glob("*.py"))
    assert "ansible.module_utils.symroute_router" not in staged
    templates = "".join(path.read_text() for path in (tmp_path / "roles").rglob("*.j2"))
    assert counts["filter calls"] >= templates.count("| symroute.router.symroute_quote(") > 0
    assert sorted(path.name for path in (tmp_path / "playbooks").iterdir()) == sorted(
        [path.name.replace("-", "_") for path in (REPOSITORY / "playbooks").glob("*.yml")] + ["symmetric_routing.yml"])
