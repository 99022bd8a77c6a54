"""The autoencoder, built with Keras 3 from a recipe's [model] table.

`build_autoencoder(cfg, channels)` is a small pure builder: Conv2D encoder,
Conv2DTranspose decoder, a final Conv2D (padding 'same') back to the image's
channels. Keras is imported inside the functions so that importing this module
stays cheap.
"""

from __future__ import annotations

import contextlib
from typing import Any

from punkforge.recipe.sections import ModelConfig, TrainConfig


def keras_module() -> Any:
    """Import Keras (TensorFlow backend unless KERAS_BACKEND says otherwise), quietly."""
    import os
    import sys

    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow's C++ start-up chatter (oneDNN, CUDA stubs) ignores
    # TF_CPP_MIN_LOG_LEVEL: silence file descriptor 2 while it loads.
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            _configure_tensorflow(tf)  # the CUDA probe prints here
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


# TensorFlow's intra-op threads (how one op splits its work) are fixed, whatever
# `--jobs` is: float sums depend on that split (measured: the weights after 2
# epochs differ between 1 and 2 intra-op threads), so a fixed count is what
# makes every mode give the same pixels. Inter-op threads (how many independent
# ops run at once) never change a result, only speed: each process takes its
# share of the cores, all of them in a plain `--jobs 1` run (3.0 s/epoch with 2
# intra-op threads, 4.8 s with 1 and 1 inter-op, 4.1 s with 1 and 2 inter-op on
# the default recipe, 2-core machine: bench/train_speed.py). Parallelism beyond
# that comes from running training groups side by side (`--jobs`, Ray).
INTRA_OP_THREADS = 1
INTER_OP_ENV = "PUNKFORGE_INTER_OP_THREADS"  # set by the pool that starts a worker


def inter_op_threads() -> int:
    """This process's share of the cores for independent ops (never changes results)."""
    import os

    try:
        return max(1, int(os.environ[INTER_OP_ENV]))
    except (KeyError, ValueError):
        return max(1, os.cpu_count() or 1)


def _configure_tensorflow(tf: Any) -> None:
    """Pin the thread pools and share GPUs (memory growth) before TensorFlow starts."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(INTRA_OP_THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads())
    except RuntimeError:  # already initialised by the embedding program: leave it
        pass
    for gpu in tf.config.list_physical_devices("GPU"):
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)


def build_autoencoder(cfg: ModelConfig, channels: int, size: tuple[int, int] = (24, 24)) -> Any:
    """A keras.Sequential autoencoder for (h, w, channels) inputs, size = (h, w).

    Decoder output_padding = "auto" is resolved for `size` first. Seed the
    global RNG first (`keras.utils.set_random_seed`) for repeatable initial weights.
    """
    from punkforge.recipe.shapes import resolve_output_padding

    cfg = resolve_output_padding(cfg, (int(size[0]), int(size[1])))
    keras = keras_module()
    from keras import layers

    def conv_args(layer: Any) -> dict[str, Any]:
        return dict(
            filters=layer.filters,
            kernel_size=layer.kernel,
            strides=layer.strides,
            padding=layer.padding,
            activation=layer.activation,
            kernel_initializer=layer.initializer,
        )

    stack: list[Any] = [keras.Input((int(size[0]), int(size[1]), channels))]
    for i, layer in enumerate(cfg.encoder):
        stack.append(layers.Conv2D(name=f"encoder_{i}", **conv_args(layer)))
    for i, layer in enumerate(cfg.decoder):
        stack.append(
            layers.Conv2DTranspose(
                name=f"decoder_{i}", output_padding=layer.output_padding, **conv_args(layer)
            )
        )
    stack.append(
        layers.Conv2D(
            channels,
            cfg.output.kernel,
            padding="same",
            activation=cfg.output.activation,
            kernel_initializer=cfg.initializer,
            name="output",
        )
    )
    return keras.Sequential(stack, name="autoencoder")


def make_optimizer(cfg: TrainConfig) -> Any:
    keras = keras_module()
    cls = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }[cfg.optimizer]
    return cls(learning_rate=cfg.learning_rate)


def make_loss(cfg: TrainConfig) -> Any:
    keras = keras_module()
    return {
        "binary_crossentropy": keras.losses.BinaryCrossentropy(),
        "mse": keras.losses.MeanSquaredError(),
        "mae": keras.losses.MeanAbsoluteError(),
    }[cfg.loss]
