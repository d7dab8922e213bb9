"""A small builder of ONNX graphs: constants, nodes and unique names (onnx imported lazily)."""

from __future__ import annotations

import numpy as np

__all__ = ["GraphBuilder", "import_onnx"]


def import_onnx(where: str):
    """The onnx module, or an ImportError that says what to install."""
    try:
        import onnx
    except ImportError:
        raise ImportError(f"{where}: ONNX export needs the onnx package; expected it "
                          "installed. Hint: pip install 'deltaw[onnx]' (or pip install onnx)."
                          ) from None
    return onnx


class GraphBuilder:
    """Collects the nodes and initializers of one ONNX graph.

    Args:
        onnx: The onnx module.
    """

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers = [], []
        self._used: set[str] = set()

    def name(self, hint: str) -> str:
        """A tensor or node name not used before, derived from `hint`."""
        base, i = hint.replace("/", "_"), 0
        name = base
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._used.add(name)
        return name

    def const(self, array, hint: str) -> str:
        """An initializer holding `array` (a copy); returns its name."""
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array(array), name))
        return name

    def op(self, op_type: str, inputs, hint: str, **attributes) -> str:
        """Append one node with a single output; returns the output's name."""
        out = self.name(hint)
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out],
                                                     name=self.name(f"{hint}_{op_type}"),
                                                     **attributes))
        return out
