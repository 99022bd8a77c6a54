"""The shape of the code: no function in punkforge/ longer than a screen or two.

ruff's C901 holds each function to 15 paths (pyproject.toml); this holds it to
60 lines, counted from `def` (decorators excluded) to its last line, so a
newcomer can read any one function in one sitting.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

MAX_LINES = 60


def _long_functions(root: Path = ROOT / "punkforge") -> dict[str, int]:
    """'path:qualified.name' -> its length in lines, for every function over MAX_LINES."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str, path: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > MAX_LINES:
                    found[f"{path}:{name}"] = lines
                visit(child, name + ".", path)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".", path)
            else:
                visit(child, prefix, path)

    for file in sorted(root.rglob("*.py")):
        path = file.relative_to(root.parent).as_posix()
        visit(ast.parse(file.read_text(encoding="utf-8"), path), "", path)
    return found


def test_no_function_is_over_60_lines() -> None:
    offenders = _long_functions()
    listing = "\n".join(f"  {k}: {n} lines" for k, n in sorted(offenders.items()))
    assert not offenders, f"functions over {MAX_LINES} lines:\n{listing}"


def test_a_long_function_is_found(tmp_path: Path) -> None:
    # the check above can fail: a planted 61-line method is named
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    body = "".join(f"        x{i} = {i}\n" for i in range(60))
    (pkg / "m.py").write_text(
        f"class C:\n    def long(self):\n{body}\n    def short(self):\n        pass\n"
    )
    assert _long_functions(pkg) == {"pkg/m.py:C.long": 61}
