"""The latent space as art: the map poster's grid assignment, four-punk grids, their recipes.

Fast: synthetic codes and images, no TensorFlow. The assignment puts every
test punk on exactly one cell, is the same for the same points, and is
optimal (checked by brute force on a tiny case); the bilinear grid's corners
are the four codes; the map poster places tiles where the assignment says;
bad `[art] map` and `grid` values are refused up front, exit 2, nothing
written. The real-network checks live in test_latent_run.py (slow).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from punkforge import files
from punkforge.errors import RecipeError, RunError
from punkforge.gallery.figures import extra_figures
from punkforge.recipe.art_section import MapOptions, map_options
from punkforge.recipe.limits import MAX_MAP_PUNKS, Problem, check_latent_budgets, grid_scale
from punkforge.recipe.loader import loads_recipe
from punkforge.recipe.sections import Recipe
from punkforge.rendering.latent_map import (
    assign_cells,
    cell_centres,
    draw_latent_art,
    make_grid_image,
    make_map_poster,
    map_config,
    normalized,
)
from punkforge.rendering.poster import poster_geometry
from punkforge.training.latent import bilinear_codes, flat_codes, project


def recipe(text: str) -> Recipe:
    return loads_recipe('name = "t"\n' + text).variants[0].recipe


def cost(xy: np.ndarray, cells: np.ndarray, cols: int, rows: int) -> float:
    d = normalized(xy) - cell_centres(cols, rows)[cells]
    return float((d**2).sum())


# ---------------------------------------------------------------- the assignment


@pytest.mark.parametrize(("n", "cols", "rows"), [(10, 4, 3), (12, 4, 3), (1, 1, 1), (37, 7, 6)])
def test_every_punk_lands_on_exactly_one_cell(n: int, cols: int, rows: int) -> None:
    xy = np.random.default_rng(n).normal(size=(n, 2))
    cells = assign_cells(xy, cols, rows)
    assert cells.shape == (n,) and cells.dtype.kind == "i"
    assert len(set(cells.tolist())) == n  # no two punks share a cell
    assert cells.min() >= 0 and cells.max() < cols * rows


def test_same_points_same_cells_and_points_that_are_a_grid_stay_put() -> None:
    xy = np.random.default_rng(1).normal(size=(30, 2))
    assert np.array_equal(assign_cells(xy, 6, 5), assign_cells(xy.copy(), 6, 5))
    # points already on a shuffled 4 x 3 lattice go to their own cells
    order = np.random.default_rng(2).permutation(12)
    lattice = cell_centres(4, 3)[order] * [4, 3] * 10.0 - 7.0  # any scale and offset
    assert np.array_equal(assign_cells(lattice, 4, 3), order)


def test_the_assignment_is_optimal_by_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        xy = rng.uniform(size=(5, 2))
        cells = assign_cells(xy, 3, 2)
        best = min(cost(xy, np.array(p), 3, 2) for p in itertools.permutations(range(6), 5))
        assert cost(xy, cells, 3, 2) == pytest.approx(best)


def test_too_many_points_for_the_grid_is_an_error() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        assign_cells(np.zeros((7, 2)), 3, 2)


def test_normalized_stretches_each_axis_and_centres_a_flat_one() -> None:
    out = normalized(np.array([[2.0, 5.0], [4.0, 5.0], [3.0, 5.0]]))
    assert np.allclose(out, [[0, 0.5], [1, 0.5], [0.5, 0.5]])


# ---------------------------------------------------------------- the projection


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_same_seed_same_layout(method: str) -> None:
    codes = np.random.default_rng(4).normal(size=(40, 12))
    a = project(codes, method, seed=7)
    assert a.shape == (40, 2) and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, project(codes.copy(), method, seed=7))


def test_another_seed_another_tsne_layout() -> None:
    codes = np.random.default_rng(4).normal(size=(40, 12))
    assert not np.allclose(project(codes, "tsne", seed=1), project(codes, "tsne", seed=2))


def test_tsne_keeps_clusters_apart() -> None:
    rng = np.random.default_rng(5)
    codes = np.concatenate([rng.normal(0, 0.1, (15, 8)), rng.normal(5, 0.1, (15, 8))])
    xy = project(codes, "tsne", seed=0)
    inside = np.linalg.norm(xy[:15] - xy[:15].mean(0), axis=1).max()
    assert np.linalg.norm(xy[:15].mean(0) - xy[15:].mean(0)) > 2 * inside


def test_tiny_or_constant_test_sets_lie_on_a_line() -> None:
    assert np.array_equal(project(np.ones((2, 4)), "tsne", 0), [[0, 0], [1, 0]])
    assert project(np.ones((9, 4)), "pca", 0).shape == (9, 2)


def test_flat_codes_are_one_row_per_punk() -> None:
    z = np.arange(2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2)
    assert flat_codes(z).shape == (2, 18) and flat_codes(z)[1, 0] == 18


# ---------------------------------------------------------------- the grid


def test_bilinear_corners_are_the_four_codes_and_the_centre_their_mean() -> None:
    corners = np.random.default_rng(6).normal(size=(4, 3, 3, 2)).astype(np.float32)
    mix = bilinear_codes(corners, 5)
    assert mix.shape == (25, 3, 3, 2)
    for cell, code in zip((0, 4, 20, 24), corners, strict=True):
        assert np.array_equal(mix[cell], code)  # exactly: the other weights are 0
    assert np.allclose(mix[12], corners.mean(0), atol=1e-6)
    assert np.allclose(mix[2], (corners[0] + corners[1]) / 2, atol=1e-6)  # top edge: a to b
    assert np.allclose(mix[10], (corners[0] + corners[2]) / 2, atol=1e-6)  # left edge: a to c


def test_grid_image_is_crisp_and_in_order() -> None:
    tiles = np.zeros((9, 4, 4, 1), np.uint8)
    tiles[:, :, :, 0] = (np.arange(9) * 20 + 10)[:, None, None]
    sheet = make_grid_image(tiles, 3, "#ffffff", 5)
    gap = 5  # gap_for((4, 4), 1) = 1 source px, times the scale
    assert sheet.shape == (3 * 20 + 4 * gap, 3 * 20 + 4 * gap, 3)
    for i in range(9):
        r, c = divmod(i, 3)
        y, x = gap + r * (20 + gap), gap + c * (20 + gap)
        assert (sheet[y : y + 20, x : x + 20] == i * 20 + 10).all()
    assert (sheet[:gap] == 255).all()


def test_grid_scale_is_whole_and_about_960_px() -> None:
    assert grid_scale(8, (24, 24)) == 4  # 8 * 25 * 4 = 800 px
    assert grid_scale(32, (256, 256)) == 1
    assert 8 * 25 * grid_scale(8, (24, 24)) <= 960


# ---------------------------------------------------------------- the map poster


def map_poster_cfg(paper: str = "4x6in", dpi: int = 60) -> object:
    r = recipe(
        f'[data]\ntest_limit = 11\n[render]\nsample = 4\n[render.poster]\npaper = "{paper}"\n'
        f'dpi = {dpi}\nmargin = "0.2in"\n'
    )
    return map_config(r.render.poster, "devolved")


def test_map_poster_puts_each_tile_in_its_assigned_cell() -> None:
    n = 11  # not a product: a full grid with empty cells
    devolved = np.zeros((n, 24, 24, 3), np.uint8)
    devolved[..., 0] = (np.arange(n) * 20 + 30)[:, None, None]
    xy = np.random.default_rng(8).normal(size=(n, 2))
    cfg = map_poster_cfg()
    page = make_map_poster(devolved, devolved, xy, cfg, "map")  # type: ignore[arg-type]
    g = poster_geometry(n, cfg, (24, 24))  # type: ignore[arg-type]
    assert g.cols * g.rows > n
    cells = assign_cells(xy, g.cols, g.rows)
    for i, cell in enumerate(cells):
        x, y = g.tile_origin(int(cell))
        assert (page[y : y + g.tile_height, x : x + g.tile_width, 0] == i * 20 + 30).all()
    for cell in set(range(g.cols * g.rows)) - set(cells.tolist()):
        x, y = g.tile_origin(cell)
        assert (page[y : y + g.tile_height, x : x + g.tile_width] == 255).all()  # background


def test_map_config_always_makes_a_png() -> None:
    r = recipe('[render.poster]\nformats = ["pdf", "tiff"]\nlayout = "pairs"\n')
    cfg = map_config(r.render.poster, "original")
    assert cfg.formats[0] == "png" and set(cfg.formats) == {"png", "pdf", "tiff"}
    assert cfg.layout == "original"


def write_variant(folder: Path, text: str, *, with_map: bool = True) -> tuple[object, dict]:
    """A variant folder with synthetic devolved.npz and art.npz (no network)."""
    from punkforge.recipe.sections import Variant

    r = recipe(text)
    n = r.data.test_limit
    rng = np.random.default_rng(9)
    dev = {
        "devolved": rng.integers(0, 256, (n, 24, 24, 1), dtype=np.uint8),
        "originals": rng.integers(0, 256, (n, 24, 24, 1), dtype=np.uint8),
        "ids": np.arange(9000, 9000 + n),
    }
    art = {
        "source_colors": np.zeros((2, 3), np.uint8),
        "grid": rng.integers(
            0, 256, (r.art.grid_size**2 if r.art.grid else 0, 24, 24, 1), dtype=np.uint8
        ),
        "grid_ids": np.array([str(x) for x in r.art.grid], dtype=str),
    }
    if with_map:
        art["map_xy"] = rng.normal(size=(n if r.art.map else 0, 2)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    files.save_npz(folder / "art.npz", **{k: np.asarray(v) for k, v in art.items()})
    return Variant("base", r, "<test>"), dev


MAP_RECIPE = (
    '[data]\ntest_limit = 20\n[render]\nsample = 4\n[render.poster]\npaper = "4x6in"\ndpi = 60\n'
    'formats = ["png", "pdf"]\n[art]\nmap = true\ngrid = [9001, 9002, 9003, 9019]\ngrid_size = 3\n'
)


def test_draw_latent_art_writes_the_map_and_the_grid(tmp_path: Path) -> None:
    from PIL import Image

    v, dev = write_variant(tmp_path, MAP_RECIPE)
    draw_latent_art(v, tmp_path, dev)  # type: ignore[arg-type]
    assert (tmp_path / "map.png").is_file() and (tmp_path / "map.pdf").is_file()
    assert not (tmp_path / "map.tiff").exists()
    with Image.open(tmp_path / "map.png") as im:
        assert round(im.info["dpi"][0]) == 60 and "icc_profile" in im.info
    grid = tmp_path / "grid-9001-9002-9003-9019.png"
    with Image.open(grid) as im:
        scale = grid_scale(3, (24, 24))
        assert im.size == (3 * 24 * scale + 4 * scale, 3 * 24 * scale + 4 * scale)


def test_map_without_its_arrays_says_run_again(tmp_path: Path) -> None:
    v, dev = write_variant(tmp_path, MAP_RECIPE, with_map=False)
    with pytest.raises(RunError, match="punkforge run"):
        draw_latent_art(v, tmp_path, dev)  # type: ignore[arg-type]


def test_nothing_drawn_without_map_or_grid(tmp_path: Path) -> None:
    v, dev = write_variant(tmp_path, "[data]\ntest_limit = 8\n[render]\nsample = 4\n")
    draw_latent_art(v, tmp_path, dev)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.npz"]


def test_map_and_grid_are_figures_on_the_gallery_card(tmp_path: Path) -> None:
    for name in ("map.png", "map.pdf", "grid-9000-9001-9002-9003.png", "notes.png"):
        (tmp_path / name).write_bytes(b"x")
    entry = {"size": 1, "sha256": "0" * 64}
    listed = {n: entry for n in ("map.png", "map.pdf", "grid-9000-9001-9002-9003.png")}
    manifest = {"variant": "base", "recipe_sha": None, "training_key": None, "summary": {}}
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "files": listed}))
    figs = {f.label: f for f in extra_figures(tmp_path)}
    assert set(figs) == {"map", "grid-9000-9001-9002-9003"}
    assert figs["map"].path == "map.png" and figs["map"].also == ("map.pdf",)


# ---------------------------------------------------------------- recipes


def test_map_and_grid_defaults_and_options() -> None:
    r = recipe("")
    assert r.art.map is False and map_options(r.art) is None and r.art.grid == ()
    assert r.art.grid_size == 8
    assert map_options(recipe("[art]\nmap = true").art) == MapOptions()
    table = '{ tiles = "original", projection = "pca", seed = 3 }'
    opts = map_options(recipe(f"[art]\nmap = {table}").art)
    assert opts == MapOptions(tiles="original", projection="pca", seed=3)
    r = recipe('[data]\nsource = "x"\n[art]\ngrid = ["a", "b", "c", "d"]\ngrid_size = 4')
    assert r.art.grid == ("a", "b", "c", "d") and r.art.grid_size == 4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[art]\ngrid = [9000, 9001, 9002, 12000]", ["art.grid", "12000", "9000 to 9999"]),
        ("[data]\ntest_limit = 10\n[render]\nsample = 4\n[art]\ngrid = [9000, 9001, 9002, 9010]",
         ["art.grid", "9000 to 9009", "9010"]),
        ("[art]\ngrid = [9000, 9001]", ["art.grid", "four test ids", "[9000, 9001]"]),
        ("[art]\ngrid = [9000, 9001, 9002, true]", ["art.grid[3]", "a test id"]),
        ('[data]\nsource = "x"\n[art]\ngrid = [1, 2, 3, 4]', ["art.grid", "file stem"]),
        ("[art]\ngrid_size = 1", ["art.grid_size", "from 2 to 32"]),
        ("[art]\nmap = 1", ["art.map", "true, false or a table"]),
        ('[art]\nmap = { projection = "umap" }', ["art.map.projection", '"tsne", "pca"']),
        ('[art]\nmap = { tile = "original" }', ["art.map.tile", "tiles"]),
        ('[render.poster]\npaper = "2x3in"\ndpi = 36\n[art]\nmap = true', ["art.map", "do not fit"]),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_map_and_grid_are_refused_up_front(text: str, words: list[str]) -> None:
    with pytest.raises(RecipeError) as err:
        recipe(text)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_budgets_name_the_key() -> None:
    r = recipe("[art]\nmap = true")
    with pytest.raises(Problem) as err:
        check_latent_budgets(r, (24, 24), MAX_MAP_PUNKS + 1)
    assert err.value.key == "art.map" and str(MAX_MAP_PUNKS) in str(err.value)
    check_latent_budgets(r, (24, 24), 1000)


def test_a_bad_grid_id_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('name = "t"\n[art]\ngrid = [9000, 9001, 9002, 123]\n')
    res = run_cli("run", path, "--out", tmp_path / "o", timeout=120)
    assert res.returncode == 2, res.stderr
    assert "art.grid" in res.stderr and "123" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()
