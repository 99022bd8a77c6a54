"""Every way a recipe can be wrong: exit status 2, one short paragraph, nothing written.

Each file in tests/bad_recipes/ states what its error message must say:

    # expect: <text>    one or more; every text must appear in the message
    ...  # <- error     on the line the message must name ("line N")

A few more cases (an empty file, a non-UTF-8 file, a folder, a missing file) are
made in tmp_path. Every case runs through the real command line in-process
(typer's CliRunner: `punkforge validate`); a representative set of them also in a
fresh interpreter (`python -m punkforge validate`, several at once), and a handful
through `punkforge run --out DIR`, which must not create DIR. (A subprocess per
case would take about 30 s on two cores.)
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BAD_RECIPES, run_cli
from typer.testing import CliRunner

from punkforge.cli import app
from punkforge.errors import RecipeError
from punkforge.recipe.loader import read_recipe_file

MARK = "# <- error"


@dataclass(frozen=True)
class Case:
    name: str
    expects: tuple[str, ...]
    line: int | None = None  # the line the message must name
    make: Callable[[Path], Path] | None = field(default=None, compare=False)  # special cases

    def path(self, folder: Path) -> Path:
        return self.make(folder) if self.make else BAD_RECIPES / f"{self.name}.toml"


def _file_case(path: Path) -> Case:
    lines = path.read_text(encoding="utf-8").splitlines()
    expects = tuple(ln.removeprefix("# expect: ") for ln in lines if ln.startswith("# expect: "))
    marked = [i + 1 for i, ln in enumerate(lines) if ln.rstrip().endswith(MARK)]
    assert expects, f"{path.name}: no '# expect: ...' line"
    assert len(marked) <= 1, f"{path.name}: more than one '{MARK}'"
    return Case(path.stem, expects, marked[0] if marked else None)


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p

    return make


def _folder(folder: Path) -> Path:
    p = folder / "recipes.toml"
    p.mkdir(exist_ok=True)
    return p


SPECIAL = [
    Case("empty-file", ("the file is empty", 'name = "my-punks"'), make=_write("empty.toml", b"")),
    Case("blank-file", ("the file is empty",), make=_write("blank.toml", b" \n\n\t\n")),
    Case(
        "comments-only",
        ("name: this required key is missing",),
        make=_write("comments.toml", b"# just a comment\n"),
    ),
    Case(
        "not-utf8",
        ("is not UTF-8", "byte 0xe9", "Save the recipe as UTF-8"),
        line=2,
        make=_write("latin1.toml", 'name = "t"\ntitle = "Café"\n'.encode("latin-1")),
    ),
    Case(
        "utf16",
        ("is not UTF-8", "UTF-16 byte-order mark"),
        make=_write("utf16.toml", 'name = "t"\n'.encode("utf-16")),
    ),
    Case(
        "utf32",
        ("is not UTF-8", "UTF-32 byte-order mark", "Save the recipe as UTF-8"),
        make=_write("utf32.toml", 'name = "t"\n'.encode("utf-32")),
    ),
    Case(
        "utf8-bom-then-a-typo",  # the BOM itself is fine: the error is the typo, on line 3
        ("train.epoch: unknown key",),
        line=3,
        make=_write("bom.toml", '\ufeffname = "t"\n[train]\nepoch = 2\n'.encode()),
    ),
    Case("a-folder", ("is a folder, not a recipe file",), make=_folder),
    Case("missing-file", ("no such file",), make=lambda folder: folder / "nope.toml"),
]

CASES = [_file_case(p) for p in sorted(BAD_RECIPES.glob("*.toml"))] + SPECIAL
BY_NAME = {c.name: c for c in CASES}

# One or two of each kind, in a fresh interpreter as a user runs them.
SUBPROCESS_CASES = [
    "syntax-unclosed-string",
    "syntax-duplicate-key",
    "unknown-layer-key",
    "unknown-sweep-key",
    "unknown-variant-key",
    "type-table-for-list",
    "range-validation-split",
    "name-with-slash",
    "network-vanishing",
    "poster-crop-marks-without-bleed",
    "not-utf8",
    "a-folder",
    "empty-file",
]

# These also go through `punkforge run --out DIR`: DIR must not be created.
RUN_CASES = [
    "syntax-unclosed-string",
    "unknown-render-gif",
    "type-bool-for-int",
    "network-not-24x24",
    "variant-collides-with-sweep",
    "poster-margin-too-big",
    "missing-file",
]


@dataclass(frozen=True)
class Result:
    path: Path
    proc: subprocess.CompletedProcess[str]
    out: Path | None = None  # run --out


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Result]:
    """Every case through the CLI, in parallel subprocesses (each is ~0.3 s of startup)."""
    folder = tmp_path_factory.mktemp("bad")
    paths = {c.name: c.path(folder) for c in CASES}
    jobs: dict[tuple[str, str], tuple[Path, list[str | Path], Path | None]] = {}
    for name in SUBPROCESS_CASES + RUN_CASES:
        jobs[("validate", name)] = (paths[name], ["validate", paths[name]], None)
    for name in RUN_CASES:
        out = folder / f"out-{name}"
        jobs[("run", name)] = (paths[name], ["run", paths[name], "--out", out], out)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        procs = {k: pool.submit(run_cli, *args, cwd=folder) for k, (_, args, _) in jobs.items()}
        return {k: Result(jobs[k][0], f.result(), jobs[k][2]) for k, f in procs.items()}


def check_message(case: Case, path: Path, stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    msg = stderr.strip()
    assert msg.startswith("error: "), msg
    assert "\n" not in msg, f"not one paragraph:\n{msg}"
    assert len(msg) < 800, f"not short ({len(msg)} characters):\n{msg}"
    assert str(path) in msg, f"the message does not name the file {path}:\n{msg}"
    for text in case.expects:
        assert text in msg, f"expected {text!r} in:\n{msg}"
    if case.line is not None:
        assert re.search(rf", line {case.line}\b", msg), f"expected line {case.line} in:\n{msg}"


def test_there_are_enough_cases() -> None:
    files = [c for c in CASES if c.make is None]
    print(f"{len(CASES)} bad recipe cases ({len(files)} files, {len(SPECIAL)} made in the test)")
    assert len(files) >= 30
    assert len(CASES) == len(BY_NAME)  # names are unique
    assert set(RUN_CASES) <= set(BY_NAME)
    assert set(SUBPROCESS_CASES) <= set(BY_NAME)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_recipe_is_refused_by_the_cli(case: Case, tmp_path: Path) -> None:
    path = case.path(tmp_path)
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.stdout == ""
    check_message(case, path, r.stderr)


SUB = [BY_NAME[n] for n in dict.fromkeys(SUBPROCESS_CASES + RUN_CASES)]


@pytest.mark.parametrize("case", SUB, ids=[c.name for c in SUB])
def test_bad_recipe_in_a_subprocess(case: Case, results: dict[tuple[str, str], Result]) -> None:
    r = results[("validate", case.name)]
    assert r.proc.returncode == 2, r.proc.stderr
    assert r.proc.stdout == ""
    check_message(case, r.path, r.proc.stderr)
    if ("run", case.name) in results:
        run = results[("run", case.name)]
        assert run.proc.returncode == 2, run.proc.stderr
        check_message(case, run.path, run.proc.stderr)
        assert run.out is not None and not run.out.exists(), "run wrote into --out"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_recipe_raises_recipe_error(case: Case, tmp_path: Path) -> None:
    path = case.path(tmp_path)
    with pytest.raises(RecipeError) as err:
        read_recipe_file(path)
    assert err.value.exit_code == 2
    for text in case.expects:
        assert text in str(err.value)


def test_every_typo_gets_a_suggestion() -> None:
    skip = "unknown-key-in-wrong-table"  # says where the key belongs instead
    typos = [c for c in CASES if c.name.startswith("unknown-") and c.name != skip]
    assert len(typos) >= 12
    for c in typos:
        assert any("Did you mean" in e for e in c.expects), c.name


def test_every_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    syntax = [c for c in CASES if c.name.startswith("syntax-")]
    assert len(syntax) >= 3
    for c in syntax:
        assert c.line is not None, c.name
        with pytest.raises(RecipeError) as err:
            read_recipe_file(c.path(tmp_path))
        assert re.search(rf", line {c.line}, column \d+: not valid TOML", str(err.value)), err


def test_only_the_bad_file_of_several_is_named(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('name = "good"\n')
    bad = BAD_RECIPES / "unknown-train.toml"
    proc = run_cli("validate", good, bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and str(good) not in proc.stderr


def test_set_errors_exit_2(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('name = "good"\n')
    proc = run_cli("validate", good, "--set", "train.epoch=3", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Did you mean 'train.epochs'?" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("run", good, "--set", "train.epochs=0", "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--set train.epochs" in proc.stderr and "found 0" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_two_recipes_with_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "x.toml", tmp_path / "b" / "x.toml"
    a.write_text('name = "same"\n')
    b.write_text('name = "same"\n')
    proc = run_cli("run", a, b, "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "'same'" in proc.stderr and "Rename one" in proc.stderr
    assert not (tmp_path / "out").exists()
