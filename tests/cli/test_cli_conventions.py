"""Command-line conventions: -h everywhere, completion, plain argument help, --open,
`new --from` / `new --list` (the shipped examples)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from typer.testing import CliRunner

from punkforge.cli import _open_in_browser, app
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.starter import examples

runner = CliRunner()


def _commands() -> list[str]:
    return [c.name or c.callback.__name__.rstrip("_") for c in app.registered_commands]


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_answers_h(flag: str) -> None:
    top = runner.invoke(app, [flag])
    assert top.exit_code == 0 and "Usage" in top.stdout
    for name in _commands():
        r = runner.invoke(app, [name, flag])
        assert r.exit_code == 0, (name, r.output)
        assert "Usage" in r.stdout and "-h, --help" in r.stdout, name


def test_help_shows_no_python_types() -> None:
    for name in _commands():
        out = runner.invoke(app, [name, "-h"]).stdout
        for python_type in ("<list", "<str>", "<Path>", "<path>", "{RECIPE}", "<int>"):
            assert python_type not in out, (name, python_type, out)
    assert "RECIPE..." in runner.invoke(app, ["run", "-h"]).stdout


def test_shell_completion_is_offered() -> None:
    r = runner.invoke(app, ["--help"])
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


def test_run_has_open() -> None:
    assert "--open" in runner.invoke(app, ["run", "-h"]).stdout


def test_open_uses_the_users_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "seen.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {seen}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    page = tmp_path / "out" / "index.html"
    page.parent.mkdir()
    page.write_text("<html></html>")
    import webbrowser

    monkeypatch.setenv("BROWSER", str(browser))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # re-read $BROWSER
    _open_in_browser(page)
    for _ in range(50):  # the browser runs in the background
        if seen.exists():
            break
        import time

        time.sleep(0.1)
    assert seen.read_text().strip() == page.resolve().as_uri()


def test_open_without_a_browser_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    _open_in_browser(tmp_path / "index.html")
    assert "No browser" in capsys.readouterr().out


def test_examples_are_every_toml_in_recipes() -> None:
    shipped = examples()
    assert sorted(shipped) == sorted(p.stem for p in (ROOT / "recipes").glob("*.toml"))
    assert "strided-punks" in shipped
    # one copy: the package's folder is the repository's recipes/ folder
    assert (ROOT / "punkforge" / "recipes").resolve() == (ROOT / "recipes").resolve()


def test_new_list_shows_every_example() -> None:
    r = runner.invoke(app, ["new", "--list"])
    assert r.exit_code == 0
    for stem in examples():
        assert stem in r.stdout
    assert "squeeze hard" in r.stdout  # strided-punks' first comment line


def test_new_from_copies_an_example_under_the_new_name(tmp_path: Path) -> None:
    args = ["new", "my-strides", "--from", "strided-punks", "--dir", str(tmp_path)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    path = tmp_path / "my-strides.toml"
    text = path.read_text()
    assert "Strided Punks: squeeze hard" in text  # comments kept
    rf = read_recipe_file(path)
    assert rf.name == "my-strides"
    original = read_recipe_file(examples()["strided-punks"])
    assert rf.variants[0].recipe.model == original.variants[0].recipe.model
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already exists" in again.output


def test_new_from_unknown_example_suggests(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new", "x", "--from", "strided-punk", "--dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "strided-punks" in r.output and not list(tmp_path.iterdir())


def test_new_without_name_says_how(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new", "--dir", str(tmp_path)])
    assert r.exit_code == 2 and "--list" in r.output


def test_every_example_validates_from_the_package(tmp_path: Path) -> None:
    for stem in examples():
        r = runner.invoke(app, ["new", f"copy-{stem}", "--from", stem, "--dir", str(tmp_path)])
        assert r.exit_code == 0, r.output
        assert read_recipe_file(tmp_path / f"copy-{stem}.toml").name == f"copy-{stem}"
        v = runner.invoke(app, ["validate", str(tmp_path / f"copy-{stem}.toml")])
        assert v.exit_code == 0, v.output  # sprites: its image folder came along


def test_new_from_an_example_with_images_copies_them_once(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new", "mine", "--from", "sprites", "--dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    shipped = sorted(p.name for p in examples()["sprites"].parent.glob("sprites/*/*.png"))
    assert sorted(p.name for p in tmp_path.glob("sprites/*/*.png")) == shipped
    (tmp_path / "sprites" / "tree" / "tree-000.png").write_bytes(b"mine")  # the user's now
    r = runner.invoke(app, ["new", "again", "--from", "sprites", "--dir", str(tmp_path)])
    assert r.exit_code == 0 and (tmp_path / "sprites/tree/tree-000.png").read_bytes() == b"mine"


def test_completion_script_names_punkforge() -> None:
    # typer reads this when its completion support is imported: a fresh interpreter
    r = run_cli(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert r.returncode == 0, r.stderr
    assert "punkforge_completion" in r.stdout and "COMPREPLY" in r.stdout
