"""Sequence order with a Transformer block: does token A come before token B? (attention sees order)

The task of `sequence_order_lstm` (20 random tokens, markers A and B once each, label 1 when A
comes first; see `_sequence_task`), solved by a small Transformer block: token embeddings plus
learned position embeddings, causal MultiHeadAttention + residual + LayerNormalization, a Dense
feed-forward + residual + LayerNormalization, then GlobalAveragePooling1D and a sigmoid unit
(>= 95% test accuracy). With the causal mask each position attends to itself and the tokens
before it, so the output at B differs by whether A came earlier; the order-blind bag-of-words
baseline (Embedding + GlobalAveragePooling1D + Dense) stays at chance. Written as a tf.keras
program (the block follows keras.io's "Text classification with Transformer"): only the imports
name deltaw.
"""

from __future__ import annotations

import time

import numpy as np

from deltaw.examples._sequence_task import LENGTH, VOCAB, load_data, print_baseline
from deltaw.keras import layers
from deltaw.keras.models import Model
from deltaw.keras.optimizers import Adam
from deltaw.keras.utils import set_random_seed


class TokenAndPositionEmbedding(layers.Layer):
    """Token embedding plus a learned embedding of each position (0 .. maxlen - 1)."""

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        positions = np.arange(x.shape[-1])
        return self.token_emb(x) + self.pos_emb(positions)


class TransformerBlock(layers.Layer):
    """Causal self-attention and a feed-forward network, each with a residual and a layer
    normalization."""

    def __init__(self, embed_dim, num_heads, ff_dim, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn_hidden = layers.Dense(ff_dim, activation="relu")
        self.ffn_out = layers.Dense(embed_dim)
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs, use_causal_mask=True)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn_out(self.ffn_hidden(out1))
        return self.layernorm2(out1 + ffn_output)


def build_model(embed_dim: int = 32, num_heads: int = 2, ff_dim: int = 32) -> Model:
    inputs = layers.Input(shape=(LENGTH,), dtype="int32")
    x = TokenAndPositionEmbedding(LENGTH, VOCAB, embed_dim)(inputs)
    x = TransformerBlock(embed_dim, num_heads, ff_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return Model(inputs=inputs, outputs=outputs)


def main(epochs: int = 10, verbose: int = 1, baseline: bool = True) -> float:
    set_random_seed(0)
    data = load_data()
    (x_train, y_train), (x_test, y_test) = data
    model = build_model()
    model.compile(optimizer=Adam(learning_rate=3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1,
              verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Transformer: test loss {loss:.4f} - test accuracy {accuracy:.4f} ({len(x_test)} "
          f"held-out sequences, trained in {time.perf_counter() - start:.1f} s)")
    if baseline:
        print_baseline(data)
    return float(accuracy)


if __name__ == "__main__":
    main()
