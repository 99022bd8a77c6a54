"""The real thing: `punkforge run` trains a real network on real punks.

A few hundred punks for two epochs, through the CLI in a subprocess, then
assertions on every file of the spec's output folder; a rerun that skips; a
render-only change that re-renders without training; and a kill -9 in the
middle of training whose resumed run gives byte-identical results.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli, start_cli
from PIL import Image

from punkforge.files import sha256_file

RECIPE = ROOT / "recipes" / "devolved-punks.toml"
QUICK = ["--set", "train.epochs=2", "--set", "data.train_limit=300"]

pytestmark = pytest.mark.slow

punkforge = functools.partial(run_cli, timeout=600)  # a real run: minutes on two cores


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    res = punkforge("run", str(RECIPE), *QUICK, "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def test_run_writes_every_file_of_the_spec(quick_run: Path) -> None:
    rec = quick_run / "devolved-punks"
    for name in ("index.html", "variants.png", "summary.json"):
        assert (rec / name).is_file(), name
    assert (quick_run / "index.html").is_file()
    v = rec / "base"
    for name in (
        "recipe.toml",
        "model.keras",
        "history.csv",
        "snapshots.npz",
        "devolved.npz",
        "poster.png",
        "progress.gif",
        "loss.png",
        "manifest.json",
    ):
        assert (v / name).is_file(), name
        assert (v / name).stat().st_size > 0, name
    # poster: 18x24in at 300 dpi, with dpi and an sRGB profile
    with Image.open(v / "poster.png") as im:
        assert im.size == (5400, 7200)
        assert round(im.info["dpi"][0]) == 300
        assert im.info.get("icc_profile")
    # series: one 480x480 PNG per test punk
    series = sorted((v / "series").glob("punk-*.png"))
    assert len(series) == 1000
    assert {p.name for p in series} == {f"punk-{i}.png" for i in range(9000, 10000)}
    with Image.open(v / "series" / "punk-9000.png") as im:
        assert im.size == (480, 480)
    # GIF: one frame per epoch and the untrained network's first, loops forever
    with Image.open(v / "progress.gif") as im:
        assert im.n_frames == 3
        assert im.info.get("loop") == 0
    # arrays
    dev = np.load(v / "devolved.npz")
    assert dev["devolved"].shape == (1000, 24, 24, 1) and dev["devolved"].dtype == np.uint8
    assert list(dev["ids"][:2]) == [9000, 9001]
    snaps = np.load(v / "snapshots.npz")
    assert list(snaps["epochs"]) == [0, 1, 2]
    assert snaps["images"].shape == (3, 64, 24, 24, 1)
    # history and summary
    lines = (v / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,val_loss,seconds" and len(lines) == 3
    summary = json.loads((rec / "summary.json").read_text())
    row = summary["variants"]["base"]
    assert row["params"] == 12785 and row["epochs"] == 2 and row["val_loss"] > 0
    # resolved recipe writes every default out
    text = (v / "recipe.toml").read_text()
    for key in ("validation_split", "crop_marks", "hold_ms", "output"):
        assert key in text
    # manifest: every file with its size and sha256
    manifest = json.loads((v / "manifest.json").read_text())
    assert "series/punk-9999.png" in manifest["files"]
    for rel in ("poster.png", "devolved.npz", "series/punk-9000.png"):
        entry = manifest["files"][rel]
        assert entry["size"] == (v / rel).stat().st_size
        assert entry["sha256"] == sha256_file(v / rel)
    assert manifest["versions"]["tensorflow"]
    # no temporaries left behind
    assert not list(quick_run.rglob(".tmp-*"))


def test_rerun_skips_and_render_change_does_not_train(quick_run: Path) -> None:
    v = quick_run / "devolved-punks" / "base"
    model_mtime = (v / "model.keras").stat().st_mtime_ns
    poster_mtime = (v / "poster.png").stat().st_mtime_ns
    res = punkforge("run", str(RECIPE), *QUICK, "--out", str(quick_run))
    assert res.returncode == 0, res.stderr
    assert "up to date" in res.stderr
    assert (v / "poster.png").stat().st_mtime_ns == poster_mtime
    res = punkforge(
        "run", str(RECIPE), *QUICK, "--set", "render.gif.scale=2", "--out", str(quick_run)
    )
    assert res.returncode == 0, res.stderr
    assert "re-rendering" in res.stderr and "training 2 epochs" not in res.stderr
    assert (v / "model.keras").stat().st_mtime_ns == model_mtime
    with Image.open(v / "progress.gif") as im:
        small = im.size
    res = punkforge("render", str(quick_run / "devolved-punks"), "--set", "render.gif.scale=3")
    assert res.returncode == 0, res.stderr
    with Image.open(v / "progress.gif") as im:
        assert im.size[0] > small[0]


def test_kill_9_then_resume_is_byte_identical(tmp_path: Path) -> None:
    args = [
        "--set",
        "train.epochs=4",
        "--set",
        "data.train_limit=600",
        "--set",
        "data.test_limit=50",
        "--set",
        "render.sample=16",
        "--set",
        "render.poster.dpi=50",
        "--set",
        "render.series.scale=2",
    ]
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    res = punkforge("run", str(RECIPE), *args, "--out", str(ref))
    assert res.returncode == 0, res.stderr

    proc = start_cli("run", RECIPE, *args, "--out", cut, capture=False)
    stores = cut / "devolved-punks" / ".train"
    deadline = time.time() + 300
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        states = list(stores.glob("*/state.json")) if stores.exists() else []
        if states:
            epoch = json.loads(states[0].read_text())["epoch"]
            if epoch >= 2:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = epoch
                break
        time.sleep(0.05)
    proc.wait()
    assert killed_at is not None and killed_at < 4, "the run finished before it could be killed"
    # history.csv grows as epochs finish (the kill may land just before its rewrite)
    partial = (cut / "devolved-punks" / "base" / "history.csv").read_text().splitlines()
    assert len(partial) >= killed_at and partial[0] == "epoch,loss,val_loss,seconds"
    assert not (cut / "devolved-punks" / "base" / "manifest.json").exists()

    res = punkforge("run", str(RECIPE), *args, "--out", str(cut))
    assert res.returncode == 0, res.stderr
    assert "resuming after" in res.stderr
    for name in ("devolved.npz", "snapshots.npz", "history.csv"):
        a = ref / "devolved-punks" / "base" / name
        b = cut / "devolved-punks" / "base" / name
        if name == "history.csv":  # seconds differ; losses must not
            strip = [ln.rsplit(",", 1)[0] for ln in a.read_text().splitlines()]
            assert strip == [ln.rsplit(",", 1)[0] for ln in b.read_text().splitlines()]
        else:
            assert a.read_bytes() == b.read_bytes(), name


def test_gallery_links_resolve(quick_run: Path) -> None:
    import re

    for page in (quick_run / "index.html", quick_run / "devolved-punks" / "index.html"):
        text = page.read_text()
        links = re.findall(r'(?:href|src)="([^"#]+)"', text)
        assert links, page
        for link in links:
            assert not link.startswith(("http:", "https:", "//")), link
            assert (page.parent / link).exists(), f"{page}: {link}"


def test_epoch_sharing_equals_training_alone(tmp_path: Path) -> None:
    recipe = tmp_path / "share.toml"
    recipe.write_text(
        'name = "share"\n[data]\ntrain_limit = 300\ntest_limit = 40\n'
        "[render]\nsample = 8\n[render.poster]\ndpi = 40\n[render.series]\nscale = 1\n"
        '[sweep]\n"train.epochs" = [1, 3]\n'
    )
    res = punkforge("run", str(recipe), "--out", str(tmp_path / "a"))
    assert res.returncode == 0, res.stderr
    stores = list((tmp_path / "a" / "share" / ".train").iterdir())
    assert len(stores) == 1, "base (10 epochs) and both sweep variants share one store"
    alone = tmp_path / "alone.toml"
    alone.write_text(
        recipe.read_text().split("[sweep]")[0].replace("[data]", "[train]\nepochs = 1\n[data]")
    )
    res = punkforge("run", str(alone), "--out", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    a = np.load(tmp_path / "a" / "share" / "epochs-1" / "devolved.npz")["devolved"]
    b = np.load(tmp_path / "b" / "share" / "base" / "devolved.npz")["devolved"]
    assert np.array_equal(a, b)


def test_render_and_finished_rerun_never_import_tensorflow(quick_run: Path) -> None:
    """With tensorflow and keras made unimportable, both commands still work."""
    for args in (
        ["render", str(quick_run / "devolved-punks"), "--set", "render.poster.layout=pairs"],
        ["run", str(RECIPE), *QUICK, "--set", "render.poster.layout=pairs", "--out",
         str(quick_run)],
    ):  # fmt: skip
        res = run_cli(*args, timeout=300, block=("tensorflow", "keras"))
        assert res.returncode == 0, res.stderr
        assert "Traceback" not in res.stderr


def test_nan_loss_stops_the_variant_with_a_clear_message(tmp_path: Path) -> None:
    res = punkforge(
        "run", str(RECIPE), "--set", "train.epochs=2", "--set", "data.train_limit=200",
        "--set", "data.test_limit=20", "--set", "render.sample=4",
        "--set", "train.optimizer=sgd", "--set", "train.learning_rate=10.0",
        "--set", "model.output.activation=linear", "--set", "train.loss=mse",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert res.returncode == 1
    assert "diverged" in res.stderr and "learning_rate" in res.stderr
    assert "Traceback" not in res.stderr


def test_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    args = [*QUICK, "--set", "data.test_limit=20", "--set", "render.sample=4"]
    first = start_cli("run", RECIPE, *args, "--out", tmp_path, capture=False)
    try:
        lock = tmp_path / "devolved-punks" / ".lock"
        deadline = time.time() + 60
        while time.time() < deadline and not (lock.exists() and lock.read_text().strip()):
            time.sleep(0.05)
        res = punkforge("run", str(RECIPE), *args, "--out", str(tmp_path))
        assert res.returncode == 1
        assert "Another punkforge run" in res.stderr
    finally:
        assert first.wait(timeout=300) == 0, "the first run must not be disturbed"
