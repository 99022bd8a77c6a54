"""The fast epoch: many training steps inside one TensorFlow graph call.

With 24x24 punks and batch 32 a training step is ~10 ms of tiny ops, so
Keras' per-step Python work (callbacks, data adapters, logs) is a large share
of an epoch. Here the training set lives in one tensor, the epoch's order is
gathered in-graph and a `tf.while_loop` runs a chunk of batches per call;
the Python side only reports progress between chunks. Validation is one
batched call (the same mean Keras' `fit` reports). Measured in
bench/train_speed.py against the seed post's `model.fit`.

On another Keras backend `EpochRunner` falls back to `model.fit` per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

CHUNK = 32  # batches per graph call: progress updates ~8 times an epoch


class EpochRunner:
    """Runs one epoch in a given order; returns (loss, val_loss).

    x_train: (N, 24, 24, C) float32; x_val: (M, 24, 24, C) float32, M may be 0.
    loss is the sample-weighted mean of the batch losses, as `fit` reports it.
    """

    def __init__(self, model: Any, optimizer: Any, loss_fn: Any, x_train: np.ndarray,
                 x_val: np.ndarray, batch_size: int) -> None:  # fmt: skip
        import keras

        self.model, self.batch_size = model, batch_size
        self.n = len(x_train)
        self.has_val = len(x_val) > 0
        self.tf_graph = keras.backend.backend() == "tensorflow"
        if not self.tf_graph:
            model.compile(optimizer=optimizer, loss=loss_fn)
            self.x_train, self.x_val = x_train, x_val
            return
        import tensorflow as tf

        self.tf = tf
        x = tf.constant(x_train)
        v = tf.constant(x_val) if self.has_val else None
        variables = model.trainable_variables
        shape = tuple(x_train.shape[1:])

        def step(xb: Any) -> Any:
            with tf.GradientTape() as tape:
                loss = loss_fn(xb, model(xb, training=True))
            optimizer.apply(tape.gradient(loss, variables), variables)
            return loss

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def run_chunk(idx: Any) -> Any:
            # idx: (k * batch_size,) positions of k full batches, in order.
            k = tf.shape(idx)[0] // batch_size
            batches = tf.reshape(tf.gather(x, idx), (k, batch_size, *shape))

            def body(i: Any, total: Any) -> Any:
                return i + 1, total + step(batches[i])

            _, total = tf.while_loop(lambda i, t: i < k, body, (tf.constant(0), tf.constant(0.0)))
            return total * float(batch_size)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def run_tail(idx: Any) -> Any:
            # the last, smaller batch
            xb = tf.gather(x, idx)
            return step(xb) * tf.cast(tf.shape(idx)[0], tf.float32)

        @tf.function
        def val_loss() -> Any:
            return loss_fn(v, model(v, training=False))

        self.run_chunk, self.run_tail, self.val_loss = run_chunk, run_tail, val_loss

    def batches(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __call__(
        self, order: np.ndarray, on_batches: Callable[[int, float], None]
    ) -> tuple[float, float]:
        """Train one epoch over `order`; call on_batches(done, running_loss) as it goes."""
        steps = self.progress(order)
        while True:
            try:
                on_batches(*next(steps))
            except StopIteration as stop:
                return stop.value

    def progress(
        self, order: np.ndarray
    ) -> Generator[tuple[int, float], None, tuple[float, float]]:
        """Train one epoch over `order`, yielding (batches done, running loss) as it goes.

        Returns (loss, val_loss) when exhausted (StopIteration.value).
        """
        if not self.tf_graph:
            return (yield from self._fit(order))
        tf, bs = self.tf, self.batch_size
        order = order.astype(np.int32)
        nfull = self.n // bs
        total, seen = 0.0, 0
        for start in range(0, nfull, CHUNK):
            k = min(CHUNK, nfull - start)
            idx = order[start * bs : (start + k) * bs]
            total += float(self.run_chunk(tf.constant(idx)))
            seen += k * bs
            yield start + k, total / seen
        if nfull * bs < self.n:
            idx = order[nfull * bs :]
            total += float(self.run_tail(tf.constant(idx)))
            seen += len(idx)
            yield self.batches(), total / seen
        val = float(self.val_loss()) if self.has_val else float("nan")
        return total / seen, val

    def _fit(self, order: np.ndarray) -> Generator[tuple[int, float], None, tuple[float, float]]:
        xe = self.x_train[order]
        fit = self.model.fit(
            xe, xe, batch_size=self.batch_size, epochs=1, shuffle=False, verbose=0,
            validation_data=(self.x_val, self.x_val) if self.has_val else None,
        )  # fmt: skip
        loss = float(fit.history["loss"][-1])
        yield self.batches(), loss
        return loss, float(fit.history["val_loss"][-1]) if self.has_val else float("nan")
