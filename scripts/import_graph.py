"""Print the import graph between coach's top-level packages, top layer first, and exit 1
if it has a cycle. Usage: python scripts/import_graph.py

The layer order itself is checked by import-linter (``lint-imports``, pyproject.toml)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return list(config["root_packages"])


def package_edges(packages: list[str]) -> dict[str, set[str]]:
    """package -> the other top-level packages it imports (any module, any import)."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges: dict[str, set[str]] = {p: set() for p in packages}
    for module in graph.modules:
        importer = module.split(".")[0]
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")[0]
            if target != importer and target in edges:
                edges[importer].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state and (found := visit(node)):
            return found
    return None


def main() -> int:
    packages = layers()
    edges = package_edges(packages)
    for package in packages:
        print(f"{package:7} -> {', '.join(p for p in packages if p in edges[package]) or '(nothing of the project)'}")
    cycle = find_cycle(edges)
    if cycle:
        print(f"cycle: {' -> '.join(cycle)}", file=sys.stderr)
        return 1
    print("no cycle between packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
