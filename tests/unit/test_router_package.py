"""symroute_router runs on routers: Python 3.9 syntax, the standard library only, relative imports, small files."""

import ast
import sys

import pytest

from paths import REPOSITORY

PACKAGE = REPOSITORY / "module_utils" / "symroute_router"
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)
# Names of the standard library that appeared after Python 3.9 (the package must not use them).
NEWER_THAN_3_9 = (
    "pairwise",
    "bit_count",
    "kw_only",
    "slots=True",
    "zip(strict",
    "TypeAlias",
    "ParamSpec",
    "ExceptionGroup",
    "tomllib",
    "Self",
)


def test_the_package_has_the_modules_the_lead_codes_against():
    names = {path.stem for path in MODULES}
    assert {
        "command",
        "files",
        "contract",
        "routing",
        "nftables",
        "sysctl",
        "snapshot",
        "verify",
        "__main__",
        "__init__",
    } <= names


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


def _layers():
    """The package map of __init__.py: {top-level module or package: its layer's index}, in the map's order."""
    layers, index = {}, -1
    for line in ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text())).splitlines():
        if line.startswith("  ") and not line.startswith("    ") and line.strip():
            index += 1  # a layer's heading
        elif line.startswith("    ") and index >= 0:
            names = line.strip().split("  ")[0]
            for name in names.split(","):
                layers[name.strip().rstrip("/")] = index
    return layers


def _imported_tops(path):
    """The package's own top-level modules and packages that ``path`` imports (relative imports)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1
    tops = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0 and node.level - 1 <= depth:
            base = list(path.relative_to(PACKAGE).parts[: depth - (node.level - 1)])
            targets = [base + node.module.split(".")] if node.module else [base + [a.name] for a in node.names]
            tops |= {target[0].removesuffix(".py") for target in targets if target}
    return tops


def test_the_package_map_names_every_module_and_each_uses_only_its_own_layer_and_the_ones_above():
    layers = _layers()
    tops = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in MODULES} - {"__init__"}
    assert tops == set(layers), f"the map in __init__.py misses {tops - set(layers)}, names {set(layers) - tops}"
    for path in MODULES:
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for top in _imported_tops(path) - {own}:
            assert layers[top] <= layers[own], f"{path.relative_to(PACKAGE)} imports {top} from a layer below it"
