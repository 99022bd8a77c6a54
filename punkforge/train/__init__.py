"""Stage 2, training: data loading, the Keras model, fast epochs and the training store.

`data` loads images as float arrays; `model` builds the autoencoder; `steps`
runs many batches per TensorFlow graph call; `store` checkpoints every epoch
so a killed run resumes exactly. Only `model`, `steps` and the training
functions of `store` import TensorFlow, and only when called.
"""
