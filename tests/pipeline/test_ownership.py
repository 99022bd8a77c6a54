"""Whose folder is whose: the --out root and above are the user's, --out/<name> is punkforge's.

The user may reach the root through links (another disk, a mount): `run`,
`render`, `--dry-run`, the API and the top-level index.html all follow them.
Inside punkforge's tree nothing is a link: one anywhere there (or at the
root's index.html) is refused before anything is read, trained or written,
and every refusal's claim ("nothing was written", "nothing was changed on
disk") is checked against the whole tree, byte for byte, the lock file
included.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from conftest import make_finished_with_store, run_cli

import punkforge
from punkforge.errors import PunkforgeError, RunError
from punkforge.pipeline import runner
from punkforge.pipeline.output_folder import run_lock
from punkforge.pipeline.progress import NullUI
from punkforge.recipe.loader import read_recipe_file


def snapshot(*roots: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under the roots, links by target (never followed), files by bytes."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for root in roots:
        for dirpath, dirs, names in os.walk(root):
            for n in dirs + names:
                p = Path(dirpath) / n
                key = str(p)
                if p.is_symlink():
                    out[key] = ("link", os.readlink(p))
                elif p.is_file():
                    out[key] = ("file", p.read_bytes())
                else:
                    out[key] = ("dir", "")
    return out


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, Path]:
    """(recipe, a real outputs folder 'disk/outs') with t/base finished (no training)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    return make_finished_with_store(disk)


# ---- the user's side: links above punkforge's tree are followed --------------------------


def _linked_roots(tmp_path: Path, outs: Path) -> list[Path]:
    """Ways a user reaches `outs` through links: the root, a parent, a chain, a relative one."""
    (tmp_path / "home").mkdir()
    direct = tmp_path / "home" / "outputs"
    direct.symlink_to(outs)
    parent = tmp_path / "home" / "mnt"
    parent.symlink_to(outs.parent)
    chain = tmp_path / "home" / "again"
    chain.symlink_to(direct)
    relative = tmp_path / "home" / "rel"
    relative.symlink_to(os.path.relpath(outs, relative.parent))
    return [direct, parent / outs.name, chain, relative]


@pytest.mark.parametrize("how", range(4), ids=["root", "parent", "chain", "relative"])
def test_render_and_dry_run_follow_the_users_links(
    made: tuple[Path, Path], tmp_path: Path, how: int
) -> None:
    recipe, outs = made
    root = _linked_roots(tmp_path, outs)[how]
    rf = read_recipe_file(recipe, ())
    assert [p.action for _, p in runner.dry_run(rf, root)] == ["skip"]
    (outs / "index.html").unlink()
    result = punkforge.render(recipe, out=root, sets={"render.poster.dpi": 36})
    assert result.folder == root / "t" and not result.failures
    assert (outs / "index.html").is_file(), "the top-level page is written through the link"
    assert (outs / "t" / "base" / "poster.png").is_file()
    again = punkforge.render(root / "t", out=root)  # a run folder reached through the link
    assert list(again.variants) == ["base"]


def test_the_command_line_follows_the_users_links(made: tuple[Path, Path], tmp_path: Path) -> None:
    recipe, outs = made
    root = _linked_roots(tmp_path, outs)[0]
    for args in (["render", recipe], ["render", root / "t"], ["run", "--dry-run", recipe]):
        res = run_cli(*args, "--out", root)
        assert res.returncode == 0, res.stderr
        assert "symbolic link" not in res.stderr + res.stdout


def test_a_run_that_only_redraws_follows_the_users_links(
    made: tuple[Path, Path], tmp_path: Path
) -> None:
    recipe, outs = made
    root = _linked_roots(tmp_path, outs)[1]
    rf = read_recipe_file(recipe, ("render.poster.dpi=36",))
    report = runner.run_recipe(rf, root, NullUI())  # a re-render: no TensorFlow
    assert not report.failures and report.rows
    assert (outs / "index.html").is_file()


# ---- punkforge's side: any link in its tree is refused before anything happens -----------

PLANTED = [
    "t",
    "index.html",  # punkforge's page in the user's root
    "t/index.html",
    "t/.lock",
    "t/.journal",
    "t/.cache",
    "t/.train",
    "t/base",
    "t/base/series",
    "t/base/series/punk-9001.png",
    "t/base/poster.png",
    "t/base/manifest.json",
    "t/base/not-ours.txt",  # a name punkforge does not use: still inside its tree
    "t/unselected-folder",
    "t/.train/{key}/weights-0001.npz",
    "t/.train/{key}/state.json",
]


def _plant(outs: Path, rel: str, outside: Path) -> Path:
    if "{key}" in rel:
        (store,) = (outs / "t" / ".train").iterdir()
        rel = rel.replace("{key}", store.name)
    where = outs / rel
    if where.is_dir() and not where.is_symlink():
        import shutil

        shutil.rmtree(where)
    else:
        where.unlink(missing_ok=True)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(outside)
    return where


def _attempts(recipe: Path, outs: Path) -> dict[str, object]:
    rf = read_recipe_file(recipe, ())
    return {
        "run": lambda: runner.run_recipe(rf, outs, NullUI()),
        "render": lambda: punkforge.render(recipe, out=outs),
        "dry-run": lambda: runner.dry_run(rf, outs),
        "api-run": lambda: punkforge.run(recipe, out=outs),
    }


@pytest.mark.parametrize("command", ["run", "render", "dry-run", "api-run"])
@pytest.mark.parametrize("rel", PLANTED)
def test_a_link_inside_punkforges_tree_is_refused_before_anything(
    made: tuple[Path, Path], tmp_path: Path, rel: str, command: str
) -> None:
    recipe, outs = made
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.png").write_bytes(b"precious")
    where = _plant(outs, rel, outside)
    before = snapshot(outs.parent)
    with pytest.raises(RunError) as caught:
        _attempts(recipe, outs)[command]()  # type: ignore[operator]
    message = str(caught.value)
    assert str(where) in message and "symbolic link" in message and "Fix:" in message
    assert "nothing was written" in message
    assert snapshot(outs.parent) == before, "nothing was written: not even the lock file"


@pytest.mark.parametrize("kind", ["dangling", "file", "file-above"])
@pytest.mark.parametrize("command", ["run", "render", "dry-run"])
def test_a_root_that_cannot_hold_the_tree_is_refused_before_anything(
    made: tuple[Path, Path], tmp_path: Path, kind: str, command: str
) -> None:
    recipe, _ = made
    if kind == "dangling":
        root = tmp_path / "gone"
        root.symlink_to(tmp_path / "nowhere")
    elif kind == "file":
        root = tmp_path / "afile"
        root.write_text("mine")
    else:
        (tmp_path / "afile").write_text("mine")
        root = tmp_path / "afile" / "outs"
    before = snapshot(tmp_path)
    with pytest.raises(PunkforgeError) as caught:
        _attempts(recipe, root)[command]()  # type: ignore[operator]
    message = str(caught.value)
    assert "Fix:" in message or "Run `punkforge run" in message
    if command != "render":  # render of a recipe says first that nothing was rendered there
        assert "nothing was written" in message
    assert snapshot(tmp_path) == before


def test_the_command_line_refuses_a_tree_link_in_one_paragraph(
    made: tuple[Path, Path], tmp_path: Path
) -> None:
    recipe, outs = made
    where = _plant(outs, "t/base/series", tmp_path)
    before = snapshot(outs.parent)
    for args in (
        ["run", recipe],
        ["render", recipe],
        ["render", outs / "t"],
        ["run", "--dry-run", recipe],
    ):
        res = run_cli(*args, "--out", outs)
        assert res.returncode == 1, res.stderr
        assert str(where) in res.stderr.replace("\n", "") and "Traceback" not in res.stderr
        assert res.stderr.count("error:") == 1
    assert snapshot(outs.parent) == before


# ---- other refusals: the state each message claims --------------------------------------


def test_render_refusing_a_changed_recipe_changes_nothing_on_disk(
    made: tuple[Path, Path],
) -> None:
    recipe, outs = made
    before = snapshot(outs)
    with pytest.raises(PunkforgeError, match="nothing was changed on disk"):
        punkforge.render(read_recipe_file(recipe, ("train.epochs=3",)), out=outs)
    assert snapshot(outs) == before


def test_a_busy_folder_is_refused_and_left_as_the_other_run_has_it(
    made: tuple[Path, Path],
) -> None:
    recipe, outs = made
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with run_lock(outs / "t"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=holder)
    t.start()
    try:
        held.wait(30)
        before = snapshot(outs)
        for attempt in ("run", "render"):
            with pytest.raises(RunError, match=f"pid {os.getpid()}.* is writing"):
                _attempts(recipe, outs)[attempt]()  # type: ignore[operator]
        assert snapshot(outs) == before
    finally:
        release.set()
        t.join()


def test_an_unknown_variant_is_refused_before_anything(made: tuple[Path, Path]) -> None:
    recipe, outs = made
    before = snapshot(outs)
    with pytest.raises(PunkforgeError, match="no variant of that name"):
        punkforge.run(recipe, out=outs, only=["nope"])
    assert snapshot(outs) == before


def test_a_damaged_recorded_recipe_is_named_and_nothing_changes(made: tuple[Path, Path]) -> None:
    _, outs = made
    (outs / "t" / "base" / "recipe.toml").write_bytes(b"\xff\xfe not text")
    before = snapshot(outs)
    with pytest.raises(
        PunkforgeError, match=r"recipe\.toml is damaged.*Nothing was changed on disk"
    ):
        punkforge.render(outs / "t", out=outs)
    (outs / "t" / "base" / "recipe.toml").write_text('name = "t"\n[train]\nepochs = "two"\n')
    with pytest.raises(PunkforgeError, match=r"recipe\.toml is damaged"):
        punkforge.render(outs / "t", out=outs)
    before.pop(str(outs / "t" / "base" / "recipe.toml"))
    after = snapshot(outs)
    after.pop(str(outs / "t" / "base" / "recipe.toml"))
    assert after == before


def test_up_to_date_skipped_means_the_variant_is_untouched(made: tuple[Path, Path]) -> None:
    recipe, outs = made
    said: list[tuple[str, str]] = []

    class Recording(NullUI):
        def variant_start(self, recipe: str, variant: str, action: str) -> None:
            said.append((variant, action))

    before = snapshot(outs / "t" / "base", outs / "t" / ".train")
    report = runner.run_recipe(read_recipe_file(recipe, ()), outs, Recording())
    assert said == [("base", "skip")]  # printed as "up to date, skipped"
    assert not report.failures and [r["variant"] for r in report.rows] == ["base"]
    assert snapshot(outs / "t" / "base", outs / "t" / ".train") == before


@pytest.mark.parametrize("rel", ["index.html", "t/summary.json", "t/index.html", "t/.lock"])
def test_a_folder_where_punkforge_writes_a_file_is_refused_before_anything(
    made: tuple[Path, Path], rel: str
) -> None:
    recipe, outs = made
    where = outs / rel
    where.unlink(missing_ok=True)
    (where / "mine").mkdir(parents=True)
    before = snapshot(outs)
    for attempt in _attempts(recipe, outs).values():
        with pytest.raises(RunError, match="nothing was written") as caught:
            attempt()  # type: ignore[operator]
        assert str(where) in str(caught.value)
    assert snapshot(outs) == before
