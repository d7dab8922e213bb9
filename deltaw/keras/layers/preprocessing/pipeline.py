"""Pipeline: a sequence of (preprocessing) layers applied one after another, as one layer."""

from __future__ import annotations

from deltaw.keras.layers.layer import Layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Applies `layers` in order (Keras' Pipeline; lighter than a Sequential model: no
    Input, no training loop, and `training` passed on to every layer).

    Args:
        layers: A list of layers.
        name: Optional name.

    Call arguments:
        inputs: What the first layer takes.
        training: Passed to each layer (default True, as Keras': a direct call augments).

    Example:
        >>> from deltaw.keras import layers
        >>> augment = Pipeline([layers.Rescaling(2.0), layers.RandomFlip(seed=0)])
        >>> augment(np.ones((1, 2, 2, 1)), training=False).numpy().ravel()
        array([2., 2., 2., 2.], dtype=float32)
    """

    def __init__(self, layers, name=None, **kwargs):
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, list | tuple) or not all(isinstance(x, Layer) for x in layers):
            raise ValueError(f"Pipeline '{self.name}': layers must be a list of layers; got "
                             f"{layers!r}.")
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list:
        return self._pipeline_layers

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from deltaw.keras.models.config import serialize_layer  # models import layers: lazy

        return {"layers": [serialize_layer(x) for x in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from deltaw.keras.models.config import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError("Pipeline: the config must map 'layers' to a list of serialized "
                             f"layers; got layers={layers!r}.")
        return cls(**{**config, "layers": [deserialize_layer(x, custom_objects)
                                           for x in layers]})
