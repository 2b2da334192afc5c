"""The floors of the house: the import-layers contract holds and no package cycle remains."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def _graph_script():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_layers_contract_is_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    configuration.configure()  # what the lint-imports command does before linting
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_logo=True, cache_dir=None)


def test_no_package_imports_a_package_above_it_and_there_is_no_cycle():
    graph = _graph_script()
    layers = graph.layers()
    edges = graph.package_edges(layers)
    assert graph.find_cycle(edges) is None
    for package, imported in edges.items():
        above = set(layers[: layers.index(package)])
        assert not imported & above, f"{package} imports {imported & above}"
    assert edges["core"] == set()


def test_the_cycle_finder_finds_a_cycle():
    graph = _graph_script()
    assert graph.find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert graph.find_cycle({"a": {"b"}, "b": set()}) is None
    assert "grimp" in sys.modules
