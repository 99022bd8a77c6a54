"""Training: the Keras autoencoder, fast epochs, the training store and network art.

`autoencoder` builds the network from a recipe's [model] table; `graph_steps`
runs many batches per TensorFlow graph call; `worker` trains one group and
yields each finished epoch; `store` checkpoints every epoch so a killed run
resumes exactly; `history` reads and writes history.csv (its columns declared
once); `network_art` computes the art arrays at devolve time.
Only `autoencoder`, `graph_steps`, `worker` and `network_art` import
TensorFlow, and only when called.

May import: data, recipe and the shared helpers.
"""
