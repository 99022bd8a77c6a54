#!/usr/bin/env python3
"""Wall time of a whole sweep with --jobs 1, --jobs 2 and --ray, and the seed anchor.

Runs `punkforge run RECIPE` from scratch (a fresh --out each time) in fresh
processes, alternating the modes within each repetition so that a busy machine
hurts them alike, then runs the seed post's pipeline (given with
--seed-script PATH) once per variant, with that variant's epochs and training
size, as the anchor: what the sweep costs done by hand, one script run per variant.
Prints per-mode medians, the ratios to --jobs 1 and to the anchor, and
variants per hour. Meant for a quiet machine:

    python bench/sweep_speed.py --reps 3 --seed-script PATH/TO/seed_baseline.py

Check it quickly on tiny settings (numbers meaningless):

    python bench/sweep_speed.py --reps 1 --set train.epochs=1 --set data.train_limit=200 \\
        --set data.test_limit=64 --modes jobs1,jobs2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = {"jobs1": ["--jobs", "1"], "jobs2": ["--jobs", "2"], "ray": ["--ray"]}


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "devolution-sweep.toml"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--modes", default="jobs1,jobs2,ray")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--seed-script", type=Path, help="the seed post's pipeline (anchor)")
    args = ap.parse_args()

    from punkforge.recipe.loader import read_recipe_file
    from punkforge.training.store import training_key

    rf = read_recipe_file(Path(args.recipe), args.set)
    n_variants = len(rf.variants)
    n_groups = len({training_key(v.recipe) for v in rf.variants})
    print(f"{rf.name}: {n_variants} variants in {n_groups} training groups")
    sets = [x for s in args.set for x in ("--set", s)]
    modes = args.modes.split(",")
    walls: dict[str, list[float]] = {m: [] for m in modes}
    for rep in range(args.reps):
        for mode in modes:
            with tempfile.TemporaryDirectory() as out:
                cmd = [sys.executable, "-m", "punkforge", "run", args.recipe, *sets,
                       "--out", out, *MODES[mode]]  # fmt: skip
                walls[mode].append(timed(cmd))
            print(f"rep {rep + 1} {mode}: {walls[mode][-1]:.1f} s", flush=True)

    anchor = None
    if args.seed_script:
        anchor = 0.0
        for v in rf.variants:
            r = v.recipe
            cmd = [sys.executable, str(args.seed_script), "--epochs", str(r.train.epochs),
                   "--train-limit", str(r.data.train_limit), "--json"]  # fmt: skip
            anchor += timed(cmd)
        print(f"seed script once per variant: {anchor:.1f} s in all")

    base = statistics.median(walls[modes[0]])
    print(f"\n| mode | median wall s | vs {modes[0]} | vs seed per variant | variants/hour |")
    print("| --- | --- | --- | --- | --- |")
    for mode in modes:
        med = statistics.median(walls[mode])
        vs_seed = f"{med / anchor:.2f}" if anchor else "-"
        print(f"| {mode} | {med:.1f} | {med / base:.2f} | {vs_seed} | "
              f"{n_variants * 3600 / med:.0f} |")  # fmt: skip
    if anchor:
        print(f"| seed script x{n_variants} | {anchor:.1f} | {anchor / base:.2f} | 1.00 | "
              f"{n_variants * 3600 / anchor:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
