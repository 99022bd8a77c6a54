"""Loading a folder of small PNGs: cold (decode every file) and from the cache.

Generates N small RGBA PNGs (default 10,000 of 24x24, like CPUNKS) into a
temporary folder, then times, each in a fresh process so nothing is
remembered in memory:
  - cold: no cache yet; every file is read, hashed, decoded and fitted, and the
    cache is written;
  - cached: the same folder again; only a stat of every file and one .npz read;
  - fingerprint: the content fingerprint alone (what the training key reads);
  - headers: what `validate` read before 0.3 (every image's header only);
  - validate: what `punkforge validate` does now, every image decoded as `run`
    decodes it (and dropped), so it refuses what `run` refuses.
Prints the medians of --reps runs.

    python bench/load_speed.py                 # the real figures (a quiet machine)
    python bench/load_speed.py --count 300 --reps 1   # a quick check
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from punkforge.recipe.sections import DataConfig
from punkforge.data import folder_images as images
cfg = DataConfig(source=sys.argv[1], color="rgba")
mode, cache = sys.argv[2], Path(sys.argv[3])
t1 = time.perf_counter()
if mode == "fingerprint":
    images.fingerprint(cfg)
    n = None
elif mode == "headers":
    n = len(images.inspect(cfg).files)
elif mode == "validate":
    n = len(images.verify_folder(cfg).files)
else:
    p = images.load_folder(cfg, 0, cache)
    n = len(p.train) + len(p.test)
print(json.dumps({"seconds": time.perf_counter() - t1, "import": t1 - t0, "n": n}))
"""


def make_pngs(folder: Path, count: int, h: int, w: int) -> int:
    rng = np.random.default_rng(0)
    for i in range(count):
        a = np.zeros((h, w, 4), np.uint8)
        a[4:-4, 4:-4] = rng.integers(0, 256, 4, dtype=np.uint8)  # a few colours, like pixel art
        a[4:-4, 4:-4, 3] = 255
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(a).save(sub / f"img-{i:05d}.png")
    return sum(p.stat().st_size for p in folder.rglob("*.png"))


def child(folder: Path, mode: str, cache: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), mode, str(cache)],
        capture_output=True, text=True, check=True, env={"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, nargs=2, default=(24, 24), metavar=("H", "W"))
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="punkforge-load-"))
    try:
        folder = tmp / "images"
        total = make_pngs(folder, args.count, *args.size)
        print(f"{args.count:,} PNGs of {args.size[0]}x{args.size[1]}, {total / 1e6:.1f} MB")
        times: dict[str, list[float]] = {
            "cold": [], "cached": [], "fingerprint": [], "headers": [], "validate": []
        }  # fmt: skip
        for _ in range(args.reps):
            cache = tmp / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            cold = child(folder, "cold", cache)
            assert cold["n"] == args.count
            times["cold"].append(cold["seconds"])
            times["cached"].append(child(folder, "cached", cache)["seconds"])
            times["fingerprint"].append(child(folder, "fingerprint", cache)["seconds"])
            for mode in ("headers", "validate"):
                res = child(folder, mode, cache)
                assert res["n"] == args.count
                times[mode].append(res["seconds"])
        for mode, ts in times.items():
            med = statistics.median(ts)
            print(f"{mode:>12}: {med:7.3f} s  ({args.count / med:,.0f} images/s; runs {ts})")
        cold, cached = statistics.median(times["cold"]), statistics.median(times["cached"])
        print(f"cache speed-up: {cold / cached:.1f}x")
        heads, full = statistics.median(times["headers"]), statistics.median(times["validate"])
        print(f"validate decoding every image: {full:.3f} s, {full - heads:+.3f} s over headers")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
