"""The siamese example's test accuracy on deltaw and on Keras for a few seeds (see
expectations._siamese_learns):

    KERAS_BACKEND=torch python -m tests.keras.examples_corpus.siamese_seeds
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from tests.keras import keras_reference as kr  # noqa: E402  (selects the backend first)
from tests.keras.test_examples_corpus import run_example  # noqa: E402


def main(seeds=(1337, 1, 2, 3, 4)):
    import keras

    import deltaw.keras as dk

    for seed in seeds:
        figures = []
        for lib in (dk, keras):
            with kr.quiet():
                figures.append(float(run_example(lib, "siamese_contrastive", seed)["accuracy"]))
        print(f"seed {seed}: deltaw {figures[0]:.3f}, Keras {figures[1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
