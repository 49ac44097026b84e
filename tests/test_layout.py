"""The package layout: imports run one way, from the lower layers up, and none hides inside a function.

Layers, lowest first (a module may import its own subpackage and any lower layer, never a higher one):

    data.io           safe file I/O and InputError, the error every command reports
    cli, viz          the one CLI error wrapper; plots (used by evaluate, predict, experiments, review)
    data              schema, readers of public formats, the corpus (a command: it uses cli)
    build, models     the builder; the model-input contract (spec, inputs, pooling, saving)
    config            the run config (reads data formats and model poolings)
    predict           inference (uses the builder for whole articles)
    evaluate          metrics, evaluation, baselines, reports, compare
    train             train() and its methods (evaluates and reports every run)
    experiments, review, analyze, annotate
    entry points      stancelab/__init__.py and the thin `python -m stancelab.X` modules
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "stancelab"

LAYERS = [
    {"data.io"},
    {"cli", "viz"},
    {"data"},
    {"build", "models"},
    {"config"},
    {"predict"},
    {"evaluate"},
    {"train"},
    {"experiments", "review", "analyze", "annotate"},
]
ENTRY_POINTS = {"__init__", "corpus", "baselines", "attribution_eval", "compare", "crossval", "realnews", "positions",
                "evaluate_articles", "distill", "encoders"}
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts} | {
    name: len(LAYERS) for name in ENTRY_POINTS
}
# Imported inside functions on purpose: they import torch at module level, and `import stancelab` (every
# command, the builder's included) should not pay for torch. Layering still applies to them.
LAZY_MODULES = {"stancelab.models.pooling"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The layer key of a module: a module named in LAYERS, else its subpackage or top-level name."""
    parts = module.split(".")
    if ".".join(parts[1:3]) in RANK:
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 1 else "__init__"





def internal_imports(tree: ast.Module) -> list[tuple[ast.stmt, str, bool]]:
    """(node, imported stancelab module, at module level?) for every import of stancelab code."""
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "stancelab":
            for alias in node.names:  # `from stancelab.models import pooling` imports stancelab.models.pooling
                submodule = f"{node.module}.{alias.name}"
                found.append((node, submodule if submodule in MODULE_FILES else node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(node, a.name, id(node) in top) for a in node.names if a.name.split(".")[0] == "stancelab"]
    return found


# resources/ holds data files shipped with the package (lexicons, annotation-tool configs), not modules.
SOURCES = sorted(p for p in SRC.rglob("*.py") if "resources" not in p.relative_to(SRC).parts)
MODULE_FILES = {module_name(path) for path in SOURCES}
MODULES = {module_name(path): ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def test_every_module_has_a_layer():
    missing = sorted({part_of(m) for m in MODULES} - set(RANK))
    assert not missing, f"add {missing} to LAYERS (or ENTRY_POINTS) in tests/test_layout.py"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    here = RANK[part_of(module)]
    for node, imported, _ in internal_imports(MODULES[module]):
        target = part_of(imported)
        if target == part_of(module) and here < len(LAYERS):
            continue  # within one subpackage
        assert RANK[target] < here, (
            f"{module}:{node.lineno} imports {imported}: layer {RANK.get(target)} ({target}) is not below "
            f"layer {here} ({part_of(module)}). Move the shared piece down a layer instead."
        )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_function_local_internal_import(module):
    for node, imported, at_top in internal_imports(MODULES[module]):
        assert at_top or imported in LAZY_MODULES, (
            f"{module}:{node.lineno} imports {imported} inside a function; import it at the top of the module "
            "(a function-local import of stancelab code hides an import cycle)."
        )


def test_module_graph_has_no_cycle():
    graph = {m: {imp for _, imp, _ in internal_imports(tree) if imp in MODULES} for m, tree in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_a_layer_violation_is_caught():
    """The checks above can fail: a data module importing train is reported."""
    tree = ast.parse("from stancelab.train.run import train\n")
    (node, imported, at_top), = internal_imports(tree)
    assert (imported, at_top) == ("stancelab.train.run", True)
    assert RANK[part_of(imported)] > RANK[part_of("stancelab.data.io")]
    local = ast.parse("def f():\n    from stancelab.data import io\n")
    assert internal_imports(local)[0][1:] == ("stancelab.data.io", False)
