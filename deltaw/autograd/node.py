"""Node: the record one op leaves in the graph during a forward pass."""

from __future__ import annotations


class _Freed:
    """Sentinel put in `Node.saved` once a backward sweep has consumed it."""

    __slots__ = ()

    def __repr__(self):
        return "FREED"


FREED = _Freed()


class Node:
    """What backward needs from one op application.

    `parents[i]` is the parent's Node when input i was computed by an op, the leaf Tensor itself
    when input i is a leaf that requires grad, and None when input i needs no gradient. A node never
    holds a non-leaf parent Tensor, so intermediate arrays die unless they are in `saved`.
    """

    __slots__ = ("op", "parents", "in_shapes", "saved", "needs", "versions", "out_id",
                 "__weakref__")

    def __init__(self, op, parents, in_shapes, saved, needs, versions, out_id):
        self.op = op
        self.parents = parents
        self.in_shapes = in_shapes
        self.saved = saved
        self.needs = needs
        # per parent: a leaf's version when recorded, else None; the whole field is None if no leaf
        self.versions = versions
        # id() of the output array: lets create_graph tell a saved array that IS this op's output
        # (or a consumer's saved input) from other arrays, without keeping the array alive
        self.out_id = out_id

    def __repr__(self):
        return f"<Node {self.op.name}>"
