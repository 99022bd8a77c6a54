"""`run --jobs/--ray/--ray-address` refused cleanly, and garbage collection that never
follows a link. Fast: nothing here trains or imports TensorFlow.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import epoch_result, run_cli

from punkforge.errors import PunkforgeError, RunError
from punkforge.pipeline.pools import InProcessPool, LocalPool, open_pool, parse_jobs
from punkforge.pipeline.runner import _collect_garbage
from punkforge.recipe.loader import read_recipe_file
from punkforge.training.store import StoreState, commit_epoch, training_key

RECIPE = 'name = "p"\n[data]\ntrain_limit = 200\ntest_limit = 8\n[render]\nsample = 4\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jobs_parsing() -> None:
    assert parse_jobs("3") == 3
    assert parse_jobs("auto") >= 1
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(PunkforgeError) as err:
            parse_jobs(bad)
        assert err.value.exit_code == 2 and "--jobs" in str(err.value)
    assert isinstance(open_pool(None), InProcessPool)
    assert isinstance(open_pool("1"), InProcessPool)
    assert isinstance(open_pool("2"), LocalPool)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--jobs", "0"], "--jobs 0"),
        (["--jobs", "x"], "'auto'"),
        (["--jobs", "2", "--ray"], "cannot be combined"),
        (["--ray", "--ray-address", "auto"], "give one of them"),
        (["--ray-address", "nonsense"], "HOST:PORT"),
    ],
)
def test_bad_parallel_options_exit_2_and_write_nothing(
    tmp_path: Path, args: list[str], words: str
) -> None:
    recipe = tmp_path / "p.toml"
    recipe.write_text(RECIPE)
    res = run_cli("run", recipe, "--out", tmp_path / "out", *args)
    assert res.returncode == 2, res.stderr
    assert words in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_ray_address_is_one_paragraph(tmp_path: Path) -> None:
    recipe = tmp_path / "p.toml"
    recipe.write_text(RECIPE)
    addr = f"127.0.0.1:{free_port()}"
    res = run_cli("run", recipe, "--out", tmp_path / "out", "--ray-address", addr)
    assert res.returncode == 2
    assert f"--ray-address {addr}: no Ray cluster answers there" in res.stderr
    assert "ray start --head" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_ray_not_installed_is_one_paragraph(tmp_path: Path) -> None:
    recipe = tmp_path / "p.toml"
    recipe.write_text(RECIPE)
    res = run_cli("run", recipe, "--out", tmp_path / "o", "--ray", block=("ray",))
    assert res.returncode == 2
    assert "pip install 'punkforge[ray]'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


class Steps:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, text: str) -> None:
        self.lines.append(text)


def test_garbage_collection_deletes_only_listed_files_and_no_link(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(RECIPE)
    rf = read_recipe_file(path, [])
    out = tmp_path / "out" / "p"
    train = out / ".train"
    used = train / training_key(rf.variants[0].recipe)
    old = train / "0123456789abcdef"
    for store in (used, old):
        store.mkdir(parents=True)
        commit_epoch(store, StoreState(), epoch_result(1), sample=2)
    (old / "user-notes.txt").write_text("keep me")
    outside = tmp_path / "outside"
    outside.mkdir()
    commit_epoch(outside, StoreState(), epoch_result(1), sample=2)
    (train / "fedcba9876543210").symlink_to(outside)
    ui = Steps()
    _collect_garbage(rf, out, ui)
    assert (used / "state.json").exists(), "a store in use stays"
    assert sorted(p.name for p in old.iterdir()) == ["user-notes.txt"]
    assert len(list(outside.iterdir())) == 4, "a linked store is never followed"
    assert any("symbolic link" in line for line in ui.lines)


def test_a_train_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(RECIPE)
    rf = read_recipe_file(path, [])
    out = tmp_path / "out" / "p"
    out.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "0123456789abcdef").mkdir(parents=True)
    (out / ".train").symlink_to(elsewhere)
    with pytest.raises(RunError, match="symbolic link"):
        _collect_garbage(rf, out, Steps())
    assert (elsewhere / "0123456789abcdef").is_dir()
