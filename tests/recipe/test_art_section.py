"""The [art] table and render.palette in a recipe: they load, and bad values are refused up front.

Recipe text only (and one run through the command line that must exit 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from punkforge.errors import RecipeError
from punkforge.recipe.loader import loads_recipe


def recipe(text: str) -> object:
    return loads_recipe('name = "t"\n' + text).variants[0].recipe


def test_art_fields_load_and_round_trip() -> None:
    r = recipe(
        '[render]\npalette = ["#ff0000", "#00ff00"]\n[art]\nmorph = [[9000, 9001]]\n'
        'feedback = 3\nbend = [{ layer = "decoder.1", op = "scale", value = 1.5 }]\n'
    )
    assert r.render.palette == ("#ff0000", "#00ff00")  # type: ignore[attr-defined]
    assert r.art.morph == ((9000, 9001),) and r.art.bend[0].value == 1.5  # type: ignore[attr-defined]


NONSQUARE = (
    "[model]\nencoder = [{ filters = 4, kernel = [3, 5] }, { filters = 4 }, { filters = 4 }]\n"
    "decoder = [{ filters = 4 }, { filters = 4 }, { filters = 4, kernel = [3, 5] }]\n"
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[art]\nmorph = [[9000, 12000]]', ["art.morph[0]", "12000", "9000 to 9999"]),
        ('[data]\ntest_limit = 10\n[render]\nsample = 4\n[art]\nmorph = [[9000, 9010]]', ["9000 to 9009"]),  # noqa: E501
        ('[art]\nbend = [{ layer = "decoder.7", op = "invert" }]', ["decoder.7", "encoder.0 to encoder.2"]),  # noqa: E501
        ('[art]\nbend = [{ layer = "encoder.0", op = "ablate", channels = [40] }]', ["32 filters"]),
        ('[art]\nbend = [{ layer = "encoder.0", op = "scale" }]', ["needs value"]),
        ('[art]\nbend = [{ layer = "encoder.0", op = "rotate", value = 45 }]', ["90, 180 or 270"]),
        (NONSQUARE + '[art]\nbend = [{ layer = "encoder.2", op = "rotate", value = 90 }]', ["18x16", "square"]),  # noqa: E501
        ("[data]\ntest_limit = 1000\n[render]\nsample = 1000\n[art]\nfeedback = 64", ["art.feedback", "GiB", "limit"]),  # noqa: E501
        ('[render]\npalette = "sauce"', ['"source"']),
        ('[render]\npalette = ["#ff00zz"]', ["render.palette[0]"]),
    ],
)  # fmt: skip
def test_bad_art_is_refused_up_front(text: str, words: list[str]) -> None:
    with pytest.raises(RecipeError) as err:
        recipe(text)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_bad_morph_id_exits_2_from_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('name = "t"\n[art]\nmorph = [[9000, 123]]\n')
    res = run_cli("run", path, "--out", tmp_path / "o")
    assert res.returncode == 2 and "123" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()
