"""A custom train_step that forgets to average its gradients: fit must say so after the first
epoch, on every rank (written to `<dir>/custom_rank<R>.txt`); with the allreduce it trains."""

import sys

import numpy as np

import deltaw as dw
import deltaw.keras as keras
from deltaw import distributed as dist
from deltaw.keras import distribution, layers

distribution.set_distribution(distribution.DataParallel())


class Forgetful(keras.Model):
    average = False

    def train_step(self, data):
        x, y = data
        with dw.GradientTape() as tape:
            loss = self.compute_loss(x, y, self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        if self.average:
            grads = [dist.allreduce(g) for g in grads]
        self.optimizer.apply(grads, self.trainable_variables)
        return {"loss": loss}


def run(average):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = Forgetful(inputs, layers.Dense(1)(inputs))
    model.average = average
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    try:
        model.fit(x, x.sum(axis=1, keepdims=True), batch_size=8, epochs=2, verbose=0)
        return "trained"
    except RuntimeError as exc:
        return str(exc)


with open(f"{sys.argv[1]}/custom_rank{dist.rank()}.txt", "w") as f:
    f.write(run(False) + "\n" + run(True) + "\n")
