#!/usr/bin/env python3
"""Training speed: punkforge against the seed post's own Keras pipeline.

Runs, alternating A B A B in one invocation (each in a fresh process):
  seed       the seed post's training script (`--seed-script PATH`, run as
             `PATH --epochs E --json`; without it only punkforge is timed)
  punkforge  punkforge's trainer on the default recipe (grey, the post's
             network, batch 32, 9000 punks, validation_split 0.1), E epochs,
             timed from one epoch's end to the next (so snapshots, validation,
             checkpoints and progress are all inside the figure)
and prints the median seconds per epoch (first epoch excluded), the ratio and
the final val_loss of each. With --whole it also times
`punkforge run recipes/devolved-punks.toml` end to end (import, load, train 10
epochs, devolve, render) against the seed's 10 epochs of training alone, and
with --startup the start-up of `--help`, `validate` and `list`.

    python bench/train_speed.py --seed-script PATH --epochs 4 --reps 3 --whole --startup

`--set KEY=VALUE` overrides punkforge's recipe (as `punkforge run --set` does),
e.g. `--set data.train_limit=300 --set data.test_limit=50` for a quick check.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

PUNKFORGE_CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
t0 = time.perf_counter()
from punkforge.recipe.loader import read_recipe_file
from punkforge.data.cpunks import load_punks
from punkforge.training.worker import train_store
from punkforge.training.autoencoder import keras_module
keras_module()
import_s = time.perf_counter() - t0
epochs = int(sys.argv[1])
recipe = read_recipe_file(sys.argv[2], [f"train.epochs={epochs}", *sys.argv[3:]]).variants[0].recipe
t0 = time.perf_counter()
punks = load_punks(recipe.data)
load_s = time.perf_counter() - t0
marks = []
class Hooks:
    def epoch_start(self, epoch, epochs, batches):
        if not marks: marks.append(time.perf_counter())
    def batch_end(self, batch, loss): pass
    def epoch_end(self, epoch, epochs, row): marks.append(time.perf_counter())
with tempfile.TemporaryDirectory() as d:
    state = train_store(recipe, punks, Path(d), epochs, recipe.render.sample, Hooks())
epoch_s = [round(b - a, 3) for a, b in zip(marks, marks[1:])]
n_val = int(len(punks.train) * recipe.train.validation_split)
print(json.dumps({"import_s": round(import_s, 3), "load_s": round(load_s, 3), "epoch_s": epoch_s,
                  "n_fit": len(punks.train) - n_val, "n_val": n_val,
                  "val_loss": [round(h["val_loss"], 5) for h in state.history]}))
"""


def run_json(cmd: list[str]) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return json.loads(lines[-1])


def per_epoch(args: argparse.Namespace) -> None:
    recipe = str(ROOT / "recipes" / "devolved-punks.toml")
    cmds = {"punkforge": [PY, "-c", PUNKFORGE_CHILD, str(args.epochs), recipe, *args.set]}
    if args.seed_script:
        cmds["seed"] = [PY, str(args.seed_script), "--epochs", str(args.epochs), "--json"]
    results: dict[str, list[dict]] = {name: [] for name in cmds}
    for rep in range(args.reps):
        order = list(cmds) if rep % 2 == 0 else list(reversed(cmds))
        for name in order:
            r = run_json(cmds[name])
            results[name].append(r)
            last = r["val_loss"][-1]
            print(f"rep {rep + 1} {name:9s} epoch_s {r['epoch_s']} val_loss {last:.5f}", flush=True)
    med = {}
    for name, runs in results.items():
        later = [s for r in runs for s in r["epoch_s"][1:]]
        med[name] = statistics.median(later)
        vals = [r["val_loss"][-1] for r in runs]
        print(
            f"{name:9s} median s/epoch (first excluded) {med[name]:.3f}  "
            f"final val_loss median {statistics.median(vals):.5f}"
        )
    if "seed" in results:
        seed_val = statistics.median(r["val_loss"][-1] for r in results["seed"])
        pf_val = statistics.median(r["val_loss"][-1] for r in results["punkforge"])
        ratio = med["punkforge"] / med["seed"]
        print(
            f"ratio punkforge/seed per epoch: {ratio:.3f} ({1 / ratio:.2f}x faster); "
            f"val_loss difference {100 * (pf_val / seed_val - 1):+.2f}%"
        )
    fwd = 10.80e6  # FLOP per image forward (5.40 M multiply-adds, from the layer shapes)
    pf = results["punkforge"][0]
    flop = 3 * fwd * pf["n_fit"] + fwd * pf["n_val"] + fwd * 64  # train, validate, snapshot
    for name in med:
        print(
            f"{name:9s} ~{flop / med[name] / 1e9:.0f} GFLOP/s achieved "
            "(2 cores x 2.3 GHz x 64 FLOP/cycle AVX-512 = ~294 GFLOP/s peak at base clock)"
        )


def whole(args: argparse.Namespace) -> None:
    recipe = str(ROOT / "recipes" / "devolved-punks.toml")
    times: dict[str, list[float]] = {"punkforge-run": []}
    if args.seed_script:
        times["seed-10-epochs"] = []
    sets = [arg for kv in args.set for arg in ("--set", kv)]
    for rep in range(args.whole_reps):
        order = list(times) if rep % 2 == 0 else list(reversed(times))
        for name in order:
            with tempfile.TemporaryDirectory() as out:
                cmd = (
                    [PY, str(args.seed_script), "--epochs", "10"]
                    if name == "seed-10-epochs"
                    else [PY, "-m", "punkforge", "run", recipe, "--out", out, *sets]
                )
                t0 = time.perf_counter()
                p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                dt = time.perf_counter() - t0
                if p.returncode != 0:
                    sys.exit(f"failed: {cmd}\n{p.stderr[-3000:]}")
            times[name].append(dt)
            print(f"rep {rep + 1} {name:15s} {dt:.1f} s", flush=True)
    a = statistics.median(times["punkforge-run"])
    print(f"whole run (train 10 epochs + devolve + render) {a:.1f} s")
    if "seed-10-epochs" in times:
        b = statistics.median(times["seed-10-epochs"])
        print(f"vs seed training alone {b:.1f} s: ratio {a / b:.2f}")


def startup(args: argparse.Namespace) -> None:
    recipe = str(ROOT / "recipes" / "devolved-punks.toml")
    exe = str(Path(PY).parent / "punkforge")
    for label, cmd in (
        ("--help", [exe, "--help"]),
        ("validate", [exe, "validate", recipe]),
        ("list", [exe, "list", recipe]),
    ):
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)
            ts.append(time.perf_counter() - t0)
        print(f"start-up punkforge {label:9s} median {statistics.median(ts):.3f} s (7 runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed-script", type=Path, help="the seed post's training script")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--whole", action="store_true", help="also time a whole default run")
    ap.add_argument("--whole-reps", type=int, default=2)
    ap.add_argument("--startup", action="store_true", help="also time --help/validate/list")
    ap.add_argument("--skip-epochs", action="store_true")
    args = ap.parse_args()
    if args.seed_script and not args.seed_script.exists():
        sys.exit(f"seed script not found: {args.seed_script}")
    if not args.seed_script:
        print("no --seed-script: timing punkforge alone", flush=True)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}", flush=True)
    if args.startup:
        startup(args)
    if not args.skip_epochs:
        per_epoch(args)
    if args.whole:
        whole(args)


if __name__ == "__main__":
    main()
