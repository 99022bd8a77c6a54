"""`run` over wrong-shape records, for real: each is redone from the nearest intact source.

One tiny real training (module fixture); then, on a copy of its outputs per
case, a record is replaced by JSON of the wrong shape and `punkforge.run` runs
the recipe again: never a traceback, the run succeeds, and every record is
valid again afterwards (a damaged manifest is devolved again from the
training store; a damaged summary.json is written again; a damaged
state.json starts its store over, which a damaged manifest then needs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import punkforge
from punkforge import files, records

pytestmark = pytest.mark.slow

TINY = """
name = "tiny"
[data]
train_limit = 64
test_limit = 16
[train]
epochs = 1
[render]
sample = 4
[render.poster]
paper = "A5"
dpi = 100
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("trained")
    recipe = tmp / "tiny.toml"
    recipe.write_text(TINY)
    punkforge.run(recipe, out=tmp / "outs")
    return recipe, tmp / "outs"


def _paths(outs: Path) -> dict[str, Path]:
    t = outs / "tiny"
    (store,) = (t / ".train").iterdir()
    return {
        "manifest": t / "base" / "manifest.json",
        "summary": t / "summary.json",
        "state": store / "state.json",
    }


CASES = [
    ({"manifest": b"[1, 2]"}, "devolve"),
    ({"manifest": b'{"variant": "base", "files": null}'}, "devolve"),
    ({"summary": b"[1, 2]"}, "skip"),
    ({"summary": b'{"variants": {"base": "x"}, "size": [1e400, 2]}'}, "skip"),
    ({"state": b"null", "manifest": b"{}"}, "train"),
    ({"state": b'{"format": 2, "epoch": 99999999999999999999, "sample": 4}'}, "skip"),
]


@pytest.mark.parametrize(("damage", "then"), CASES, ids=[str(c[0]) for c in CASES])
def test_run_redoes_a_wrong_shape_record(
    trained: tuple[Path, Path], tmp_path: Path, damage: dict[str, bytes], then: str
) -> None:
    recipe, pristine = trained
    outs = tmp_path / "outs"
    shutil.copytree(pristine, outs)
    for which, data in damage.items():
        _paths(outs)[which].write_bytes(data)
    from punkforge.pipeline import runner
    from punkforge.recipe.loader import read_recipe_file

    (plan,) = runner.dry_run(read_recipe_file(recipe, ()), outs)
    assert plan[1].action == then
    result = punkforge.run(recipe, out=outs)  # raises on any failure
    assert list(result.variants) == ["base"]
    paths = _paths(outs)
    assert files.read_record(paths["manifest"], records.Manifest) is not None
    assert files.read_record(paths["summary"], records.Summary) is not None
    if then != "skip" or "state" not in damage:
        assert files.read_record(paths["state"], records.StoreRecord) is not None
    assert json.loads(paths["summary"].read_text())["variants"]["base"]["epochs"] == 1
