"""Imports point down: dnabert < motif < viz < dnabert_demo < explorer (the app, its pages and the command line).

Every import statement of every module is read (also those inside functions,
and ``importlib.import_module("...")`` strings), so a lazy import cannot hide
an upward dependency.
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["dnabert", "motif", "viz", "dnabert_demo", "explorer"]
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


APP_FILES = {"explorer": [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]}  # the app at the root: top layer


def layer_files():
    for rank, package in enumerate(LAYERS):
        for path in [*sorted((REPO / package).rglob("*.py")), *APP_FILES.get(package, [])]:
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
    test_modules = {p.stem for p in (REPO / "tests").rglob("*.py")}
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


FAMILY_NAMES = {"DNABERT1", "DNABERT2", "NT1", "NT2", "FAMILIES"}
FAMILY_TOKENIZERS = {"KmerTokenizer", "BpeTokenizer", "SixmerTokenizer"}
# Family code not yet under dnabert/families: fine-tuning's family specifics (heads, dropout, saving; owned by
# the fine-tuning work, issue 24) and checkpoint.py, the DNABERT-1 loader that hands other folders to
# dnabert.families (owned by the model-folder checks, issue 26). They move there with the package regrouping.
FAMILY_TESTS_PENDING = {REPO / "dnabert" / f for f in ("training/finetune.py", "loading/checkpoint.py")}  # still to move behind the interface


def family_tests(path: Path) -> list[str]:
    """Lines of ``path`` that branch on a model's family instead of asking its tokenizer / family interface.

    Flagged: ``x.k is None`` / ``x.k is not None`` on a loaded model (``args.k``, a command-line
    option, is not a model), comparisons with a family name or constant (``family == DNABERT1``,
    ``lm.family != "NT v2"``), and ``isinstance`` with a family's tokenizer class.
    """
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            model_k = any(
                isinstance(s, ast.Attribute) and s.attr == "k" and not (isinstance(s.value, ast.Name) and s.value.id == "args")
                for s in sides
            )
            if model_k and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                found.append(f"line {node.lineno}: .k tested against None")
            names = {s.id for s in sides if isinstance(s, ast.Name)} | {s.attr for s in sides if isinstance(s, ast.Attribute)}
            strings = {s.value for s in sides if isinstance(s, ast.Constant)}
            if names & (FAMILY_NAMES | {"family"}) and (names & FAMILY_NAMES or strings):
                found.append(f"line {node.lineno}: compares a family")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            classes = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)} if len(node.args) > 1 else set()
            if classes & FAMILY_TOKENIZERS:
                found.append(f"line {node.lineno}: isinstance with a family tokenizer")
    return found


@pytest.mark.parametrize("rank, package, path", list(layer_files()), ids=lambda x: str(x.relative_to(REPO)) if isinstance(x, Path) else "")
def test_no_family_tests_outside_families(rank, package, path):
    families = REPO / "dnabert" / "families"
    if families in path.parents or path in FAMILY_TESTS_PENDING:
        return
    found = family_tests(path)
    assert not found, f"{path.relative_to(REPO)} branches on the model family ({found}); ask lm.tokenizer or dnabert.families"


def test_the_family_checker_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "if lm.k is not None: pass\nif family == DNABERT2: pass\nif lm.family != 'NT v2': pass\n"
        "if isinstance(tok, KmerTokenizer): pass\nif args.k is None: pass\n"
    )
    assert [f.split(":")[0] for f in family_tests(sample)] == ["line 1", "line 2", "line 3", "line 4"]


GENERIC = {"seed", "batch_size"}  # field names too common to tie to one declaration (a seed of 0 is everyone's
# convention; an inference batch of 32 is not the fine-tuning batch)
# (file, option) pairs that share a field's name but not its meaning: ``synth --min-score`` is a planted site's score
UNRELATED = {("explorer/cli/training.py", "--min-score")}


def declared_defaults() -> dict[str, tuple[object, Path, bool]]:
    """Field name -> (declared default, declaring file, has choices) of every settings class (:data:`dnabert.params.DECLARED`)."""
    import importlib
    import inspect
    from dataclasses import MISSING, fields

    from dnabert.params import DECLARED

    for module in ("dnabert.options", "motif.params", "dnabert.training", "dnabert.training.pretrain", "dnabert.training.recipes"):
        importlib.import_module(module)
    found = {}
    for cls in DECLARED:
        for f in fields(cls):
            declared_here = "help" in f.metadata  # a field declared with dnabert.params.param
            kept = declared_here and f.default is not MISSING and f.default is not None and not isinstance(f.default, bool)
            if kept and f.name not in GENERIC:
                found[f.name] = (f.default, Path(inspect.getfile(cls)).resolve(), "choices" in f.metadata)
    return found


def restated_defaults(path: Path, declared: dict[str, tuple[object, Path, bool]]) -> list[str]:
    """Places in ``path`` that restate a declared default instead of reading the declaration.

    Flagged: a function parameter named like a declared field with the same literal default; a
    command-line option ``--field-name`` with the same literal ``default=``; a call keyword
    ``field_name=<the default>``; and, for free-text defaults (no choices, e.g. ``JASPAR2024``), the
    string anywhere outside docstrings.
    """
    tree = ast.parse(path.read_text(), str(path))
    mine = {name: value for name, (value, home, _) in declared.items() if home != path}
    free_text = {v for v, home, listed in declared.values() if home != path and isinstance(v, str) and not listed}
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }  # fmt: skip

    def same(name, node) -> bool:
        literal = isinstance(node, ast.Constant) and name in mine and type(node.value) is type(mine[name])
        return literal and node.value == mine[name]

    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            found += [f"line {node.lineno}: parameter {a.arg}={d.value!r}" for a, d in pairs if same(a.arg, d)]
        elif isinstance(node, ast.Call):
            option = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            for kw in node.keywords:
                if kw.arg == "default" and isinstance(option, str) and option.startswith("--"):
                    where = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else ""
                    unrelated = (where, option) in UNRELATED
                    if same(option[2:].replace("-", "_"), kw.value) and not unrelated:
                        found.append(f"line {node.lineno}: option {option} default={kw.value.value!r}")
                elif kw.arg and same(kw.arg, kw.value):
                    found.append(f"line {node.lineno}: {kw.arg}={kw.value.value!r}")
        elif isinstance(node, ast.Constant) and node.value in free_text and id(node) not in docstrings:
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


@pytest.mark.parametrize("rank, package, path", list(layer_files()), ids=lambda x: str(x.relative_to(REPO)) if isinstance(x, Path) else "")
def test_declared_defaults_are_not_restated(rank, package, path):
    found = restated_defaults(path, declared_defaults())
    assert not found, f"{path.relative_to(REPO)} restates declared defaults ({found}); read them from the settings class"


def test_the_default_checker_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Defaults: JASPAR2024 in a docstring is fine."""\n'
        "def scan(threshold=1e-4, gap=3): pass\n"
        "p.add_argument('--min-sites', type=int, default=5)\n"
        "known(min_sites=5)\n"
        "load('JASPAR2024')\n"
    )
    found = restated_defaults(sample, declared_defaults())
    assert [f.split(":")[0] for f in found] == ["line 2", "line 3", "line 4", "line 5"], found
