"""Terminal output never interprets data: markup, escapes and control characters print as text.

Everything a recipe, a path, a key, a folder name or a record read back from
disk contributes to a line goes through `pipeline.terminal.shown` before rich
sees it. These tests feed hostile text through every printing path (progress
lines, the results table, `list`, errors, dry-run plans) and check that it
comes out literally: no eaten brackets, no styles, no raw escape sequences.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import make_finished_with_store, run_cli
from rich.console import Console

from punkforge.pipeline.progress import RichUI, results_table
from punkforge.pipeline.terminal import console, shown

# Text nobody listed: rich tags, a closing tag alone, an emoji code, ANSI colour,
# cursor movement, a carriage return that would overwrite the line, a bell, a C1
# control, a right-to-left override, a backslash before a bracket.
HOSTILE = [
    "[render]",
    "[bold red]loud[/bold red]",
    "[/]",
    "[link=http://x]click[/link]",
    ":cat: :smiley:",
    "\x1b[31mred\x1b[0m",
    "\x1b[2J\x1b[H",
    "over\rwrite",
    "bell\x07",
    "c1\x9b31m",
    "rtl\u202eevil",
    "back\\[bold]slash",
]


def visible(text: str) -> str:
    """What a person should read for `text`: control characters written out."""
    out = []
    for ch in text:
        code = ord(ch)
        bad = (code < 0x20 and ch != "\n") or 0x7F <= code <= 0x9F or ch == "\u202e"
        out.append((f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") if bad else ch)
    return "".join(out)


def recording() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return console(file=buf, width=400, force_terminal=False, color_system=None), buf


@pytest.mark.parametrize("text", HOSTILE)
def test_shown_prints_text_as_itself(text: str) -> None:
    con, buf = recording()
    con.print(f"[cyan]x[/] {shown(text)}")
    out = buf.getvalue()
    assert out == f"x {visible(text)}\n"
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out


def test_shown_without_markup_only_makes_controls_visible() -> None:
    assert shown("[b]\x1b[1m", markup=False) == "[b]\\x1b[1m"
    assert shown("line\nnext\ttab", markup=False) == "line\nnext\\x09tab"


def test_a_resumed_run_says_which_section_changed() -> None:
    con, buf = recording()
    ui = RichUI(con)
    ui.variant_start("probe", "base", "render")
    assert "probe/base: re-rendering (only [render] changed)" in buf.getvalue()


@pytest.mark.parametrize("text", HOSTILE)
def test_every_progress_hook_prints_data_literally(text: str) -> None:
    con, buf = recording()
    ui = RichUI(con)
    ui.variant_start(text, "base", text)  # an unknown action is printed as given
    ui.step(f"left {text} alone")
    ui.variant_done(text, "base", {"epochs": text, "val_loss": 0.5})
    ui.variant_failed(text, "base", f"{text} is damaged")
    with ui:
        ui.group_start("k", text, 0, 2)
        ui.group_progress("k", 1, 1, 2, 0.25)
        ui.group_epoch("k", 1, {"loss": 0.2, "val_loss": 0.3, "seconds": 1.0})
        ui.group_end("k")
    out = buf.getvalue()
    want = visible(text)
    assert out.count(want) >= 4, out
    assert "\x1b" not in out and "\r" not in out.replace("\r\n", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_the_results_table_prints_names_and_folders_literally(text: str) -> None:
    con, buf = recording()
    row = {"recipe": text, "variant": "base", "params": 10, "epochs": 1, "loss": 0.1,
           "val_loss": 0.2, "seconds": 1.0, "folder": f"out/{text}/base"}  # fmt: skip
    con.print(results_table([row]))
    out = buf.getvalue()
    assert f"{visible(text)}/base" in out
    assert f"out/{visible(text)}/base" in out
    assert "\x1b" not in out


def test_a_progress_console_has_no_emoji_codes() -> None:
    con, buf = recording()
    RichUI(con).step(":thumbs_up: :cat:")
    assert ":thumbs_up: :cat:" in buf.getvalue()
    assert RichUI().console._emoji is False  # the default console too


# ---- through the command line --------------------------------------------------------------

FOLDER_NAMES = ["[bold]out[/bold]", "o[render]", "\x1b[31mred", "c:cat:", "tab\tname"]


@pytest.mark.parametrize("name", FOLDER_NAMES)
def test_an_error_quoting_a_folder_prints_it_literally(tmp_path: Path, name: str) -> None:
    recipe = tmp_path / "t.toml"
    recipe.write_text('name = "t"\n', encoding="utf-8")
    out = tmp_path / name
    res = run_cli("render", recipe, "--out", out)
    assert res.returncode == 2, res.stderr
    assert visible(str(out / "t")) in res.stderr.replace("\n", "")
    assert "\x1b" not in res.stderr and "Traceback" not in res.stderr


def test_an_error_quoting_a_key_prints_it_literally(tmp_path: Path) -> None:
    recipe = tmp_path / "t.toml"
    recipe.write_text('name = "t"\n["[bold red]k[/]"]\nx = 1\n', encoding="utf-8")
    res = run_cli("validate", recipe)
    assert res.returncode == 2
    assert "[bold red]k[/]: unknown key" in res.stderr.replace("\n", " ")


def test_list_prints_a_folder_source_literally(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]imgs:cat:"
    folder.mkdir()
    from PIL import Image

    for i in range(4):
        Image.new("RGBA", (8, 8), (i * 40, 0, 0, 255)).save(folder / f"{i}.png")
    recipe = tmp_path / "t.toml"
    recipe.write_text(
        f'name = "t"\n[data]\nsource = "{folder.as_posix()}"\nsize = [8, 8]\n'
        "[model]\nencoder = [{ filters = 4, kernel = 3 }]\n"
        "decoder = [{ filters = 4, kernel = 3 }]\n"
        "[render]\nsample = 1\n",
        encoding="utf-8",
    )
    res = run_cli("list", recipe)
    assert res.returncode == 0, res.stderr
    assert f"images {folder}" in res.stdout.replace("\n", "")


@pytest.mark.parametrize("name", ["[red]v\x1b[5mx", "[render]", "c:cat:\x07"])
def test_a_variant_folder_name_prints_literally_in_progress_and_table(
    tmp_path: Path, name: str
) -> None:
    """`render` of a run folder takes variant names from its folders, which may hold anything."""
    import shutil

    _, outs = make_finished_with_store(tmp_path)
    shutil.copytree(outs / "t" / "base", outs / "t" / name)
    res = run_cli("render", outs / "t", "--out", outs)
    assert res.returncode == 0, res.stderr
    shown_name = visible(f"t/{name}")
    assert f"{shown_name}: re-rendering (only [render] changed)" in res.stderr
    assert f"{shown_name}: done" in res.stderr
    assert shown_name in res.stdout  # the results table
    assert "\x1b" not in res.stdout + res.stderr and "\x07" not in res.stdout + res.stderr
