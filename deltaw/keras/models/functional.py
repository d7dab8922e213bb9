"""Functional models: `Model(inputs, outputs)` runs the layer calls recorded on KerasTensors.

`map_graph` walks back from the outputs through each tensor's `_keras_history` and orders the
nodes by depth exactly as Keras 3 does, so `model.layers`, `model.weights` and `get_weights()`
come out in Keras' order. Running the model executes the recorded layer calls from the deepest
nodes (the inputs) to the outputs, each on the values computed for its inputs.
"""

from __future__ import annotations

import collections

from deltaw.keras.layers import nest
from deltaw.keras.layers.core import Input, InputLayer
from deltaw.keras.layers.keras_tensor import KerasTensor, Node
from deltaw.keras.layers.layer import Layer
from deltaw.keras.layers.operation_layer import OperationLayer
from deltaw.keras.models.model import Model
from deltaw.ops import expand_dims, squeeze

__all__ = ["Functional", "check_model_inputs", "clone_graph_nodes", "map_graph"]


def _build_map(inputs: list, outputs: list):
    """Nodes reachable from `outputs`, each after the nodes it depends on (iterative DFS)."""
    input_ids = {id(t) for t in inputs}
    finished, in_progress, order, op_indices = set(), set(), [], {}
    for output in outputs:
        stack = [(output, None)]
        while stack:
            tensor, node = stack.pop()
            if node is not None:  # its inputs are done
                in_progress.discard(node)
                finished.add(node)
                order.append(node)
                continue
            op, node_index, _ = tensor._keras_history
            node = op._inbound_nodes[node_index]
            if node in finished:
                continue
            if not node.is_input and id(tensor) in input_ids:
                continue  # an input made by a layer: that layer is outside the graph (Keras 3)
            if node in in_progress:
                raise ValueError(f"Functional: the graph has a cycle through layer '{op.name}'.")
            op_indices.setdefault(op, len(op_indices))
            in_progress.add(node)
            stack.append((tensor, node))
            if not node.is_input and id(tensor) not in input_ids:
                stack.extend((t, None) for t in reversed(node.input_tensors))
    return order, op_indices


def map_graph(inputs: list, outputs: list):
    """(nodes_by_depth, operations) of the graph from `inputs` to `outputs`, as Keras' map_graph.

    Depth 0 holds the nodes producing the outputs; the inputs are deepest. `operations` (the
    model's layers) are ordered by decreasing depth, ties by first visit.
    """
    nodes, op_indices = _build_map(inputs, outputs)
    in_graph = set(nodes)
    node_depth, op_depth = {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(node, 0), op_depth.get(node.operation, 0))
        op_depth[node.operation] = node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:  # not the producer of an input made by a layer
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:
        op = t._keras_history.operation
        if op not in op_depth and isinstance(op, InputLayer):  # an unused Input
            op_depth[op], op_indices[op] = 0, -1
            node_depth[op._inbound_nodes[0]] = 0
    nodes_by_depth, ops_by_depth = collections.defaultdict(list), collections.defaultdict(list)
    for node, depth in node_depth.items():
        nodes_by_depth[depth].append(node)
    for op, depth in op_depth.items():
        ops_by_depth[depth].append(op)
    operations = []
    for depth in sorted(ops_by_depth, reverse=True):
        operations.extend(sorted(ops_by_depth[depth], key=lambda op: op_indices[op]))
    _check_connected(inputs, nodes_by_depth)
    return dict(nodes_by_depth), operations


def clone_graph_nodes(inputs, outputs):
    """(inputs, outputs) of a graph that starts at InputLayers, as Keras 3 makes it when an input
    is a layer's output: that input becomes a new Input named '<name>CLONE', and the calls from
    it to the outputs are recorded again on copies of their tensors (the layers are shared;
    the original tensors keep their history)."""
    flat_in = nest.flatten(inputs)
    mapping = {}
    for x in flat_in:
        mapping[id(x)] = x if isinstance(x._keras_history.operation, InputLayer) else \
            Input(batch_shape=x.shape, dtype=x.dtype, name=f"{x.name}CLONE")

    def sub(value):
        return mapping.get(id(value), value) if isinstance(value, KerasTensor) else value

    def copy(kt):
        return KerasTensor(kt.shape, kt.dtype, name=kt.name)

    nodes, _ = _build_map(flat_in, nest.flatten(outputs))
    for node in nodes:
        if node.is_input:
            continue
        new_outputs = nest.map_structure(copy, node.outputs)
        for old, new in zip(node.output_tensors, nest.flatten(new_outputs), strict=True):
            mapping[id(old)] = new
        Node(node.operation, nest.map_structure(sub, node.call_args),
             nest.map_structure(sub, node.call_kwargs), new_outputs)
    return (nest.pack_sequence_as(inputs, [mapping[id(x)] for x in flat_in]),
            nest.map_structure(sub, outputs))


def _check_connected(inputs, nodes_by_depth):
    computable, done = {id(t) for t in inputs}, []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue  # an Input the model was not given computes nothing
            for t in node.input_tensors:
                if id(t) not in computable:
                    raise ValueError(
                        f"Functional: graph disconnected; layer '{node.operation.name}' needs "
                        f"tensor '{t.name}', which no input leads to (layers reached: "
                        f"{done}). Hint: pass every Input the outputs depend on as `inputs`.")
            done.append(node.operation.name)
            computable.update(id(t) for t in node.output_tensors)


def _rank_tolerant(x_shape, want):
    """The rank change that makes `x_shape` fit `want`: 'squeeze', 'expand' or None (Keras 3)."""
    if len(x_shape) == len(want) + 1 and x_shape[-1] == 1:
        return "squeeze"
    if len(x_shape) == len(want) - 1 and want and want[-1] == 1:
        return "expand"
    return None


def check_model_inputs(model, flat_inputs: list, refs: list, adjust: bool = False) -> list:
    """Check inputs against the model's Input shapes (batch axis and None sizes are free).

    A trailing size-1 axis may be missing or extra (Keras 3 squeezes or expands it). With
    `adjust`, returns the inputs with that axis fixed.

    Raises:
        ValueError: `Model '<name>': expected input shape (None, 30), got (32, 12).`
    """
    if len(flat_inputs) != len(refs):
        raise ValueError(f"Model '{model.name}': expected {len(refs)} inputs, got "
                         f"{len(flat_inputs)}.")
    out = []
    for i, (x, ref) in enumerate(zip(flat_inputs, refs, strict=True)):
        if x is None:
            out.append(x)
            continue
        shape, want = tuple(x.shape), ref.shape
        change = _rank_tolerant(shape, want) if len(shape) != len(want) else None
        fixed = shape[:-1] if change == "squeeze" else (*shape, 1) if change == "expand" \
            else shape
        if len(fixed) != len(want) or any(w is not None and s is not None and w != s
                                          for w, s in zip(want[1:], fixed[1:], strict=True)):
            label = "input shape" if len(refs) == 1 else f"input {i} ('{ref.name}') shape"
            raise ValueError(f"Model '{model.name}': expected {label} {want}, got {shape}.")
        if adjust and change == "squeeze":
            x = squeeze(x, -1)
        elif adjust and change == "expand":
            x = expand_dims(x, -1)
        out.append(x)
    return out


def _produces_mask(layer) -> bool:
    return layer.supports_masking or type(layer).compute_mask is not Layer.compute_mask


class Functional(Model):
    """A model defined by its input and output KerasTensors: `Model(inputs, outputs)`.

    Args:
        inputs: A KerasTensor from `Input(...)`, or a list or dict of them. An input may also
            be a layer's output: the model then starts there, at a new Input (as in Keras 3,
            see `clone_graph_nodes`).
        outputs: KerasTensor(s) computed from `inputs` by layer calls (single, list or dict).
        name: Model name; defaults to 'functional', 'functional_1', ...
        trainable: Whether the model's weights are trainable.

    `model.layers` lists the InputLayers too, as Keras 3's functional models do. Calling the
    model on arrays runs the recorded layer calls; calling it on KerasTensors nests it in a
    bigger functional model (its layers, and so its weights, are shared).
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        where = f"Functional '{self.name}'"
        flat_in, flat_out = nest.flatten(inputs), nest.flatten(outputs)
        for what, flat in (("inputs", flat_in), ("outputs", flat_out)):
            for x in flat:
                if not isinstance(x, KerasTensor) or x._keras_history is None:
                    raise TypeError(f"{where}: every value of `{what}` must be a KerasTensor "
                                    f"(from Input(...) or a layer call); got "
                                    f"{type(x).__name__}.")
        if not all(isinstance(x._keras_history.operation, InputLayer) for x in flat_in):
            inputs, outputs = clone_graph_nodes(inputs, outputs)
            flat_in, flat_out = nest.flatten(inputs), nest.flatten(outputs)
        self._inputs_struct = list(inputs) if isinstance(inputs, tuple) else inputs
        self._outputs_struct = list(outputs) if isinstance(outputs, tuple) else outputs
        self._flat_inputs, self._flat_outputs = flat_in, flat_out
        self._nodes_by_depth, operations = map_graph(flat_in, flat_out)
        self._check_unique_names(operations)
        self._operations = operations
        self._network_nodes = {id(n) for nodes in self._nodes_by_depth.values() for n in nodes}
        self._exec_nodes = [n for d in sorted(self._nodes_by_depth, reverse=True)
                            for n in self._nodes_by_depth[d] if not n.is_input]
        self.output_names = [x._keras_history.operation.name for x in flat_out]
        self._build_shapes = nest.map_structure(lambda x: x.shape, self._inputs_struct)
        self.built = True

    def _check_unique_names(self, operations):
        seen = set()
        for op in operations:
            if op.name in seen:
                raise ValueError(f"Functional '{self.name}': the layer name '{op.name}' is used "
                                 "more than once in the model; expected unique names.")
            seen.add(op.name)

    def _sublayers(self):
        return self.__dict__.get("_operations", [])

    @property
    def layers(self) -> list:
        """The model's layers, without the operation nodes that operators and keras.ops calls on
        KerasTensors recorded (Keras 3 lists those in `operations` only)."""
        return [op for op in self._operations if not isinstance(op, OperationLayer)]

    @property
    def operations(self) -> list:
        """Every node's operation, layers and recorded operations alike, in graph order."""
        return list(self._operations)

    @property
    def inputs(self) -> list:
        return list(self._flat_inputs)

    @property
    def outputs(self) -> list:
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self) -> list:
        return [x.name for x in self._flat_inputs]

    def _standardize_inputs(self, inputs) -> list:
        struct = self._inputs_struct
        if isinstance(inputs, dict) and not isinstance(struct, dict):
            names = [x.name for x in self._flat_inputs]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': the input dict lacks keys {missing}; "
                                 f"expected keys {names}, got {sorted(inputs)}.")
            return [inputs[n] for n in names]
        if isinstance(struct, list) and len(struct) == 1 and not isinstance(inputs, list | tuple):
            return [inputs]
        return nest.flatten(inputs)

    def _check_inputs(self, inputs) -> None:
        check_model_inputs(self, self._standardize_inputs(inputs), self._flat_inputs)

    def call(self, inputs, training=None, mask=None):
        flat = check_model_inputs(self, self._standardize_inputs(inputs), self._flat_inputs,
                                  adjust=True)
        masks = [None] * len(flat) if mask is None else nest.flatten(mask)
        values = {id(kt): x for kt, x in zip(self._flat_inputs, flat, strict=True)}
        mask_of = {id(kt): m for kt, m in zip(self._flat_inputs, masks, strict=False)
                   if m is not None}
        for node in self._exec_nodes:
            args, kwargs = node.resolve(values)
            layer = node.operation
            if training is not None and "training" not in kwargs:
                kwargs["training"] = training
            in_mask = None
            if mask_of:
                found = [mask_of.get(id(t)) for t in node.input_tensors]
                in_mask = found[0] if len(found) == 1 else (
                    found if any(m is not None for m in found) else None)
                if in_mask is not None and "mask" not in kwargs:
                    kwargs["mask"] = in_mask
            outs = layer(*args, **kwargs)
            for kt, value in zip(node.output_tensors, nest.flatten(outs), strict=True):
                values[id(kt)] = value
            if (in_mask is not None or _produces_mask(layer)) and len(node.output_tensors) == 1:
                out_mask = layer.compute_mask(args[0], in_mask)
                if out_mask is not None:
                    mask_of[id(node.output_tensors[0])] = out_mask
        return nest.pack_sequence_as(self._outputs_struct,
                                     [values[id(kt)] for kt in self._flat_outputs])

    def compute_output_spec(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        values = {id(kt): x for kt, x in zip(self._flat_inputs, flat, strict=True)}
        for node in self._exec_nodes:
            args, kwargs = node.resolve(values)
            outs = node.operation.compute_output_spec(*args, **kwargs)
            for kt, value in zip(node.output_tensors, nest.flatten(outs), strict=True):
                values[id(kt)] = value
        return nest.pack_sequence_as(self._outputs_struct,
                                     [values[id(kt)] for kt in self._flat_outputs])

    def compute_output_shape(self, input_shape):
        specs = nest.map_shape_structure(lambda s: KerasTensor(s), input_shape)
        return nest.map_structure(lambda kt: kt.shape, self.compute_output_spec(specs))

    def get_config(self) -> dict:
        from deltaw.keras.models.config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from deltaw.keras.models.config import functional_from_config

        return functional_from_config(cls, config, custom_objects)
