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
    assert (
        build.collection_identity() == (galaxy["namespace"], galaxy["name"], engine) == ("symroute", "router", engine)
    )


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
    expected = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts
    )
    assert list(files) == expected
    assert "monitor/__init__.py" in files and "contract.py" in files
    assert files["__init__.py"] == (package / "__init__.py").read_text()


@pytest.mark.parametrize(
    "name", ["../module_utils/symroute_router", "/etc", "symroute_router/monitor", "", None, "no_such_package"]
)
def test_the_filter_takes_a_package_name_only(name):
    with pytest.raises(AnsibleFilterError):
        symroute_package_files(name)


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        (
            "from ansible.module_utils.symroute_router import audit\n",
            "from ansible_collections.symroute.router.plugins.module_utils.symroute_router import audit\n",
            1,
        ),
        (
            "from ansible.module_utils.basic import AnsibleModule\n"
            "from ansible.module_utils.symroute_router.command import Runner\n",
            "from ansible.module_utils.basic import AnsibleModule\n"
            "from ansible_collections.symroute.router.plugins.module_utils.symroute_router.command import Runner\n",
            1,
        ),
        (
            "    from ansible.module_utils.symroute_router.files import x\n",
            "    from ansible_collections.symroute.router.plugins.module_utils.symroute_router.files import x\n",
            1,
        ),
        (
            "from ansible.module_utils.basic import AnsibleModule\n",
            "from ansible.module_utils.basic import AnsibleModule\n",
            0,
        ),
    ],
    ids=["package", "submodule beside basic", "indented", "none"],
)
def test_module_imports_are_rewritten_exactly(text, expected, count):
    assert build.rewrite_module_imports(text, "symroute.router") == (expected, count)


@pytest.mark.parametrize(
    "text",
    [
        "from ansible.module_utils.symroute_routerx import y\n",
        "import ansible.module_utils.symroute_router\n",
        "# see ansible.module_utils.symroute_router\n",
        "x = 'ansible.module_utils.symroute_router.files'\n",
    ],
    ids=["another package", "plain import", "in a comment", "in a string"],
)
def test_a_use_the_build_cannot_rewrite_fails_it(text):
    with pytest.raises(build.BuildError):
        build.rewrite_module_imports(text, "symroute.router")


def test_the_filter_names_are_what_the_plugins_provide():
    assert build.filter_names() == ["symroute_contract", "symroute_package_files", "symroute_plan", "symroute_quote"]


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("{{ name | symroute_quote('token') }}", "{{ name | symroute.router.symroute_quote('token') }}", 1),
        (
            "{{ 'symroute_router' |symroute_package_files }}",
            "{{ 'symroute_router' |symroute.router.symroute_package_files }}",
            1,
        ),
        (
            "{{ a | symroute_quote('x') ~ b | symroute_quote('y') }}",
            "{{ a | symroute.router.symroute_quote('x') ~ b | symroute.router.symroute_quote('y') }}",
            2,
        ),
        (
            "{{ items | map('symroute_quote', 'shell') | join(' ') }}",
            "{{ items | map('symroute.router.symroute_quote', 'shell') | join(' ') }}",
            1,
        ),
        (
            '{{ items | ansible.builtin.map("symroute_quote") | list }}',
            '{{ items | ansible.builtin.map("symroute.router.symroute_quote") | list }}',
            1,
        ),
        (
            "{% filter symroute_quote('comment') %}text{% endfilter %}",
            "{% filter symroute.router.symroute_quote('comment') %}text{% endfilter %}",
            1,
        ),
        (
            "{%- if a | symroute_quote('x') -%}y{% endif %}",
            "{%- if a | symroute.router.symroute_quote('x') -%}y{% endif %}",
            1,
        ),
        ("{{ a\n   | symroute_quote('x') }}", "{{ a\n   | symroute.router.symroute_quote('x') }}", 1),
    ],
    ids=["call", "no space", "two", "map argument", "fqcn map argument", "filter tag", "in an if", "across lines"],
)
def test_template_filter_calls_are_qualified_exactly(text, expected, count):
    assert build.rewrite_filters(text, "symroute.router", build.filter_names()) == (expected, count)


@pytest.mark.parametrize(
    "text",
    [
        "{{ a | symroute_quoted }} symroute_quote",
        "{{ a | symroute.router.symroute_quote('x') }}",
        "a | symroute_quote('x') {# b | symroute_quote #}",
        "{% raw %}{{ a | symroute_quote }}{% endraw %}",
        "{{ symroute_plan.links | map(attribute='name') | list }}",
        "{{ hostvars[host]['symroute_plan'] | to_json }}",
        "{{ x | select('symroute_plan') }}",
    ],
    ids=[
        "other names",
        "already qualified",
        "outside jinja and in a comment",
        "raw",
        "a variable named like one",
        "a string subscript",
        "a test name",
    ],
)
def test_template_text_that_calls_no_symroute_filter_stays(text):
    assert build.rewrite_filters(text, "symroute.router", build.filter_names()) == (text, 0)


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        (
            '- set_fact:\n    symroute_plan: "{{ plans | symroute_plan }}"\n',
            '- set_fact:\n    symroute_plan: "{{ plans | symroute.router.symroute_plan }}"\n',
            1,
        ),
        (
            "- when: a | symroute_quote('x') == 'b'\n  that:\n    - \"symroute_plan | symroute_plan\"\n",
            "- when: a | symroute.router.symroute_quote('x') == 'b'\n  that:\n    - \"symroute_plan | symroute.router.symroute_plan\"\n",
            2,
        ),
        (
            "msg: >-\n  {{ a\n  | symroute_quote('x') }}\n",
            "msg: >-\n  {{ a\n  | symroute.router.symroute_quote('x') }}\n",
            1,
        ),
        ("msg: |\n  symroute_plan {{ a }}\n  | symroute_quote\n", None, 0),
        ("x: |\n  symroute_quote is a filter\n", None, 0),
        ('symroute_verify_plan: "{{ symroute_plan }}"\n', None, 0),
        ("# use a | symroute_quote('x')\nwhen: symroute_plan is defined\n", None, 0),
    ],
    ids=[
        "set_fact of a variable named like the filter",
        "conditionals",
        "folded jinja",
        "block scalar outside jinja",
        "block scalar text",
        "variable named like the filter",
        "comment and condition",
    ],
)
def test_yaml_filter_calls_are_qualified_in_jinja_only(text, expected, count):
    names = build.filter_names()
    expected = text if expected is None else expected
    assert build.rewrite_filters(text, "symroute.router", names, yaml_file=True) == (expected, count)
    assert build.filter_calls(expected, names, "symroute.router", yaml_file=True)[0] == 0


@pytest.mark.parametrize(
    ("text", "yaml_file", "calls"),
    [
        ("{{ x | symroute_quote('shell') }}", False, (1, 0)),
        ("{{ l | map('symroute_quote', 'shell') }}", False, (1, 0)),
        ("{% filter symroute_quote('x') %}t{% endfilter %}", False, (1, 0)),
        ("{{ l | symroute.router.symroute_quote }}", False, (0, 1)),
        ("when: x | symroute_plan\n", True, (1, 0)),
        ("msg: |\n  symroute_plan | symroute_quote\n", True, (0, 0)),
    ],
    ids=["filter", "map argument", "filter tag", "qualified", "conditional", "block scalar"],
)
def test_the_parser_counts_the_uses_the_rewrite_must_qualify(text, yaml_file, calls):
    assert build.filter_calls(text, build.filter_names(), "symroute.router", yaml_file) == calls


@pytest.mark.parametrize(
    ("text", "yaml_file"),
    [
        ("{{ x | symroute_quote(", False),
        ('msg: "{{ x | symroute_quote(\\"a\\") }}"\n', True),
        ("a: [b\n", True),
    ],
    ids=["unclosed jinja", "escaped quotes", "not yaml"],
)
def test_jinja_or_yaml_the_build_cannot_read_fails_it(text, yaml_file):
    with pytest.raises(build.BuildError):
        names = build.filter_names()
        build.rewrite_filters(text, "symroute.router", names, yaml_file)
        build.filter_calls(text, names, "symroute.router", yaml_file)


def test_a_use_the_rewrite_misses_fails_the_stage(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "rewrite_filters", lambda text, *_arguments: (text, 0))
    with pytest.raises(build.BuildError, match="left unqualified"):
        build.stage(tmp_path)


def test_the_main_playbook_imports_the_plan_beside_it():
    text = (REPOSITORY / "symmetric-routing.yml").read_text()
    rewritten = build.rewrite_main_playbook(text)
    assert "ansible.builtin.import_playbook: plan.yml" in rewritten and "playbooks/plan.yml" not in rewritten
    with pytest.raises(build.BuildError):
        build.rewrite_main_playbook(text.replace(build.MAIN_IMPORT, "ansible.builtin.import_playbook: other.yml"))


def test_the_staged_tree_counts_every_rewrite(tmp_path):
    counts = build.stage(tmp_path)
    sources = sum(
        path.read_text().count("from ansible.module_utils.symroute_router")
        for path in (REPOSITORY / "library").glob("*.py")
    )
    assert counts["module imports"] == sources > 0
    staged = "".join(path.read_text() for path in (tmp_path / "plugins" / "modules").glob("*.py"))
    assert "ansible.module_utils.symroute_router" not in staged
    templates = "".join(path.read_text() for path in (tmp_path / "roles").rglob("*.j2"))
    assert counts["filter calls"] >= templates.count("| symroute.router.symroute_quote(") > 0
    assert sorted(path.name for path in (tmp_path / "playbooks").iterdir()) == sorted(
        [path.name.replace("-", "_") for path in (REPOSITORY / "playbooks").glob("*.yml")] + ["symmetric_routing.yml"]
    )
    # Only Jinja changed: each staged file differs from its source in the qualified names alone.
    for staged_file in (tmp_path / "roles").rglob("*"):
        if staged_file.is_file():
            source = (REPOSITORY / staged_file.relative_to(tmp_path)).read_text()
            assert staged_file.read_text().replace("symroute.router.symroute_", "symroute_") == source


@pytest.mark.parametrize("output", [".", "..", "collection/..", "/"], ids=["repository", "parent", "dotted", "root"])
def test_the_build_refuses_the_repository_and_its_parents(output, monkeypatch, capsys):
    monkeypatch.chdir(REPOSITORY)
    monkeypatch.setattr("sys.argv", ["build-collection", "--output", output])
    assert build.main() == 1
    error = capsys.readouterr().err
    assert error.startswith("build-collection: --output ") and "Traceback" not in error
    assert (REPOSITORY / "collection" / "galaxy.yml").is_file()


def test_the_build_keeps_a_directory_holding_anything_but_tarballs(tmp_path, monkeypatch, capsys):
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "notes.txt").write_text("mine")
    monkeypatch.setattr("sys.argv", ["build-collection", "--output", str(tmp_path)])
    assert build.main() == 1
    assert "holds notes.txt" in capsys.readouterr().err
    assert (tmp_path / "python" / "notes.txt").read_text() == "mine"


def test_a_missing_program_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    def missing(*_arguments, **_options):
        raise FileNotFoundError(2, "No such file or directory", "ansible-galaxy")

    monkeypatch.setattr(build.subprocess, "run", missing)
    monkeypatch.setattr("sys.argv", ["build-collection", "--output", str(tmp_path / "out")])
    assert build.main() == 1
    error = capsys.readouterr().err
    assert error.startswith("build-collection: ") and "ansible-galaxy" in error and error.count("\n") == 1
