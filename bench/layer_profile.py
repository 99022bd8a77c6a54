#!/usr/bin/env python3
"""Per-layer fwd+bwd cost of the seed autoencoder at batch 32 (oneDNN, TF CPU), and
Conv2DTranspose vs the equivalent pad+Conv2D (flipped kernel) formulation."""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

B, N = 32, 150
specs = [
    ("conv", 24, 1, 32),
    ("conv", 22, 32, 16),
    ("conv", 20, 16, 8),
    ("convT", 18, 8, 8),
    ("convT", 20, 8, 16),
    ("convT", 22, 16, 32),
    ("same", 24, 32, 1),
]
rng = np.random.default_rng(0)


def bench(f, x, w):
    @tf.function
    def loop():
        def body(i, acc):
            with tf.GradientTape() as t:
                t.watch(w)
                t.watch(x)
                y = f(x, w)
                total = tf.reduce_sum(y)
            gx, gw = t.gradient(total, [x, w])
            return i + 1, acc + tf.reduce_sum(gw) + tf.reduce_sum(gx)

        return tf.while_loop(lambda i, a: i < N, body, (0, 0.0))[1]

    loop()
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        loop()
        ts.append(time.perf_counter() - t)
    return min(ts) / N * 1e3


tot = 0
for kind, h, ci, co in specs:
    x = tf.constant(rng.random((B, h, h, ci), dtype=np.float32))
    if kind == "convT":
        w = tf.constant(rng.standard_normal((3, 3, co, ci), dtype=np.float32))

        def f1(x, w, h=h):
            return tf.nn.conv2d_transpose(x, w, (B, h + 2, h + 2, w.shape[2]), 1, "VALID")

        def f2(x, w):
            return tf.nn.conv2d(
                tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]),
                tf.transpose(w[::-1, ::-1], (0, 1, 3, 2)),
                1,
                "VALID",
            )

        y1, y2 = f1(x, w), f2(x, w)
        assert np.allclose(y1, y2, atol=1e-4), "convT equivalence"
        a, b = bench(f1, x, w), bench(f2, x, w)
        macs = h * h * 9 * ci * co
        print(
            f"{kind} {h}x{h}x{ci}->{co}: convT {a:.3f} ms  pad+conv {b:.3f} ms  "
            f"({3 * 2 * macs * B / a / 1e6:.1f} / {3 * 2 * macs * B / b / 1e6:.1f} GFLOP/s)",
            flush=True,
        )
        tot += a
    else:
        w = tf.constant(rng.standard_normal((3, 3, ci, co), dtype=np.float32))
        pad = "SAME" if kind == "same" else "VALID"

        def f1(x, w, pad=pad):
            return tf.nn.conv2d(x, w, 1, pad)

        a = bench(f1, x, w)
        ho = h if kind == "same" else h - 2
        macs = ho * ho * 9 * ci * co
        print(
            f"{kind} {h}x{h}x{ci}->{co}: {a:.3f} ms ({3 * 2 * macs * B / a / 1e6:.1f} GFLOP/s)",
            flush=True,
        )
        tot += a
print(f"sum of layers fwd+bwd(x,w) per step: {tot:.2f} ms -> x254 = {tot * 254 / 1e3:.2f} s/epoch")
