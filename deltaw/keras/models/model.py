"""Model: a Layer with the training API (Trainer) and model-level utilities.

`Model(inputs, outputs)` returns a functional model (`Functional`, a Model subclass), as in
Keras 3. Subclassing `Model` and writing `call()` gives a subclassed model; `Sequential` is a
third kind. All share `layers`, `get_layer`, `summary`, `get_weights`/`set_weights`,
`get_config`/`to_json` and, from Trainer, compile/fit/evaluate/predict.
"""

from __future__ import annotations

import json

from deltaw.autograd import mode
from deltaw.keras.layers import nest
from deltaw.keras.layers.keras_tensor import KerasTensor, placeholder
from deltaw.keras.layers.layer import Layer
from deltaw.keras.trainers.trainer import Trainer
from deltaw.tensor import Tensor

__all__ = ["Model"]


def _functional_arguments(args, kwargs) -> bool:
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


_FUNCTIONAL_SUBCLASSES: dict = {}


def _functional_subclass(cls, functional):
    """`cls` with Functional's graph machinery behind its own methods (made once per class)."""
    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, functional),
                                           {"__module__": cls.__module__,
                                            "__qualname__": cls.__qualname__})
    return _FUNCTIONAL_SUBCLASSES[cls]


class Model(Trainer, Layer):
    """A trainable stack of layers.

    Three ways to make one (Keras 3):

    - functional: `Model(inputs, outputs, name=None)` with KerasTensors from `Input(...)`;
    - subclassing: define layers in `__init__` and the forward pass in `call(inputs, training)`;
    - `Sequential([...])`.

    Args (subclassing):
        name: Model name; defaults to the snake_case class name ('my_model').
        trainable: Whether the weights are trainable.
        dtype: Dtype of the model's computations (floatx() by default).

    Example:
        >>> from deltaw.keras import Input, layers
        >>> x = Input((4,))
        >>> model = Model(x, layers.Dense(2)(x))
        >>> model(np.ones((3, 4))).shape
        (3, 2)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from deltaw.keras.models.functional import Functional

            return Layer.__new__(Functional, *args, **kwargs)
        return Layer.__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if _functional_arguments(args, kwargs):
            # A subclass that builds its graph in __init__ and passes inputs and outputs up
            # becomes functional, as in Keras 3: its class gains Functional as a base.
            from deltaw.keras.models.functional import Functional

            if not isinstance(self, Functional):
                self.__class__ = _functional_subclass(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, *args, **kwargs)

    # ----- layers
    @property
    def layers(self) -> list:
        """The model's direct sublayers, in tracking (or graph) order."""
        return list(self._sublayers())

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`.

        Raises:
            ValueError: both or neither argument given, an index out of range, or an unknown
                name (the message lists the layer names).
        """
        where = f"Model '{self.name}'"
        if (name is None) == (index is None):
            raise ValueError(f"{where}: get_layer takes a name or an index; got name={name!r}, "
                             f"index={index!r}.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"{where}: layer index {index} is out of range; the model has "
                                 f"{len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{where}: no layer named {name!r}; expected one of "
                         f"{[layer.name for layer in layers]}.")

    # ----- building
    def _maybe_build(self, input_shapes) -> None:
        # A subclassed model's layers build on the first call; only a user-written build runs.
        if type(self).build is Model.build:
            self._build_shapes = input_shapes
            self.built = True
            return
        super()._maybe_build(input_shapes)

    def build(self, input_shape=None) -> None:
        """Create the weights by running the model once on zeros of `input_shape` (None -> 1)."""
        if input_shape is None or self.built and self.weights:
            self.built = True
            return
        specs = nest.map_shape_structure(lambda s: KerasTensor(s), input_shape)
        with mode.no_grad():
            self(nest.map_structure(lambda kt: Tensor(placeholder(kt)), specs))
        self._build_shapes = input_shape
        self.built = True

    @property
    def input_shape(self):
        """Shape(s) of the model's inputs (functional and built Sequential models)."""
        return nest.map_structure(lambda x: x.shape, self.input)

    @property
    def output_shape(self):
        """Shape(s) of the model's outputs (functional and built Sequential models)."""
        return nest.map_structure(lambda x: x.shape, self.output)

    # ----- reporting and configuration
    def diagnose(self, x, y=None, batch_size=None, sample_weight=None):
        """Reads the model's own gradients on `x, y` and says what is wrong, where (deltaw).

        One forward and backward pass per batch (at most 4 batches; `batch_size` None means
        min(len(x), 256)) and one optimizer step that is undone: weights, optimizer state and
        random streams are left as they were. Returns a `deltaw.diagnostics.Diagnosis`:
        `.layers` (per-layer gradient, weight, update and activation statistics),
        `.findings` (vanishing or exploding gradients, dead or saturated units, NaN/Inf, badly
        sized updates, each naming its layer with advice), `print()` for a table, `.plot()`
        for the gradient-flow figure.
        """
        from deltaw.diagnostics.probe import diagnose

        return diagnose(self, x, y, batch_size=batch_size, sample_weight=sample_weight)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers, output shapes and parameter counts, as Keras 3 does.

        Args:
            line_length: Total width; defaults to 88 (108 for non-sequential graphs), at most
                the terminal width minus 4.
            positions: Relative (<= 1) or absolute column ends.
            print_fn: Called once with the whole text; defaults to printing to stdout.
            expand_nested: Also list the layers of nested models.
            show_trainable: Add a column saying whether each layer is trainable.
            layer_range: Two layer names (or regexes): print only that inclusive range.
        """
        from deltaw.keras.distribution.distribution_lib import is_chief
        from deltaw.keras.models.summary import print_summary

        if not is_chief():   # a data-parallel run's ranks other than 0 stay quiet
            return

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    def to_json(self, **kwargs) -> str:
        """The model's architecture as a JSON string (`model_from_json` rebuilds it)."""
        from deltaw.keras.models.config import serialize_layer

        return json.dumps(serialize_layer(self), **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from deltaw.keras.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    # ----- saving (the work is in deltaw/keras/models/saving.py)
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (architecture, weights, optimizer state) to one file.

        '.keras' writes Keras 3's zip; any other name deltaw's own format; see
        `deltaw.keras.models.saving.save_model`.
        """
        from deltaw.keras.models import saving

        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Write the model for another runtime: deltaw writes `format="onnx"` (Keras 3's name).

        Args:
            filepath: Where to write ('m.onnx').
            format: "onnx"; Keras' other formats ("tf_saved_model", "openvino", "litert")
                need TensorFlow or OpenVINO and are refused.
            verbose: Accepted for Keras 3 compatibility (deltaw prints nothing).
            input_signature: Accepted only as None: the inputs are the model's own, with a
                dynamic batch dimension.
            **kwargs: `opset_version` (17 or newer; default 17).

        Raises:
            ValueError: Another format, or a layer without an ONNX form (named).
            ImportError: onnx is not installed (pip install 'deltaw[onnx]').
        """
        if format != "onnx":
            raise ValueError(f"export: format={format!r} is not available in deltaw; expected "
                             "format='onnx' (the other Keras formats need TensorFlow).")
        if input_signature is not None:
            raise ValueError("export: input_signature is not supported; expected None (the "
                             "model's own inputs, with a dynamic batch dimension).")
        unknown = set(kwargs) - {"opset_version"}
        if unknown:
            raise TypeError(f"export: unexpected keyword argument {sorted(unknown)[0]!r}; "
                            "expected opset_version.")
        from deltaw.keras.export import export_onnx

        export_onnx(self, filepath, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights only; see `deltaw.keras.models.saving.save_weights`."""
        from deltaw.keras.models import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by `save_weights` or `save` (all or nothing); see
        `deltaw.keras.models.saving.load_weights`."""
        from deltaw.keras.models import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)
