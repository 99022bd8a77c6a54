"""Each hand-written piece of punkforge's render stage against the library that could replace it.

Run through `bench/render_speed.py --parts`. Everything runs in this one
process on synthetic punk-like art (few flat colours per punk, upscaled like
the real thing); the two sides of each comparison alternate A B B A ..., and
medians are printed with their ratio, the file sizes and whether the pixels
match. Pieces:

  tiff     punkforge's TIFF (tifffile) vs Pillow's TIFF writer, both Deflate
  png      encode.write_png (Up filter, level 3) vs Pillow's PNG writer, same level
  series   200 series PNGs: palettize + write_png vs Pillow (quantize + save)
  pdf      pdf.write_pdf vs Pillow's PDF writer (which stores JPEG: the error shows it)
  palette  gif._shared_palette (exact table) vs Pillow's quantize of the same frames
  font     font.draw_text vs Pillow's default font at the same cap height
  plot     plot.make_loss_plot vs matplotlib (a fresh process, `--mpl-python`; skipped
           if matplotlib is not installed there)
"""

from __future__ import annotations

import io
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from punkforge.recipe.sections import GifConfig, PosterConfig  # noqa: E402
from punkforge.rendering import animation as gif  # noqa: E402
from punkforge.rendering import loss_plot as plot  # noqa: E402
from punkforge.rendering import pdf_writer as pdf  # noqa: E402
from punkforge.rendering import pixel_font as font  # noqa: E402
from punkforge.rendering import png_codec as encode  # noqa: E402
from punkforge.rendering import tiff_writer as tiff  # noqa: E402
from punkforge.rendering.animation import make_gif_frames  # noqa: E402
from punkforge.rendering.poster import make_poster  # noqa: E402

PLOT_MPL = r"""
import sys, time
t0 = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
t1 = time.perf_counter()
e = list(range(1, 21)); loss = [1 / k for k in e]; val = [1.1 / k for k in e]
fig, ax = plt.subplots(figsize=(12, 8), dpi=100)
ax.plot(e, loss, "o-", label="loss"); ax.plot(e, val, "s-", label="val_loss")
ax.set_xlabel("epoch"); ax.set_ylabel("loss"); ax.set_title("base"); ax.legend(); ax.grid(True)
fig.savefig(sys.argv[1]); t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def punk_art(n: int, channels: int, seed: int = 0) -> np.ndarray:
    """(n, 24, 24, channels) uint8 punks of 6 flat colours each."""
    rng = np.random.default_rng(seed)
    pal = rng.integers(0, 256, (n, 6, channels), dtype=np.uint8)
    return pal[np.arange(n)[:, None, None], rng.integers(0, 6, (n, 24, 24))]


def alternate(sides: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """Median seconds of each side, run A B, B A, A B ... `reps` times each."""
    times: dict[str, list[float]] = {k: [] for k in sides}
    names = list(sides)
    for r in range(reps):
        for k in names if r % 2 == 0 else names[::-1]:
            t0 = time.perf_counter()
            sides[k]()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def report(piece: str, med: dict[str, float], notes: str = "") -> None:
    (a, ta), (b, tb) = med.items()
    print(f"{piece:8s} {a} {ta:7.3f} s | {b} {tb:7.3f} s | {b}/{a} {tb / ta:5.2f}  {notes}")


def to_bytes(write: Callable[[io.BytesIO], object]) -> bytes:
    buf = io.BytesIO()
    write(buf)
    return buf.getvalue()


def pillow_bytes(image: Image.Image, **kw: object) -> bytes:
    return to_bytes(lambda b: image.save(b, **kw))


def decoded(data: bytes) -> np.ndarray:
    with encode.big_images(), Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def run_parts(reps: int, paper: str, mpl_python: str = sys.executable) -> None:
    cfg = PosterConfig(paper=paper, dpi=300)
    punks = punk_art(1000, 1)
    image = make_poster(punks, punks, cfg, "Devolved Punks \u2014 base \u2014 20 epochs")
    pil = Image.fromarray(image)
    icc, dpi = encode.srgb_icc(), cfg.dpi
    print(f"poster {paper} at {dpi} dpi: {image.shape[1]} x {image.shape[0]} px; {reps} reps")

    ours = lambda: to_bytes(lambda b: tiff.write_tiff(b, image, dpi))  # noqa: E731
    lib = lambda: pillow_bytes(  # noqa: E731
        pil, format="TIFF", compression="tiff_adobe_deflate", dpi=(dpi, dpi), icc_profile=icc
    )
    same = np.array_equal(decoded(ours()), image) and np.array_equal(decoded(lib()), image)
    report("tiff", alternate({"tifffile": ours, "pillow": lib}, reps),
           f"{len(ours()) / 1e6:.1f} vs {len(lib()) / 1e6:.1f} MB, exact {same}")  # fmt: skip

    ours = lambda: to_bytes(lambda b: encode.write_png(b, image, dpi=dpi, icc=True))  # noqa: E731
    lib = lambda: pillow_bytes(  # noqa: E731
        pil, format="PNG", compress_level=encode.PNG_LEVEL, dpi=(dpi, dpi), icc_profile=icc
    )
    same = np.array_equal(decoded(ours()), image) and np.array_equal(decoded(lib()), image)
    report("png", alternate({"write_png": ours, "pillow": lib}, reps),
           f"{len(ours()) / 1e6:.1f} vs {len(lib()) / 1e6:.1f} MB, exact {same}")  # fmt: skip

    tiles = list(punk_art(200, 3, seed=1))
    scale = 20

    def series_ours() -> list[bytes]:
        out = []
        for t in tiles:
            index, palette = encode.palettize(t)
            big = np.repeat(np.repeat(index, scale, 0), scale, 1)
            out.append(to_bytes(lambda b, i=big, p=palette: encode.write_png(
                b, i, palette=p, strategy=zlib.Z_RLE)))  # fmt: skip
        return out

    def series_lib() -> list[bytes]:
        out = []
        for t in tiles:
            im = Image.fromarray(t).quantize(256, dither=Image.Dither.NONE)
            big = im.resize((24 * scale, 24 * scale), Image.Resampling.NEAREST)
            out.append(pillow_bytes(big, format="PNG"))
        return out

    exact = all(
        np.array_equal(decoded(b), np.repeat(np.repeat(t, scale, 0), scale, 1))
        for b, t in zip(series_lib()[:20], tiles, strict=False)
    )
    report("series", alternate({"palettize+write_png": series_ours, "pillow": series_lib}, reps),
           f"{sum(map(len, series_ours())) / 1e6:.1f} vs {sum(map(len, series_lib())) / 1e6:.1f}"
           f" MB, pillow exact {exact}")  # fmt: skip

    def pdf_ours() -> bytes:
        idat = encode.deflate_rows(image)
        return to_bytes(lambda b: pdf.write_pdf(b, image.shape[1], image.shape[0], dpi, idat))

    def pdf_lib() -> bytes:
        return pillow_bytes(pil, format="PDF", resolution=dpi)

    data = pdf_lib()
    jpeg = re.search(rb"/DCTDecode.*?stream\r?\n", data, re.S)
    err = "?"
    if jpeg:
        back = decoded(data[jpeg.end() :])
        diff = np.abs(back.astype(int) - image)
        err = f"max {diff.max()}, mean {diff.mean():.2f}"
    report("pdf", alternate({"write_pdf": pdf_ours, "pillow": pdf_lib}, reps),
           f"pillow stores {'JPEG' if jpeg else '?'}: pixel error {err}")  # fmt: skip

    snaps = np.stack([punk_art(64, 1, seed=e) for e in range(20)])
    frames = make_gif_frames(snaps, list(range(1, 21)), 20, GifConfig(), "#ffffff")

    def palette_lib() -> np.ndarray:
        stacked = Image.fromarray(np.concatenate(frames))
        q = stacked.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        return np.asarray(q.convert("RGB"))

    idx, pal = gif._shared_palette(frames)
    exact = np.array_equal(pal[idx].reshape(-1, 3), np.concatenate(frames).reshape(-1, 3))
    exact_lib = np.array_equal(palette_lib(), np.concatenate(frames))
    report("palette", alternate({"exact table": lambda: gif._shared_palette(frames),
                                 "pillow": palette_lib}, reps),
           f"{len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}, "
           f"exact {exact} vs {exact_lib}")  # fmt: skip

    text = "Devolved Punks \u2014 base \u2014 20 epochs\u2026"
    fscale = 8
    canvas = np.full((200, 2400, 3), 255, np.uint8)
    face = ImageFont.load_default(size=font.LINE_H * fscale)

    def font_lib() -> np.ndarray:
        im = Image.fromarray(canvas)
        ImageDraw.Draw(im).text((10, 10), text, fill=(0, 0, 0), font=face)
        return np.asarray(im)

    def font_ours() -> np.ndarray:
        out = canvas.copy()
        font.draw_text(out, text, 10, 10, fscale, (0, 0, 0))
        return out

    colours = [len(np.unique(encode.rgb_key(f()))) for f in (font_ours, font_lib)]
    missing = [ch for ch in sorted(set(text) - {" "}) if not face.getmask(ch).getbbox()]
    report("font", alternate({"draw_text": font_ours, "pillow": font_lib}, reps),
           f"colours drawn {colours[0]} vs {colours[1]} (antialiasing); "
           f"pillow lacks glyphs {missing!r}")  # fmt: skip

    history = [{"epoch": e, "loss": 1 / e, "val_loss": 1.1 / e} for e in range(1, 21)]
    t0 = time.perf_counter()
    for _ in range(reps):
        encode.write_png(io.BytesIO(), plot.make_loss_plot(history, "base"))
    ours_s = (time.perf_counter() - t0) / reps
    target = str(Path(tempfile.gettempdir()) / "punkforge-mpl-plot.png")
    probe = subprocess.run([mpl_python, "-c", PLOT_MPL, target], capture_output=True, text=True)
    if probe.returncode == 0:
        imp, draw = map(float, probe.stdout.split())
        print(f"plot     make_loss_plot {ours_s:7.3f} s | matplotlib import {imp:.3f} s"
              f" + plot {draw:.3f} s")  # fmt: skip
    else:
        print(f"plot     make_loss_plot {ours_s:7.3f} s | matplotlib not installed here")
