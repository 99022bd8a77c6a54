"""The command line: help for every command, --version, validate, list, schema, new.

In-process through typer's CliRunner, except where a fresh interpreter matters
(which modules a command imports).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import RECIPES, ROOT
from typer.testing import CliRunner

from punkforge import __version__
from punkforge.cli import app
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.schema import recipe_schema

COMMANDS = ["run", "validate", "list", "render", "schema", "new", "info"]
runner = CliRunner()


def test_the_app_has_exactly_the_spec_commands() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert sorted(names) == sorted(COMMANDS)


def test_app_help() -> None:
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0, r.output
    assert "CryptoPunks" in r.stdout
    for name in COMMANDS:
        assert name in r.stdout
    assert "--version" in r.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    r = runner.invoke(app, [command, "--help"])
    assert r.exit_code == 0, r.output
    assert "Usage" in r.stdout
    cmd = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == command)
    doc = (cmd.callback.__doc__ or "").strip()
    assert doc, f"{command} has no docstring"
    assert doc.split("\n")[0].split("(")[0].strip() in " ".join(r.stdout.split())


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("run", ["--only", "--set", "--out", "--fresh"]),
        ("validate", ["--set"]),
        ("list", ["--set"]),
        ("render", ["--set", "--out"]),
        ("new", ["--dir"]),
    ],
)
def test_help_lists_the_options(command: str, options: list[str]) -> None:
    r = runner.invoke(app, [command, "--help"])
    for opt in options:
        assert opt in r.stdout, opt


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout.strip() == f"punkforge {__version__}"


def test_no_arguments_prints_help() -> None:
    r = runner.invoke(app, [])
    assert "Usage" in r.output
    assert r.exit_code in (0, 2)


@pytest.mark.parametrize("args", [["run"], ["validate"], ["validate", "--bogus", "x.toml"]])
def test_bad_command_line_exits_2(args: list[str]) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output


# ---------------------------------------------------------------- validate and list


def test_validate_every_shipped_recipe() -> None:
    r = runner.invoke(app, ["validate", *map(str, RECIPES)])
    assert r.exit_code == 0, r.output
    # indented lines describe a recipe's image folder
    lines = [x for x in r.stdout.strip().splitlines() if not x.startswith("  ")]
    assert len(lines) == len(RECIPES)
    for path, line in zip(RECIPES, lines, strict=True):
        rf = read_recipe_file(path)
        n = len(rf.variants)
        assert line == f"{path}: ok, recipe '{rf.name}', {n} variant{'s' if n != 1 else ''}"


def test_validate_with_set(tmp_path: Path) -> None:
    p = tmp_path / "r.toml"
    p.write_text('name = "r"\n[train]\nepochs = 0\n')
    assert runner.invoke(app, ["validate", str(p)]).exit_code == 2
    r = runner.invoke(app, ["validate", str(p), "--set", "train.epochs=2"])
    assert r.exit_code == 0, r.output


def test_list_shows_parameters_and_shapes() -> None:
    r = runner.invoke(app, ["list", str(ROOT / "recipes" / "devolved-punks.toml")])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "devolved-punks/base: 12,785 parameters" in out
    for text in (
        "24x24x1",
        "22x22x32",
        "20x20x16",
        "18x18x8",
        "Conv2DTranspose",
        "sigmoid",
        "4,640",
    ):
        assert text in out, text


def test_list_shows_every_variant() -> None:
    path = ROOT / "recipes" / "devolution-sweep.toml"
    r = runner.invoke(app, ["list", str(path)])
    assert r.exit_code == 0, r.output
    for v in read_recipe_file(path).variants:
        assert f"devolution-sweep/{v.name}:" in r.stdout


def test_list_with_set_changes_the_counts() -> None:
    path = str(ROOT / "recipes" / "devolved-punks.toml")
    r = runner.invoke(app, ["list", path, "--set", "data.color=rgb"])
    assert r.exit_code == 0, r.output
    assert "13,939 parameters, rgb" in r.stdout


def test_error_messages_keep_their_brackets(tmp_path: Path) -> None:
    """rich must not swallow [sweep] or [h, w] as markup."""
    p = tmp_path / "r.toml"
    p.write_text('name = "r"\n[sweep]\n"train.epoch" = [1]\n')
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert '[sweep] "train.epoch"' in r.stderr


# ---------------------------------------------------------------- schema


def test_schema_prints_json() -> None:
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == recipe_schema()


# ---------------------------------------------------------------- new


def test_new_writes_a_recipe_that_validates(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new", "my-punks", "--dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    path = tmp_path / "my-punks.toml"
    assert str(path) in r.stdout
    rf = read_recipe_file(path)
    assert (rf.name, rf.title, [v.name for v in rf.variants]) == ("my-punks", "My Punks", ["base"])
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    # "the values below are the defaults": the starter is the seed network
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "my-punks"\ntitle = "My Punks"\n')
    assert read_recipe_file(plain).variants[0].recipe == rf.variants[0].recipe


def test_new_starter_comments_work_when_uncommented(tmp_path: Path) -> None:
    runner.invoke(app, ["new", "try-it", "--dir", str(tmp_path)])
    path = tmp_path / "try-it.toml"
    text = path.read_text()
    for line in text.splitlines():
        if line.startswith(("# [", '# "', "# model.")):
            text = text.replace(line, line[2:])
    path.write_text(text)
    assert [v.name for v in read_recipe_file(path).variants] == [
        "base", "wide",
        "epochs-5_activation-relu", "epochs-5_activation-elu",
        "epochs-20_activation-relu", "epochs-20_activation-elu",
    ]  # fmt: skip


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n# my own work\n')
    r = runner.invoke(app, ["new", "mine", "--dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "already exists" in r.stderr and str(path) in r.stderr
    assert path.read_text() == 'name = "mine"\n# my own work\n'


@pytest.mark.parametrize("name", ["My-Punks", "a/b", "..", ""])
def test_new_refuses_a_bad_name(tmp_path: Path, name: str) -> None:
    r = runner.invoke(app, ["new", name, "--dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "a-z 0-9" in r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- no TensorFlow


def test_help_validate_list_schema_never_import_tensorflow() -> None:
    recipes = [str(p) for p in RECIPES]
    argvs = [["--help"], ["run", "--help"], ["validate", *recipes], ["list", *recipes], ["schema"]]
    script = textwrap.dedent(
        """
        import sys
        from punkforge.cli import main
        for argv in ARGVS:
            sys.argv = ["punkforge", *argv]
            try:
                main()
            except SystemExit as e:
                assert not e.code, (argv, e.code)
            heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
            print("HEAVY", argv[0], heavy, file=sys.stderr)
        """
    ).replace("ARGVS", repr(argvs))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    heavy = [ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY")]
    assert len(heavy) == len(argvs), proc.stderr
    for ln in heavy:
        assert ln.endswith("[]"), ln
