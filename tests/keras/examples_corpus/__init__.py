"""Real keras.io examples, kept as programs: the model code as published, data replaced offline.

Each module holds one example from keras-team/keras-io (its path is in the module docstring) as a
function `run(keras, data)`: the example's code with `import keras` / `from keras import ...`
turned into the `keras` argument, each download replaced by a call to `data` (offline stand-ins of
the same shapes and dtypes, `offline_data.py`) and its epoch count shortened. The function returns
the numbers the example reports (accuracy, loss), so one test runs it on deltaw and a comparison
test runs the same code on real Keras 3.
"""
