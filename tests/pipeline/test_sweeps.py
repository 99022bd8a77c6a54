"""Big sweeps for real: --jobs 2 and Ray give the pixels of --jobs 1, survive kill -9,
retry a failed group, and heal a damaged training store.

A three-group recipe (200 punks, 1-3 epochs) trained through the CLI in
subprocesses; every comparison is byte for byte on devolved.npz and
snapshots.npz. The Ray cluster started with `ray start` is stopped by ending
the process that started it (not `ray stop`, which would also stop any other
Ray cluster of this user on the machine).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, start_cli

from punkforge.recipe.loader import read_recipe_file
from punkforge.training.store import training_key

pytestmark = pytest.mark.slow

THREE = """
name = "three"
[data]
train_limit = 200
test_limit = 20
[train]
epochs = 2
[render]
sample = 4
[render.poster]
dpi = 40
[render.series]
scale = 1
[variants.narrow]
model.encoder = [ { filters = 8, kernel = 3 }, { filters = 2, kernel = 3 } ]
model.decoder = [ { filters = 2, kernel = 3 }, { filters = 8, kernel = 3 } ]
[variants.shallow]
model.encoder = [ { filters = 8, kernel = [7, 5] } ]
model.decoder = [ { filters = 8, kernel = [7, 5] } ]
train.epochs = 3
[variants.short]
train.epochs = 1
"""
VARIANTS = ("base", "narrow", "shallow", "short")
# Ray 2.5x turns on token authentication by default; this cluster lives only for the
# test on 127.0.0.1, and a shared token file would tie it to other clusters on the machine.
NO_TOKEN = {"RAY_AUTH_MODE": "disabled"}


# The failure a test injects: this file, as sitecustomize.py first on PYTHONPATH,
# runs at the start of every Python process of the command (the driver, its
# --jobs workers, the Ray cluster's workers) and wraps the worker's
# `run_group` so that the first try of one group fails just before it sends
# one epoch: an exception, or (crash) the worker process dies.
FAIL_GROUP = """\
import os

from punkforge.training import worker
from punkforge.training.store import EpochResult

KEY, EPOCH, CRASH = {key!r}, {epoch!r}, {crash!r}
train_for_real = worker.run_group


def failing_run_group(job, data):
    for item in train_for_real(job, data):
        at = isinstance(item, EpochResult) and item.epoch == EPOCH
        if at and job.attempt == 0 and job.key.startswith(KEY):
            if CRASH:
                os._exit(3)
            raise RuntimeError(f"injected failure at epoch {{EPOCH}}")
        yield item


worker.run_group = failing_run_group
"""


@pytest.fixture
def fail_group(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, str]]:
    """fail_group(key, epoch, crash=False) -> the environment that makes that group fail once."""

    def env(key: str, epoch: int, crash: bool = False) -> dict[str, str]:
        folder = tmp_path_factory.mktemp("fail-group")
        (folder / "sitecustomize.py").write_text(FAIL_GROUP.format(key=key, epoch=epoch,
                                                                   crash=crash))  # fmt: skip
        return {"PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}

    return env


punkforge = functools.partial(run_cli, "run", timeout=900)  # `punkforge run ARGS`


def assert_same(a: Path, b: Path) -> None:
    for v in VARIANTS:
        for name in ("devolved.npz", "snapshots.npz"):
            x, y = a / "three" / v / name, b / "three" / v / name
            assert x.read_bytes() == y.read_bytes(), f"{v}/{name}"


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recipe") / "three.toml"
    path.write_text(THREE)
    return path


@pytest.fixture(scope="module")
def reference(recipe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jobs1")
    res = punkforge(recipe, "--out", out, "--jobs", "1")
    assert res.returncode == 0, res.stderr
    return out


def key_of(recipe: Path, variant: str) -> str:
    rf = read_recipe_file(recipe, [])
    return training_key(next(v for v in rf.variants if v.name == variant).recipe)


def test_jobs_2_with_a_crashing_worker_equals_jobs_1(
    recipe: Path, reference: Path, tmp_path: Path, fail_group: Callable[..., dict[str, str]]
) -> None:
    """Two processes; the 'shallow' worker dies (os._exit) before sending epoch 2."""
    fail = fail_group(key_of(recipe, "shallow"), 2, crash=True)
    res = punkforge(recipe, "--out", tmp_path, "--jobs", "2", env=fail)
    assert res.returncode == 0, res.stderr
    assert "shallow: training failed (its worker process died" in res.stderr
    assert "retrying from epoch 1" in res.stderr and "Traceback" not in res.stderr
    assert_same(reference, tmp_path)


def test_local_ray_cluster_equals_jobs_1(recipe: Path, reference: Path, tmp_path: Path) -> None:
    res = punkforge(recipe, "--out", tmp_path, "--ray")
    assert res.returncode == 0, res.stderr
    assert "on Ray" in res.stderr
    assert_same(reference, tmp_path)


def test_existing_ray_cluster_retries_a_failed_group(
    recipe: Path, reference: Path, tmp_path: Path, fail_group: Callable[..., dict[str, str]]
) -> None:
    import socket

    # the cluster's workers start from its head's environment, so the head gets the failure
    fail = fail_group(key_of(recipe, "base"), 2)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [str(ray), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
         "--node-ip-address=127.0.0.1", "--include-dashboard=false", "--disable-usage-stats"],
        env={**os.environ, **fail, **NO_TOKEN},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        res = punkforge(recipe, "--out", tmp_path / "out", "--ray-address", f"127.0.0.1:{port}",
                        env=NO_TOKEN)  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert "base, short: training failed (RuntimeError" in res.stderr
        assert "retrying from epoch 1" in res.stderr
        assert_same(reference, tmp_path / "out")
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # the group we started: that cluster only
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def test_kill_9_of_a_jobs_2_driver_then_rerun_is_byte_identical(
    recipe: Path, reference: Path, tmp_path: Path
) -> None:
    proc = start_cli("run", recipe, "--out", tmp_path, "--jobs", "2", capture=False)
    stores = tmp_path / "three" / ".train"
    deadline, killed = time.time() + 600, False
    while time.time() < deadline and proc.poll() is None:
        epochs = []
        for state in stores.glob("*/state.json") if stores.exists() else []:
            with contextlib.suppress(OSError, ValueError):
                epochs.append(json.loads(state.read_text())["epoch"])
        if any(e >= 1 for e in epochs):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    proc.wait()
    assert killed, "the run finished before it could be killed"
    res = punkforge(recipe, "--out", tmp_path, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    assert "resuming after" in res.stderr
    assert_same(reference, tmp_path)


def test_a_damaged_store_rolls_back_and_retrains_the_same(
    recipe: Path, reference: Path, tmp_path: Path
) -> None:
    """Stop 'shallow' at 2 epochs, damage its store, then ask for 3 as the reference did."""
    two = ["--only", "shallow", "--set", "train.epochs=2"]
    res = punkforge(recipe, "--out", tmp_path, *two)
    assert res.returncode == 0, res.stderr
    store = tmp_path / "three" / ".train" / key_of(recipe, "shallow")
    weights = store / "weights-0002.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    weights.write_bytes(bytes(data))
    opt = store / "optimizer-0001.npz"
    opt.write_bytes(opt.read_bytes()[:100])  # cut short (BadZipFile before)
    res = punkforge(recipe, "--out", tmp_path, "--only", "shallow")
    assert res.returncode == 0, res.stderr
    assert "optimizer-0001.npz is damaged or missing; rolled back to the start" in res.stderr
    assert "Traceback" not in res.stderr
    for name in ("devolved.npz", "snapshots.npz"):
        a = reference / "three" / "shallow" / name
        assert a.read_bytes() == (tmp_path / "three" / "shallow" / name).read_bytes()
    # a garbage state.json: starts over, same result again
    (store / "state.json").write_text("{garbage")
    res = punkforge(recipe, "--out", tmp_path, "--only", "shallow", "--set", "train.epochs=1")
    assert res.returncode == 0, res.stderr
    assert "state.json" in res.stderr and "starts over" in res.stderr
