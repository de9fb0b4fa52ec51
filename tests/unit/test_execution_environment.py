"""execution-environment.yml: `ansible-builder create` writes a build context holding what it declares
(the engine's Python dependencies, git, the collections, symroute's collection and the engine's sdist),
and what it declares agrees with requirements.txt, pyproject.toml, requirements.yml and the collection."""

import json
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from paths import REPOSITORY

VENV = REPOSITORY / ".venv" / "bin"


def _pins():
    lines = (REPOSITORY / "requirements.txt").read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))


@pytest.fixture(scope="module")
def definition():
    return yaml.safe_load((REPOSITORY / "execution-environment.yml").read_text())


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context of execution-environment.yml, with the tarballs `make collection` builds."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPOSITORY / "execution-environment.yml", work)
    build = subprocess.run(
        [str(VENV / "python"), str(REPOSITORY / "bin" / "build-collection"), "--output", str(work / "build")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    created = subprocess.run(
        [
            str(VENV / "ansible-builder"),
            "create",
            "--file",
            "execution-environment.yml",
            "--context",
            "context",
            "--output-filename",
            "Containerfile",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    return work / "context"


def test_the_python_dependencies_are_the_engines_pinned_as_in_requirements_txt(definition, context):
    engine = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0]: line for line in definition["dependencies"]["python"]}
    # ansible-core comes as the EE's own ansible_core entry (checked below), the rest as python entries.
    assert sorted(declared) == sorted(set(engine) - {"ansible-core"})
    pins = _pins()
    for name, line in declared.items():
        # Every one pinned with ==, to the version requirements.txt pins (which must pin it).
        assert name in pins, f"requirements.txt does not pin {name}"
        assert line == f"{name}=={pins[name]}"
    written = (context / "_build" / "requirements.txt").read_text().split()
    assert written == definition["dependencies"]["python"]
    assert definition["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core=={pins['ansible-core']}"
    assert definition["dependencies"]["ansible_runner"]["package_pip"] == f"ansible-runner=={pins['ansible-runner']}"
    containerfile = (context / "Containerfile").read_text()
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={pins["ansible-core"]} ansible-runner==' in containerfile


def test_bindep_holds_git_and_the_ssh_client(definition, context):
    bindep = (context / "_build" / "bindep.txt").read_text().splitlines()
    assert bindep == definition["dependencies"]["system"]
    assert "git [platform:rpm]" in bindep and "openssh-clients [platform:rpm]" in bindep


def test_the_collections_are_requirements_yml_plus_symroutes_own(definition, context):
    version = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    written = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    assert written == definition["dependencies"]["galaxy"]["collections"]
    repository = yaml.safe_load((REPOSITORY / "requirements.yml").read_text())["collections"]
    assert [collection["name"] for collection in written[:-1]] == [collection["name"] for collection in repository]
    # Pinned to what the pinned `ansible` package bundles in the virtualenv (what the tests ran with).
    for collection in written[:-1]:
        namespace, name = collection["name"].split(".")
        (manifest,) = (REPOSITORY / ".venv" / "lib").glob(
            f"python3*/site-packages/ansible_collections/{namespace}/{name}/MANIFEST.json"
        )
        assert collection["version"] == "==" + json.loads(manifest.read_text())["collection_info"]["version"]
    assert written[-1] == {"name": f"symroute-collection/symroute-router-{version}.tar.gz", "type": "file"}
    # The galaxy stage installs it from /build, where the build context's _build is copied.
    assert (context / "_build" / written[-1]["name"]).is_file()
    assert "COPY _build /build\nWORKDIR /build" in (context / "Containerfile").read_text()


def test_the_engine_is_installed_from_its_sdist_in_the_final_stage(context):
    version = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    assert (context / "_build" / "symroute-python" / f"symroute-{version}.tar.gz").is_file()
    final = (context / "Containerfile").read_text().split("# Final build stage")[1]
    steps = [
        "COPY _build/symroute-python/ /tmp/symroute-python/",
        "RUN $PYCMD -m pip install --no-cache-dir --no-deps /tmp/symroute-python/symroute-*.tar.gz",
        "RUN $PYCMD -I -m symroute --help > /dev/null",
    ]
    positions = [final.index(step) for step in steps]
    assert positions == sorted(positions)
    assert final.index("install-from-bindep") < positions[0]  # after the dependencies it needs
