"""punkforge: turn a tiny autoencoder's training into printable generative art.

The package is split by stage, data flowing one way:
recipe -> data -> model -> train -> render, with `cli` and `runner` joining them.
Only `model` and `train` import TensorFlow/Keras, and only when called.
"""

__version__ = "0.1.0"
