"""`model_to_dot`: a model's layer graph as a `pydot.Dot` (pydot imported when called).

The nodes and edges are Keras': one node per layer, named `str(id(layer))`, an edge for each
connection, and the graph attributes Keras sets (rankdir, concentrate, dpi, splines, record
nodes). Where deltaw differs: a node's label is plain text (the lines `plot_model` draws:
name and class, and on request activation, dtype, shapes, trainable) rather than Keras' HTML
table, and `expand_nested=True` keeps a nested model as one node.
"""

from __future__ import annotations

__all__ = ["model_to_dot"]


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("You must install pydot (`pip install pydot`, or deltaw[viz]) for "
                          "model_to_dot to work.") from None
    return pydot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """The graph of `model`'s layers as a `pydot.Dot` (a `pydot.Cluster` with `subgraph=True`).

    Args:
        model: A built model.
        show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable:
            What each node's label shows.
        rankdir: 'TB' (top to bottom) or 'LR' (left to right).
        expand_nested: Accepted for Keras' signature; nested models stay one node.
        dpi, splines: Graph attributes.
        subgraph: Return a dashed `pydot.Cluster` named after the model.

    Raises:
        ImportError: pydot is not installed. ValueError: the model is not built, or an
        unknown keyword argument is given.
    """
    from deltaw.keras.models.functional import Functional
    from deltaw.keras.models.sequential import Sequential
    from deltaw.keras.utils.model_visualization import _graph, _label

    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    pydot = _pydot()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        for key, value in (("rankdir", rankdir), ("concentrate", True), ("dpi", dpi),
                           ("splines", splines)):
            dot.set(key, value)
        dot.set_node_defaults(shape="record")
    show = (show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    if isinstance(model, Functional | Sequential):
        layers, edges, inputs = _graph(model)
    else:                                   # a subclassed model is one node, as in Keras
        layers, edges, inputs = [model], [], {}
    for i, layer in enumerate(layers):
        node = pydot.Node(str(id(layer)), label="\\n".join(_label(layer, inputs.get(i), *show)))
        for key, value in (("fontname", "Helvetica"), ("border", "0"), ("margin", "0")):
            node.set(key, value)
        dot.add_node(node)
    for i, j in edges:
        edge = pydot.Edge(str(id(layers[i])), str(id(layers[j])))
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot
