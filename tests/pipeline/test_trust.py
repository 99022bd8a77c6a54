"""Fault injection on the output tree: links, damage, user files, recipe edits, signals.

Most cases work on a finished variant made from small synthetic arrays (no
training, no TensorFlow): what devolving records, then `punkforge render`.
Every case watches a tree *outside* the outputs and asserts it is byte-for-
byte unchanged. The one case that must re-devolve trains for real (slow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_finished, run_cli, start_cli

from punkforge import tree_guard
from punkforge.errors import PunkforgeError, RecipeError
from punkforge.pipeline import runner
from punkforge.pipeline import variant_folder as variant
from punkforge.pipeline.output_folder import damaged, read_manifest
from punkforge.pipeline.plan import plan_variant
from punkforge.pipeline.progress import NullUI
from punkforge.recipe.loader import read_recipe_file
from punkforge.training import history


def _snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under root: links by target, files by bytes (mtime-proof)."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_file():
            out[rel] = ("file", p.read_bytes())
        else:
            out[rel] = ("dir", "")
    return out


@pytest.fixture
def finished(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(recipe, outputs root, a watched folder outside the outputs)."""
    recipe, outs = make_finished(tmp_path)
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "keep.png").write_bytes(b"precious")
    (outside / "file.txt").write_text("precious")
    return recipe, outs, outside


def _attempt(fn: Callable[[], Any]) -> str:
    """The error text of fn (a PunkforgeError or a reported failure), '' if none."""
    try:
        report = fn()
    except PunkforgeError as err:
        return str(err)
    return " ".join(getattr(report, "failures", []))


# fixed names of the tree: (path under outputs/t, planted as a folder link?)
FIXED = [
    ("base", True),
    ("base/series", True),
    (".train", True),
    (".lock", False),
    (".journal", False),
    ("summary.json", False),
    ("variants.png", False),
    ("index.html", False),
    ("base/poster.png", False),
    ("base/manifest.json", False),
    ("base/devolved.npz", False),
    ("base/snapshots.npz", False),
    ("base/model.keras", False),
    ("base/history.csv", False),
    ("base/recipe.toml", False),
    ("base/series/punk-9000.png", False),
]


@pytest.mark.parametrize(("name", "is_dir"), FIXED)
@pytest.mark.parametrize("command", ["render", "run"])
def test_a_planted_link_is_refused_and_nothing_outside_changes(
    finished: tuple[Path, Path, Path], name: str, is_dir: bool, command: str
) -> None:
    recipe, outs, outside = finished
    rf = read_recipe_file(recipe, ())
    out = outs / "t"
    where = out / name
    if where.is_dir():
        import shutil

        shutil.rmtree(where)
    else:
        where.unlink(missing_ok=True)
    os.symlink(outside / ("dir" if is_dir else "file.txt"), where)
    before = _snapshot(outside)
    if command == "render":
        message = _attempt(lambda: runner.render_only(rf, out, NullUI()))
    else:
        message = _attempt(lambda: runner.run_recipe(rf, outs, NullUI()))
    assert "symbolic link" in message and str(where) in message
    assert "Fix:" in message
    assert _snapshot(outside) == before
    assert where.is_symlink()  # not even the link itself is replaced


def test_cli_names_a_link_in_one_paragraph(finished: tuple[Path, Path, Path]) -> None:
    recipe, outs, outside = finished
    os.symlink(outside / "dir", outs / "t" / ".train")
    before = _snapshot(outside)
    for args in (["render", recipe], ["run", recipe], ["run", "--dry-run", recipe]):
        res = run_cli(*args, "--out", outs)
        assert res.returncode == 1, res.stderr
        assert "symbolic link" in res.stderr and "Traceback" not in res.stderr
    assert _snapshot(outside) == before


REDRAWN = [
    "poster.png",
    "poster-thumb.png",
    "progress.gif",
    "loss.png",
    "recipe.toml",
    "series/punk-9003.png",
    "series/index.html",
]
SOURCES = ["devolved.npz", "snapshots.npz", "model.keras", "history.csv"]


def _corrupt(p: Path, how: str) -> None:
    data = bytearray(p.read_bytes())
    if how == "flip":  # same size, one byte changed (in the middle, past any header)
        data[len(data) // 2] ^= 0xFF
        mtime = p.stat().st_mtime_ns
        p.write_bytes(bytes(data))
        os.utime(p, ns=(mtime + 10**7, mtime + 10**7))  # a new mtime, as any real write gives
    else:
        p.write_bytes(bytes(data[: len(data) // 2]))


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("rel", REDRAWN)
def test_a_damaged_picture_is_redrawn_by_the_next_run(
    finished: tuple[Path, Path, Path], rel: str, how: str
) -> None:
    recipe, outs, _ = finished
    folder = outs / "t" / "base"
    good = (folder / rel).read_bytes()
    _corrupt(folder / rel, how)
    rf = read_recipe_file(recipe, ())
    assert plan_variant(rf.variants[0], outs / "t").action == "render"
    report = runner.run_recipe(rf, outs, NullUI())  # a re-render: no TensorFlow needed
    assert not report.failures
    assert (folder / rel).read_bytes() == good
    m = read_manifest(folder)
    assert m is not None and not damaged(folder, m)


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("rel", SOURCES)
def test_a_damaged_array_is_never_redrawn_from(
    finished: tuple[Path, Path, Path], rel: str, how: str
) -> None:
    recipe, outs, _ = finished
    folder = outs / "t" / "base"
    _corrupt(folder / rel, how)
    rf = read_recipe_file(recipe, ())
    assert plan_variant(rf.variants[0], outs / "t").action in ("devolve", "train")
    before = _snapshot(folder)
    res = run_cli("render", recipe, "--out", outs)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert rel in res.stderr and "punkforge run" in res.stderr
    assert _snapshot(folder) == before


def test_a_damaged_manifest_means_redo_without_a_traceback(
    finished: tuple[Path, Path, Path],
) -> None:
    recipe, outs, _ = finished
    m = outs / "t" / "base" / "manifest.json"
    m.write_bytes(m.read_bytes()[:40])
    rf = read_recipe_file(recipe, ())
    assert plan_variant(rf.variants[0], outs / "t").action == "train"
    res = run_cli("run", "--dry-run", recipe, "--out", outs)
    assert res.returncode == 0 and "t/base: train epochs 1-2" in res.stdout
    res = run_cli("render", recipe, "--out", outs)
    assert res.returncode == 1 and "nothing to render yet" in res.stderr
    assert "Traceback" not in res.stderr


USER_FILES = {
    "poster.jpg": b"my photo",
    "poster.png.bak": b"backup",
    "progress.mov": b"my video",
    "series/my-edit.png": b"edited",
    ".tmp-mine.txt": b"looks like ours, is not",
    "notes/todo.txt": b"frame it",
}


def test_user_files_survive_renders_and_format_changes(finished: tuple[Path, Path, Path]) -> None:
    recipe, outs, _ = finished
    folder = outs / "t" / "base"
    for rel, data in USER_FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    text = recipe.read_text()
    # a render-only change through `run`, adding a format, then one removing it again
    pdf = 'margin = "0.25in"\nformats = ["png", "pdf"]'
    recipe.write_text(text.replace('margin = "0.25in"', pdf))
    assert not runner.run_recipe(read_recipe_file(recipe, ()), outs, NullUI()).failures
    assert (folder / "poster.pdf").is_file()
    recipe.write_text(text.replace("scale = 2", "scale = 3", 1))
    res = run_cli("render", recipe, "--out", outs)
    assert res.returncode == 0, res.stderr
    assert not (folder / "poster.pdf").exists()  # ours, listed, no longer asked for: gone
    for rel, data in USER_FILES.items():
        assert (folder / rel).read_bytes() == data, rel
    m = read_manifest(folder)
    assert m is not None and not set(USER_FILES) & set(m["files"])


EDITS = [
    ("model", 'name = "t"\n[model]\nactivation = "tanh"\n', "model.activation"),
    ("train", 'name = "t"\n[train]\nlearning_rate = 0.01\n', "train.learning_rate"),
    ("epochs", 'name = "t"\n[train]\nepochs = 3\n', "train.epochs"),
    ("data", 'name = "t"\n[data]\ntest_limit = 5\n', "data.test_limit"),
    ("sample", 'name = "t"\n[render]\nsample = 3\n', "render.sample"),
]


def _apply(recipe: Path, patch: str) -> None:
    """Merge a patch's section into the recipe text (TOML tables cannot repeat)."""
    import tomllib

    import tomli_w

    data = tomllib.loads(recipe.read_text())
    for section, values in tomllib.loads(patch).items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
    recipe.write_text(tomli_w.dumps(data))


@pytest.mark.parametrize(("label", "patch", "key"), EDITS, ids=[e[0] for e in EDITS])
def test_render_refuses_a_recipe_that_changes_the_result(
    finished: tuple[Path, Path, Path], label: str, patch: str, key: str
) -> None:
    recipe, outs, _ = finished
    _apply(recipe, patch)
    before = _snapshot(outs)
    res = run_cli("render", recipe, "--out", outs)
    assert res.returncode == 2, res.stderr
    assert key in res.stderr and "punkforge run" in res.stderr and "Traceback" not in res.stderr
    assert _snapshot(outs) == before
    with pytest.raises(RecipeError):
        runner.render_only(read_recipe_file(recipe, ()), outs / "t", NullUI())


def test_render_set_sample_is_refused_and_render_keys_are_allowed(
    finished: tuple[Path, Path, Path],
) -> None:
    recipe, outs, _ = finished
    before = _snapshot(outs)
    res = run_cli("render", recipe, "--out", outs, "--set", "render.sample=3")
    assert res.returncode == 2 and "render.sample (4 -> 3)" in res.stderr
    res = run_cli("render", outs / "t", "--set", "render.sample=3")
    assert res.returncode == 2
    assert _snapshot(outs) == before
    res = run_cli("render", recipe, "--out", outs, "--set", 'render.poster.background="#203040"')
    assert res.returncode == 0, res.stderr
    folder = outs / "t" / "base"
    assert 'background = "#203040"' in (folder / "recipe.toml").read_text()
    m = read_manifest(folder)
    assert m is not None and not damaged(folder, m)


def test_dry_run_writes_nothing_and_matches_the_plan(tmp_path: Path) -> None:
    recipe, outs = make_finished(tmp_path)
    fresh_out = tmp_path / "never"
    res = run_cli("run", "--dry-run", recipe, "--out", fresh_out)
    assert res.returncode == 0 and "t/base: train epochs 1-2" in res.stdout
    assert not fresh_out.exists()
    before = _snapshot(outs)
    res = run_cli("run", "--dry-run", recipe, "--out", outs)
    assert "t/base: skip" in res.stdout
    text = recipe.read_text().replace("scale = 2", "scale = 3", 1)
    recipe.write_text(text)
    res = run_cli("run", "--dry-run", recipe, "--out", outs)
    assert "t/base: re-render" in res.stdout
    assert _snapshot(outs) == before


def test_summary_and_manifest_are_strict_json(finished: tuple[Path, Path, Path]) -> None:
    recipe, outs, _ = finished
    folder = outs / "t" / "base"
    rows = [{"epoch": e, "loss": 0.3, "val_loss": float("nan"), "seconds": 0.5} for e in (1, 2)]
    with tree_guard.output_tree(outs / "t"):
        history.write_history(folder, rows)
        variant.record_arrays(read_recipe_file(recipe, ()).variants[0], folder)
    assert not runner.render_only(read_recipe_file(recipe, ()), outs / "t", NullUI()).failures

    def refuse(constant: str) -> None:
        pytest.fail(f"not JSON: {constant}")

    for p in (folder / "manifest.json", outs / "t" / "summary.json"):
        json.loads(p.read_text(), parse_constant=refuse)
    assert (
        json.loads((outs / "t" / "summary.json").read_text())["variants"]["base"]["val_loss"]
        is None
    )


def _render_proc(recipe: Path, outs: Path) -> subprocess.Popen[str]:
    return start_cli("render", recipe, "--out", outs)


def _wait_for_journal(journal: Path, lines: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if journal.read_text().count("\n") >= lines:
                return
        except OSError:
            pass
        time.sleep(0.002)
    pytest.fail(f"render ended (or stalled) before writing {lines} files")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("moment", [1, 120], ids=["first-write", "mid-series"])
def test_render_interrupted_keeps_the_old_result_and_the_next_command_mends(
    tmp_path: Path, sig: signal.Signals, moment: int
) -> None:
    recipe, outs = make_finished(tmp_path, n=250, scale=6, paper="A4")
    folder = outs / "t" / "base"
    old_manifest = (folder / "manifest.json").read_bytes()
    recipe.write_text(recipe.read_text().replace("scale = 6", "scale = 7"))  # render-only
    proc = _render_proc(recipe, outs)
    _wait_for_journal(outs / "t" / tree_guard.JOURNAL, moment, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 1, err
        assert "Interrupted" in err and "Traceback" not in err
        assert not list(outs.rglob(".tmp-*"))  # removed on the way out
    assert (folder / "manifest.json").read_bytes() == old_manifest  # replaced only last
    res = run_cli("render", recipe, "--out", outs, timeout=120)
    assert res.returncode == 0, res.stderr
    assert not list(outs.rglob(".tmp-*")) and not (outs / "t" / tree_guard.JOURNAL).exists()
    m = read_manifest(folder)
    assert m is not None and not damaged(folder, m)
    assert plan_variant(read_recipe_file(recipe, ()).variants[0], outs / "t").action == "skip"


@pytest.mark.slow
def test_damaged_arrays_are_rebuilt_by_a_real_run(tmp_path: Path) -> None:
    recipe = tmp_path / "t.toml"
    recipe.write_text(
        'name = "t"\n[data]\ntrain_limit = 200\ntest_limit = 8\n[train]\nepochs = 1\n'
        '[render]\nsample = 4\n[render.poster]\npaper = "A5"\ndpi = 72\n'
    )
    outs = tmp_path / "outs"
    assert run_cli("run", recipe, "--out", outs, timeout=600).returncode == 0
    folder = outs / "t" / "base"
    good = {rel: (folder / rel).read_bytes() for rel in ("devolved.npz", "snapshots.npz")}
    _corrupt(folder / "devolved.npz", "flip")
    _corrupt(folder / "model.keras", "truncate")
    res = run_cli("run", "--dry-run", recipe, "--out", outs)
    assert "t/base: devolve from its training store" in res.stdout
    res = run_cli("run", recipe, "--out", outs, timeout=600)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    for rel, data in good.items():
        assert (folder / rel).read_bytes() == data
    m = read_manifest(folder)
    assert m is not None and not damaged(folder, m)
