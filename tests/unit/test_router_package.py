"""symroute_router runs on routers: Python 3.9 syntax, the standard library only, relative imports, small files."""

import ast
import sys

import pytest

from paths import REPOSITORY

PACKAGE = REPOSITORY / "module_utils" / "symroute_router"
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)
# Names of the standard library that appeared after Python 3.9 (the package must not use them).
NEWER_THAN_3_9 = ("pairwise", "bit_count", "kw_only", "slots=True", "zip(strict", "TypeAlias", "ParamSpec",
                  "ExceptionGroup", "tomllib", "Self")


def test_the_package_has_the_modules_the_lead_codes_against():
    names = {path.stem for path in MODULES}
    assert {"command", "files", "contract", "routing", "nftables", "sysctl", "snapshot", "verify",
            "__main__", "__init__"} <= names
    assert (PACKAGE / "contract.schema.json").is_file()


@pytest.mark.parametrize("path", MODULES, ids=[str(path.relative_to(PACKAGE)) for path in MODULES])
def test_python_3_9_syntax_standard_library_and_relative_imports_only(path):
    source = path.read_text()
    tree = ast.parse(source, feature_version=(3, 9))
    assert ast.get_docstring(tree), f"{path.name}: say what the module's one job is"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in sys.stdlib_module_names, f"{path.name} imports {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            assert node.module.split(".")[0] in sys.stdlib_module_names, f"{path.name} imports {node.module}"
        elif isinstance(node, ast.keyword) and node.arg == "shell":
            pytest.fail(f"{path.name}: no shell")
    for name in NEWER_THAN_3_9:
        assert name not in source, f"{path.name} uses {name} (newer than Python 3.9)"
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    # command.py runs commands; the monitor's hook starts its program without waiting (Popen).
    if str(path.relative_to(PACKAGE)) not in ("command.py", "monitor/hook.py"):
        assert "subprocess" not in imported, "commands run through command.Runner only"
    assert len(source.splitlines()) <= 260, f"{path.name}: keep each file small, with one job"
