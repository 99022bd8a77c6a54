"""A poster mailed to a friend remakes its recipe: a real tiny run, then `new --from` its pictures.

One run with a variant and a sweep (256 punks, 1 epoch) through the CLI; then
`punkforge new` from the base poster (PNG), a sweep variant's series PNG and
the variant's TIFF. Each written recipe validates and plans to the training
key of the variant that made the picture: `run --dry-run` against the
original output folder says "skip" for the base poster and, for the others
(whose folders are named for their variant, not 'base'), devolves from the
original training store instead of training; planned as the variant it came
from, it is a "skip". A re-render with another layout writes the new recipe
into the new poster.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from punkforge.pipeline.plan import plan_variant
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.sections import Variant
from punkforge.rendering.provenance import read_provenance
from punkforge.training.store import training_key

pytestmark = pytest.mark.slow

TINY = """\
name = "mailed"
title = "Mailed Punks"

[data]
train_limit = 256
test_limit = 32

[train]
epochs = 1

[render]
sample = 8

[render.poster]
paper = "A5"
dpi = 72
formats = ["png", "tiff", "pdf"]

[variants.narrow]
model.encoder = [ { filters = 8, kernel = 5 }, { filters = 4, kernel = 5 } ]
model.decoder = [ { filters = 4, kernel = 5 }, { filters = 8, kernel = 5 } ]

[sweep]
"train.learning_rate" = [0.001, 0.003]
"""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mailed")
    (root / "mailed.toml").write_text(TINY, encoding="utf-8")
    r = run_cli("run", root / "mailed.toml", "--out", root / "out", cwd=root, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return root


PICTURES = [
    ("base", "poster.png"),
    ("learning_rate-0p003", "series/punk-9000.png"),
    ("narrow", "poster.tiff"),
]


@pytest.mark.parametrize(("variant", "picture"), PICTURES)
def test_new_from_a_picture_plans_to_the_same_training(
    run_folder: Path, variant: str, picture: str
) -> None:
    out = run_folder / "out"
    image = out / "mailed" / variant / picture
    tmp = run_folder / f"again-{variant}"
    r = run_cli("new", "mailed", "--from", image, "--dir", tmp, cwd=run_folder)
    assert r.returncode == 0, r.stdout + r.stderr
    made = tmp / "mailed.toml"
    # the recipe the picture carries is the variant's recipe.toml, renamed (here: the same name)
    assert made.read_text(encoding="utf-8") == (out / "mailed" / variant / "recipe.toml").read_text(
        encoding="utf-8"
    )
    r = run_cli("validate", made, cwd=run_folder)
    assert r.returncode == 0 and "ok, recipe 'mailed', 1 variant" in r.stdout, r.stderr

    again = read_recipe_file(made).variants[0].recipe
    manifest = json.loads((out / "mailed" / variant / "manifest.json").read_text())
    assert training_key(again) == manifest["training_key"]

    r = run_cli("run", made, "--out", out, "--dry-run", cwd=run_folder)
    assert r.returncode == 0, r.stderr
    if variant == "base":
        assert r.stdout.strip() == "mailed/base: skip (up to date)"
    else:  # its own folder is out/mailed/<variant>; as 'base' it reuses the training
        assert r.stdout.startswith("mailed/base: devolve from its training store"), r.stdout
    assert plan_variant(Variant(variant, again, str(made)), out / "mailed").action == "skip"


def test_a_new_name_is_a_new_recipe_with_the_same_training_key(run_folder: Path) -> None:
    image = run_folder / "out" / "mailed" / "narrow" / "poster.pdf"
    r = run_cli("new", "friend", "--from", image, "--dir", run_folder / "r", cwd=run_folder)
    assert r.returncode == 0, r.stderr
    friend = read_recipe_file(run_folder / "r" / "friend.toml")
    assert friend.name == "friend"
    manifest = json.loads((image.parent / "manifest.json").read_text())
    assert training_key(friend.variants[0].recipe) == manifest["training_key"]


def test_every_picture_of_the_run_carries_its_variants_recipe(run_folder: Path) -> None:
    out = run_folder / "out" / "mailed"
    for variant in ("base", "narrow", "learning_rate-0p001", "learning_rate-0p003"):
        folder = out / variant
        recipe = (folder / "recipe.toml").read_text(encoding="utf-8")
        pictures = [p for p in folder.rglob("*") if p.suffix in (".png", ".tiff", ".pdf", ".gif")]
        assert len(pictures) > 32
        for p in pictures:
            made = read_provenance(p)
            assert made is not None, p
            assert (made.recipe_toml, made.variant, made.data_fingerprint) == (
                recipe, variant, "cpunks10k"
            ), p  # fmt: skip
    sheet = read_provenance(out / "variants.png")
    assert sheet is not None and sheet.variant == "base"


def test_a_re_render_writes_the_new_recipe_into_the_new_poster(run_folder: Path) -> None:
    out = run_folder / "out"
    args = ("render", out / "mailed", "--set", "render.poster.layout=pairs", "--out", out)
    r = run_cli(*args, cwd=run_folder, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    for ext in ("png", "tiff", "pdf"):
        made = read_provenance(out / "mailed" / "narrow" / f"poster.{ext}")
        assert made is not None
        assert 'layout = "pairs"' in made.recipe_toml
        assert made.recipe_toml == (out / "mailed" / "narrow" / "recipe.toml").read_text("utf-8")
    r = run_cli("info", out / "mailed" / "narrow" / "poster.png", cwd=run_folder)
    assert r.returncode == 0 and 'layout = "pairs"' in r.stdout
