"""`model.export(path, format="onnx")`: an ONNX model (inference) from a deltaw model.

Sequential and functional models (several inputs and outputs, nested models) are walked layer
call by layer call; each layer becomes ONNX nodes through `onnx_layers.CONVERTERS` with its
current weights as initializers. Inputs keep the names of the model's InputLayers and a dynamic
batch dimension ("batch"); outputs are named after the layers that produce them. The file is
written atomically. onnx is imported only here (`pip install 'deltaw[onnx]'`).
"""

from __future__ import annotations

import os

import numpy as np

from deltaw.io.atomic import atomic_write
from deltaw.keras.export.onnx_attention import multi_head_attention
from deltaw.keras.export.onnx_graph import GraphBuilder, import_onnx
from deltaw.keras.export.onnx_layers import CONVERTERS
from deltaw.keras.layers import nest
from deltaw.keras.layers.keras_tensor import KerasTensor

__all__ = ["DEFAULT_OPSET", "export_onnx"]

DEFAULT_OPSET = 17


def _is_model(layer) -> bool:
    from deltaw.keras.models.model import Model

    return isinstance(layer, Model)


def _convert_layer(b, layer, inputs, shapes, named=None):
    if type(layer).__name__ == "MultiHeadAttention":
        return [multi_head_attention(b, layer, inputs, named or {}, shapes)]
    if named:
        raise ValueError(f"export: layer '{layer.name}' receives tensors by keyword "
                         f"({sorted(named)}); expected positional inputs.")
    if _is_model(layer):
        return _convert_model(b, layer, inputs)
    convert = CONVERTERS.get(type(layer).__name__)
    if convert is None:
        raise ValueError(f"export: layer '{layer.name}' ({type(layer).__name__}) has no ONNX "
                         f"form in deltaw; expected layers of: "
                         f"{', '.join(sorted([*CONVERTERS, 'MultiHeadAttention']))}.")
    return [convert(b, layer, inputs, shapes)]


def _named_arguments(node, names: dict) -> dict:
    """The tensors (by graph name) and flags a layer call received by keyword."""
    named = {}
    for key, value in node.call_kwargs.items():
        if isinstance(value, KerasTensor):
            named[key] = names[id(value)]
        elif any(isinstance(t, KerasTensor) for t in nest.flatten(value)):
            raise ValueError(f"export: layer '{node.operation.name}' receives nested tensors "
                             f"by keyword ({key!r}); expected positional inputs.")
        elif key == "use_causal_mask" and value:
            named[key] = True
    return named


def _convert_model(b, model, inputs: list[str]) -> list[str]:
    """Output names of `model` applied to the graph tensors `inputs`."""
    if type(model).__name__ == "Sequential":
        x, shape = inputs[0], tuple(model.inputs[0].shape)
        for layer in model.layers:
            x = _convert_layer(b, layer, [x], [shape])[0]
            shape = tuple(layer.compute_output_shape(shape))
        return [x]
    if not hasattr(model, "_exec_nodes"):
        raise ValueError(f"export: model '{model.name}' is a subclassed model; expected a "
                         "Sequential or functional model (its graph is what ONNX stores).")
    names = {id(t): name for t, name in zip(model._flat_inputs, inputs, strict=True)}
    for node in model._exec_nodes:
        positional = [t for t in nest.flatten(list(node.call_args)) if isinstance(t, KerasTensor)]
        ins = [names[id(t)] for t in positional]
        named = _named_arguments(node, names)
        shapes = [tuple(t.shape) for t in node.input_tensors]
        outs = _convert_layer(b, node.operation, ins, shapes, named)
        if len(outs) != len(node.output_tensors):
            raise ValueError(f"export: layer '{node.operation.name}' gives "
                             f"{len(node.output_tensors)} outputs; expected one.")
        names.update({id(t): n for t, n in zip(node.output_tensors, outs, strict=True)})
    return [names[id(t)] for t in model._flat_outputs]


def _value_info(onnx, name: str, shape, dtype):
    dims = ["batch" if i == 0 else (d if d is not None else f"{name}_dim{i}")
            for i, d in enumerate(shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def to_onnx(model, opset_version: int = DEFAULT_OPSET):
    """The model as an `onnx.ModelProto` (checked with onnx.checker)."""
    onnx = import_onnx("export")
    if not model.built:
        raise ValueError(f"export: model '{model.name}' is not built; expected a built model. "
                         "Hint: give it an Input, or call it on a batch, first.")
    b = GraphBuilder(onnx)
    graph_inputs = []
    for tensor in model.inputs:
        name = b.name(tensor._keras_history.operation.name if tensor._keras_history
                      else "input")
        graph_inputs.append(_value_info(onnx, name, tensor.shape, tensor.dtype))
    wanted = getattr(model, "output_names", None) or [model.layers[-1].name]
    output_names = [b.name(name) for name in wanted]  # reserved before the layers name theirs
    outs = _convert_model(b, model, [v.name for v in graph_inputs])
    graph_outputs = []
    for tensor, out, name in zip(model.outputs, outs, output_names, strict=True):
        b.nodes.append(onnx.helper.make_node("Identity", [out], [name], name=b.name(name)))
        graph_outputs.append(_value_info(onnx, name, tensor.shape, tensor.dtype))
    graph = onnx.helper.make_graph(b.nodes, model.name, graph_inputs, graph_outputs,
                                   b.initializers)
    proto = onnx.helper.make_model(graph, producer_name="deltaw",
                                   opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    proto.ir_version = min(proto.ir_version, 10)  # readable by onnxruntime releases of 2024+
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model, filepath, opset_version: int = DEFAULT_OPSET) -> None:
    """Write `model` (inference form) to `filepath` as ONNX.

    Args:
        model: A built Sequential or functional model.
        filepath: Where to write (any name; '.onnx' is usual).
        opset_version: The ONNX opset (17 or newer).

    Raises:
        ImportError: onnx is not installed.
        ValueError: A layer (or activation, or setting) has no ONNX form; the message names it.
    """
    if opset_version < DEFAULT_OPSET:
        raise ValueError(f"export: opset_version={opset_version} is too old; expected "
                         f"{DEFAULT_OPSET} or newer.")
    proto = to_onnx(model, opset_version)
    atomic_write(os.fspath(filepath), proto.SerializeToString())
