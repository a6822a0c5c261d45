"""Imports point down: dnabert < motif < viz < demo < explorer (the app and the command line).

Every import statement of every module is read (also those inside functions,
and ``importlib.import_module("...")`` strings), so a lazy import cannot hide
an upward dependency.
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["dnabert", "motif", "viz", "demo", "explorer"]
ENTRY_POINTS = {REPO / "dnabert" / "__main__.py"}  # ``python -m dnabert`` hands over to explorer.cli, above everything
LOW_LEVEL_FORBIDDEN = {"streamlit": "explorer"}  # a third-party package only this layer may import


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def layer_files():
    for rank, package in enumerate(LAYERS):
        for path in sorted((REPO / package).rglob("*.py")):
            if path not in ENTRY_POINTS:
                yield rank, package, path


@pytest.mark.parametrize("rank, package, path", list(layer_files()), ids=lambda x: str(x.relative_to(REPO)) if isinstance(x, Path) else "")
def test_imports_point_down(rank, package, path):
    imported = imported_modules(path)
    above = sorted(imported & set(LAYERS[rank + 1 :]))
    assert not above, f"{path.relative_to(REPO)} ({package}) imports {above}, which sit above it"
    for module, owner in LOW_LEVEL_FORBIDDEN.items():
        if LAYERS.index(owner) > rank:
            assert module not in imported, f"{path.relative_to(REPO)} imports {module}, which only {owner} may use"


def test_benchmarks_import_neither_tests_nor_private_names():
    test_modules = {p.stem for p in (REPO / "tests").glob("*.py")}
    for path in sorted((REPO / "bench").glob("*.py")):
        tree = ast.parse(path.read_text())
        assert not imported_modules(path) & test_modules, f"{path.name} imports from tests/"
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert "tests" not in strings, f"{path.name} puts tests/ on a path"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in LAYERS:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports private {private} from {node.module}"


def test_the_checker_sees_lazy_and_string_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import importlib\n\ndef f():\n    from viz.logos import motif_logo\n    importlib.import_module('explorer.cli')\n")
    assert {"viz", "explorer", "importlib"} <= imported_modules(sample)
