"""Every file punkforge reads back is untrusted input: a wrong shape is damage, never a traceback.

A finished variant (synthetic arrays, no training) with a training store
beside it; then each record punkforge reads (manifest.json, summary.json,
state.json, history.csv, the image-folder cache's meta) is replaced by
wrong-shape content nobody listed one by one: other JSON types, each key
missing, each key's value of every wrong type, huge numbers, extra keys,
torn text, bytes that are not UTF-8, deep nesting. Each case goes through
`run --dry-run`, `render` (the API) and, for a sample, the command line:
the outcome is a result or one PunkforgeError paragraph, never another
exception; damaged records are redone (summary.json) or named, and nothing
already made is changed by a refusal.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make_finished_with_store, run_cli

import punkforge
from punkforge import files, records
from punkforge.errors import PunkforgeError
from punkforge.pipeline import runner
from punkforge.recipe.loader import read_recipe_file
from punkforge.training import history

# Values of every wrong JSON type, and numbers too big for anything real.
WRONG_VALUES: list[Any] = [None, [], [1, 2], "text", -1, 10**40, 1e300, {"a": 1}, True]
WRONG_DOCUMENTS: list[tuple[str, bytes]] = [
    ("list", b"[1, 2]"),
    ("null", b"null"),
    ("string", b'"text"'),
    ("number", b"1e999"),
    ("true", b"true"),
    ("empty-object", b"{}"),
    ("empty-file", b""),
    ("torn", b'{"variant": "base", "files": {"pos'),
    ("not-utf8", b'\xff\xfe{"a": 1}'),
    ("deep", b"[" * 20000 + b"]" * 20000),
    ("nan", b'{"epoch": NaN}'),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_finished_with_store(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def finished(pristine: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the finished run for one case."""
    recipe, outs = pristine
    shutil.copy(recipe, tmp_path / recipe.name)
    shutil.copytree(outs, tmp_path / "outs", symlinks=True)
    return tmp_path / recipe.name, tmp_path / "outs"


def record_path(outs: Path, which: str) -> Path:
    t = outs / "t"
    if which == "manifest":
        return t / "base" / "manifest.json"
    if which == "summary":
        return t / "summary.json"
    if which == "state":
        (store,) = (t / ".train").iterdir()
        return store / "state.json"
    raise ValueError(which)


def wrong_shapes(original: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """Every wrong shape of one JSON record, named for the test id."""
    yield from WRONG_DOCUMENTS
    yield "extra-keys", json.dumps({**original, "zzz": [1, {"b": None}]}).encode()
    for key in original:
        yield f"no-{key}", json.dumps({k: v for k, v in original.items() if k != key}).encode()
        for i, bad in enumerate(WRONG_VALUES):
            yield f"{key}={i}", json.dumps({**original, key: bad}).encode()
        inner = original[key]
        if isinstance(inner, dict) and inner:  # one level down: the first entry's value
            first = next(iter(inner))
            for i, bad in enumerate(WRONG_VALUES):
                yield (
                    f"{key}.{first}={i}",
                    json.dumps({**original, key: {**inner, first: bad}}).encode(),
                )


def _cases(which: str) -> list[tuple[str, bytes]]:
    # the shapes are made from a real record of the same kind
    return list(wrong_shapes(_PRISTINE_RECORDS[which]))


def _sample_records() -> dict[str, dict[str, Any]]:
    """Real records (built once at import, in a temporary folder) to derive wrong shapes from."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        _, outs = make_finished_with_store(Path(tmp))
        return {
            w: json.loads(record_path(outs, w).read_text())
            for w in ("manifest", "summary", "state")
        }


_PRISTINE_RECORDS = _sample_records()
CASES = [(w, name, data) for w in ("manifest", "summary", "state") for name, data in _cases(w)]
IDS = [f"{w}-{name}" for w, name, _ in CASES]


def _outcome(fn: Any) -> str | None:
    """None when `fn` returned, the message of a PunkforgeError; anything else fails the test."""
    try:
        fn()
    except PunkforgeError as err:
        message = str(err)
        assert message and "Traceback" not in message
        return message
    return None


def _tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name not in skip
    }


@pytest.mark.parametrize(("which", "name", "data"), CASES, ids=IDS)
def test_a_wrong_shape_record_plans_and_renders_without_a_traceback(
    finished: tuple[Path, Path], which: str, name: str, data: bytes
) -> None:
    recipe, outs = finished
    path = record_path(outs, which)
    path.write_bytes(data)
    rf = read_recipe_file(recipe, ())
    # --dry-run: reads only, whatever the records hold
    plans = runner.dry_run(rf, outs)
    assert plans[0][1].action in ("skip", "render", "devolve", "train")
    if which == "manifest" and name in dict(WRONG_DOCUMENTS):
        assert plans[0][1].action != "skip", "a damaged manifest is never up to date"
        assert plans[0][1].why == "manifest.json is damaged"  # what --dry-run says
    # render (the API): a result, or one paragraph naming the problem
    variant_before = _tree(outs / "t" / "base")
    message = _outcome(lambda: punkforge.render(recipe, out=outs))
    if message is not None:
        assert which == "manifest", message  # only a variant's own manifest can stop render
        assert "manifest.json" in message and "punkforge run" in message
        assert _tree(outs / "t" / "base") == variant_before, "a refusal changes nothing"
    else:
        summary = files.read_record(outs / "t" / "summary.json", records.Summary)
        assert summary is not None and summary.variants, "summary.json is written again"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"epoch,loss,val_loss,seconds\n",
        b"epoch,loss\n1,0.5\n",
        b"loss,epoch,seconds,val_loss,extra\n0.1,1,2,0.2,x\n",
        b"epoch,loss,val_loss,seconds\n1,1e999,-1e999,nan\n2,1e308,1e308,1e308\n",
        b"epoch,loss,val_loss,seconds\n99999999999999999999999,0.1,0.1,1\n",
        b"epoch,loss,val_loss,seconds\n-5,0.1,0.1,1\n0,0.2,0.2,1\n",
        b"epoch,loss,val_loss,seconds\nx,y,z,w\n[1],{},null,true\n",
        b"\xff\xfe\x00binary",
        b'"epoch","loss"\n"1\n',
        b"epoch,loss,val_loss,seconds\n" + b"1,0.1,0.1,1\n" * 3,
    ],
    ids=lambda c: repr(c[:24]),
)
@pytest.mark.parametrize("recorded", [False, True], ids=["damaged", "recorded"])
def test_a_wrong_shape_history_csv_is_never_a_traceback(
    finished: tuple[Path, Path], content: bytes, recorded: bool
) -> None:
    """history.csv replaced: damaged (its record no longer matches), or even recorded as-is."""
    recipe, outs = finished
    folder = outs / "t" / "base"
    (folder / "history.csv").write_bytes(content)
    if recorded:  # the hardest case: the manifest vouches for the odd file
        m = json.loads((folder / "manifest.json").read_text())
        m["files"].update(files.file_entries(folder, [folder / "history.csv"]))
        (folder / "manifest.json").write_text(json.dumps(m))
    rf = read_recipe_file(recipe, ())
    (plan,) = runner.dry_run(rf, outs)
    assert plan[1].action == ("skip" if recorded else "devolve")
    before = _tree(folder)
    message = _outcome(lambda: punkforge.render(recipe, out=outs))
    if recorded:
        assert message is None
        rows = history.read_history(folder)
        assert all(isinstance(r["epoch"], int) for r in rows)
        assert all(isinstance(r[k], float) for r in rows for k in ("loss", "val_loss", "seconds"))
    else:
        assert message is not None and "history.csv" in message and "Fix" in message
        assert _tree(folder) == before, "a refusal changes nothing"


@pytest.mark.parametrize(
    "meta",
    [
        "[1, 2]",
        "null",
        '{"signature": "x", "content": 1}',
        '{"content": "c"}',
        "{",
        '{"signature": [[1, 2]], "content": "c"}',
    ],
)
def test_a_wrong_shape_image_cache_is_decoded_again(tmp_path: Path, meta: str) -> None:
    from PIL import Image

    from punkforge.data import folder_images

    src = tmp_path / "imgs"
    src.mkdir()
    for i in range(4):
        Image.new("RGBA", (8, 8), (i * 50, 10, 10, 255)).save(src / f"{i}.png")
    recipe = tmp_path / "t.toml"
    recipe.write_text(
        f'name = "t"\n[data]\nsource = "{src.as_posix()}"\nsize = [8, 8]\n', encoding="utf-8"
    )
    d = read_recipe_file(recipe, ()).variants[0].recipe.data
    cache = tmp_path / "cache"
    first = folder_images.read_folder(d, cache)
    folder_images.save_cache(first)
    (npz,) = cache.glob("images-*.npz")
    z = dict(np.load(npz))
    files.save_npz(npz, **{**z, "meta": np.array(meta)})
    again = folder_images.read_folder(d, cache)
    assert again.cache is not None, "the damaged cache is not used: the folder is decoded again"
    assert np.array_equal(again.rgba, first.rgba)


def test_records_reject_every_wrong_document() -> None:
    for model in (records.Manifest, records.StoreRecord, records.CacheMeta):
        for _, data in WRONG_DOCUMENTS:
            with pytest.raises(records.Damaged, match="is damaged"):
                records.parse(data, model, "x.json")
    # huge numbers are damage, not a loop of 10**40 epochs
    state = {**_PRISTINE_RECORDS["state"], "epoch": 10**40}
    with pytest.raises(records.Damaged):
        records.parse(json.dumps(state), records.StoreRecord, "state.json")


CLI_SHAPES = [b"[1, 2]", b"null", b"\xff"]


@pytest.mark.parametrize("data", CLI_SHAPES, ids=repr)
@pytest.mark.parametrize("which", ["summary", "manifest", "state"])
def test_the_command_line_never_prints_a_traceback(
    finished: tuple[Path, Path], which: str, data: bytes
) -> None:
    recipe, outs = finished
    record_path(outs, which).write_bytes(data)
    for args in (["render", recipe], ["render", outs / "t"], ["run", "--dry-run", recipe]):
        res = run_cli(*args, "--out", outs)
        assert "Traceback" not in res.stderr, res.stderr
        assert res.returncode in (0, 1, 2)
        if res.returncode:  # only a variant's own manifest stops a command, and it is named
            assert which == "manifest" and "manifest.json" in res.stderr, res.stderr
    if which == "summary":  # the last render wrote it again
        assert files.read_record(record_path(outs, "summary"), records.Summary) is not None
