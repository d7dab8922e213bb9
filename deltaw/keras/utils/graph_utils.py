"""Walking a functional graph: `get_source_inputs` (keras.utils.get_source_inputs)."""

from __future__ import annotations

from deltaw.keras.layers import nest

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor):
    """The Input tensors a symbolic `tensor` was computed from, in the order they are first met.

    As Keras: a value without `_keras_history` is returned as is; a KerasTensor made by no layer
    call comes back alone in a list.
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    history = tensor._keras_history
    if history is None or not history[0]._inbound_nodes:
        return [tensor]
    operation, node_index, _ = history
    node = operation._inbound_nodes[node_index]
    if node.is_input:                       # an InputLayer's node: the recursion stops here
        return nest.flatten(node.output_tensors)
    sources = []
    for x in node.input_tensors:
        for source in get_source_inputs(x):
            if all(source is not s for s in sources):   # one entry per input, even if reused
                sources.append(source)
    return sources
