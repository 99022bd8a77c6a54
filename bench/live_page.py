#!/usr/bin/env python3
"""What the live page costs per epoch: the default recipe trained with and without it.

One process trains the default recipe (recipes/devolved-punks.toml: grey,
the post's network, 9000 punks, batch 32, sample 64) through the worker's
event stream, as `punkforge run` does in-process, and hands every event to the
driver's progress hooks. Epochs alternate: odd epochs go through a
`LiveGallery` (which rewrites a real `index.html` in a temporary output tree:
batch heartbeats, the sample grid, the epoch), even epochs through the null
display alone; `history.csv` is rewritten every epoch in both, as the driver
does. It prints the median epoch time of each (from one epoch's end to the
next, first epoch excluded), the time spent inside the live page's hooks per
epoch (timed around each call, so it does not drown in the epochs' noise) and
that as a share of the median epoch.

    python bench/live_page.py --epochs 9
    python bench/live_page.py --epochs 5 --set data.train_limit=2000   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from punkforge import tree_guard  # noqa: E402
from punkforge.data.cpunks import load_punks  # noqa: E402
from punkforge.pipeline.live_gallery import LiveGallery  # noqa: E402
from punkforge.pipeline.progress import NullUI  # noqa: E402
from punkforge.recipe.loader import read_recipe_file  # noqa: E402
from punkforge.training.history import write_history  # noqa: E402
from punkforge.training.store import EpochResult, split, training_key  # noqa: E402
from punkforge.training.worker import GroupJob, Progress, TrainData, group_events  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=9)
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "devolved-punks.toml"))
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()
    rf = read_recipe_file(args.recipe, [f"train.epochs={args.epochs}", *args.sets])
    v = rf.variants[0]
    r = v.recipe
    punks = load_punks(r.data)
    at = split(len(punks.train), r.train.validation_split)
    data = TrainData(punks.train[:at], punks.train[at:], punks.test[: r.render.sample])
    key = training_key(r)
    job = GroupJob(key, [v.name], r, args.epochs, r.render.sample)

    with tempfile.TemporaryDirectory() as tmp, tree_guard.output_tree(Path(tmp)):
        out = Path(tmp)
        (out / v.name).mkdir()
        null = NullUI()
        live = LiveGallery(null, rf, out, [v], {v.name: "train"})
        live.start()
        live.group_start(key, v.name, 0, args.epochs)
        history: list[dict[str, float]] = []
        epoch_s: dict[bool, list[float]] = {True: [], False: []}
        hooks_s: list[float] = []
        mark, spent = time.perf_counter(), 0.0
        for item in group_events(job, data):
            on = isinstance(item, Progress | EpochResult) and item_epoch(item) % 2 == 1
            ui = live if on else null
            t0 = time.perf_counter()
            if isinstance(item, Progress):
                ui.group_progress(key, item.epoch, item.batch, item.batches, item.loss)
            elif isinstance(item, EpochResult):
                history.append(item.row)
                write_history(out / v.name, history)  # the driver's commit, both ways
                t0 = time.perf_counter()
                ui.group_sample(key, item.epoch, item.snapshot)
                ui.group_epoch(key, item.epoch, item.row)
            else:
                raise SystemExit(f"training failed: {item}")
            if on:
                spent += time.perf_counter() - t0
            if isinstance(item, EpochResult):
                now = time.perf_counter()
                if item.epoch > 1:  # the first epoch compiles the graph
                    epoch_s[on].append(now - mark)
                    if on:
                        hooks_s.append(spent)
                print(f"epoch {item.epoch} ({'live' if on else 'null'}): {now - mark:.1f} s")
                mark, spent = now, 0.0
        page = (out / "index.html").stat().st_size

    with_s, without_s = statistics.median(epoch_s[True]), statistics.median(epoch_s[False])
    hook = statistics.median(hooks_s)
    print(f"recipe {rf.path} ({', '.join(args.sets) or 'defaults'}), {args.epochs} epochs")
    print(f"median epoch with the live page:    {with_s:.3f} s  ({len(epoch_s[True])} epochs)")
    print(f"median epoch without the live page: {without_s:.3f} s  ({len(epoch_s[False])} epochs)")
    print(f"live page hooks per epoch (median): {hook * 1000:.1f} ms = "
          f"{100 * hook / without_s:.2f}% of an epoch; page {page / 1000:.0f} kB")  # fmt: skip


def item_epoch(item: Progress | EpochResult) -> int:
    return item.epoch


if __name__ == "__main__":
    main()
