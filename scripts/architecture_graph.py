"""Print the package-level import graph of punkforge as a Mermaid diagram.

docs/architecture.md embeds its output between the `architecture-graph` markers;
tests/project/test_architecture.py fails when the two disagree, so the picture is
always drawn from the code. Run it and paste the output after a change of layers:

    python scripts/architecture_graph.py

Imports inside functions count (grimp reads them); imports under
`if TYPE_CHECKING:` do not, as they never run.
"""

from __future__ import annotations

import grimp

# The layers, top to bottom, as written in pyproject.toml's import-linter contract.
UNITS = [
    "cli",
    "api",
    "pipeline",
    "gallery",
    "rendering",
    "training",
    "data",
    "recipe",
    "files",
    "records",
    "tree_guard",
    "errors",
    "version",
]


def unit_of(module: str) -> str | None:
    """The layer a module belongs to (`punkforge.recipe.loader` -> `recipe`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in UNITS else None


def unit_edges() -> set[tuple[str, str]]:
    """Every (importer, imported) pair of layers, from every punkforge import."""
    graph = grimp.build_graph("punkforge", exclude_type_checking_imports=True)
    edges = set()
    for module in graph.modules:
        a = unit_of(module)
        for imported in graph.find_modules_directly_imported_by(module):
            b = unit_of(imported)
            if a and b and a != b:
                edges.add((a, b))
    return edges


def mermaid() -> str:
    """The diagram: one box per layer, top to bottom, one arrow per layer-to-layer import."""
    lines = ["```mermaid", "graph TD"]
    lines += [f"    {unit}[{unit}]" for unit in UNITS]
    order = {u: i for i, u in enumerate(UNITS)}
    for a, b in sorted(unit_edges(), key=lambda e: (order[e[0]], order[e[1]])):
        lines.append(f"    {a} --> {b}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
