"""The layout is the architecture: layers held by import-linter, no cycle, the picture in sync.

See docs/architecture.md. These read the code (grimp, the graph builder
import-linter uses, counts imports inside functions) and never import TensorFlow.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import architecture_graph


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("punkforge", exclude_type_checking_imports=True)


def _cycles(adjacency: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(adjacency):
        if start in index:
            continue
        work = [(start, iter(sorted(adjacency[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adjacency[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    graph = _graph()
    adjacency = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(adjacency) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the check above can fail: a planted loop is found
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_contract_covers_every_package_and_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    assert contract["type"] == "layers" and contract["containers"] == ["punkforge"]
    named = {n.strip() for layer in contract["layers"] for n in re.split(r"[|:]", layer)}
    assert named == set(architecture_graph.UNITS)
    present = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / "punkforge").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file()) and not p.name.startswith("__")
    }
    assert present == named, "every package and module of punkforge sits in one layer"


@pytest.mark.skipif(importlib.util.find_spec("importlinter") is None, reason="import-linter")
def test_lint_imports_keeps_the_layers() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run(
        [str(exe)], cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "1 kept, 0 broken" in r.stdout


def test_architecture_picture_is_drawn_from_the_code() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- architecture-graph:start -->\n(.*?)\n<!-- architecture-graph:end -->", text, re.S
    )
    assert block, "docs/architecture.md lost its architecture-graph markers"
    assert block.group(1) == architecture_graph.mermaid(), (
        "run `python scripts/architecture_graph.py` and paste its output into docs/architecture.md"
    )


def test_the_verbs_are_plain_functions() -> None:
    r = subprocess.run(
        [sys.executable, "-c",
         "import punkforge, inspect; print(inspect.signature(punkforge.run), "
         "inspect.signature(punkforge.render))"],
        cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("(recipe: ") and "(target: " in r.stdout
    assert not (ROOT / "punkforge" / "_alias.py").exists()
