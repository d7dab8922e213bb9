"""Linear algebra: matmul and einsum."""

from __future__ import annotations

import math
import string

import numpy as np

from deltaw.autograd.op import primitive


@primitive("matmul")
def matmul(xp, x1, x2):
    """Matrix product following NumPy's rules for 1-D and batched operands, as np.matmul.

    1-D x 1-D is the inner product; a 1-D first operand is a row vector and a 1-D second operand
    a column vector (the added axis is removed from the result); N-D operands are stacks of
    matrices whose batch axes broadcast.

    Raises:
        ValueError: an operand is 0-d, or the contracted axes differ in size.

    Example:
        >>> dw.matmul(dw.ones((2, 3)), dw.ones(3))
        tensor([3., 3.])
    """
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(f"matmul: scalar operands are not supported; got shapes {x1.shape} and "
                         f"{x2.shape}. Hint: use multiply (*) instead.")
    k1, k2 = x1.shape[-1], x2.shape[-2 if x2.ndim > 1 else 0]
    if k1 != k2:
        raise ValueError(f"matmul: shapes {x1.shape} and {x2.shape} do not align ({k1} != {k2}).")
    if x1.ndim > 2 and x2.ndim == 2:
        # a stack of matrices times one matrix: one GEMM over the flattened rows. NumPy's matmul
        # calls a GEMM per stacked matrix, 3x slower at (32, 64, 128) @ (128, 128)
        rows = math.prod(x1.shape[:-1])      # not -1: a size-0 operand cannot infer it
        return (x1.reshape(rows, k1) @ x2).reshape(*x1.shape[:-1], x2.shape[1]), (x1, x2)
    try:
        out = xp.matmul(x1, x2)
    except ValueError:
        raise ValueError(f"matmul: the batch axes of shapes {x1.shape} and {x2.shape} do not "
                         "broadcast; expected sizes that are equal or 1, right-aligned.") from None
    return out, (x1, x2)


@matmul.backward
def _matmul_backward(xp, g, saved, needs):
    x1, x2 = saved
    if x1.ndim == 2 and x2.ndim == 2:  # the common case, without the 1-D bookkeeping
        return (g @ x2.T if needs[0] else None, x1.T @ g if needs[1] else None)
    if x1.ndim > 2 and x2.ndim == 2 and g.shape == x1.shape[:-1] + x2.shape[1:]:
        # the forward's one-GEMM case: dL/dx2 = x1^T g summed over the stack is one GEMM over the
        # flattened rows, with no (stack, k, n) temporary for the engine to sum
        k, n = x2.shape
        rows = math.prod(x1.shape[:-1])
        g2 = g.reshape(rows, n)
        return ((g2 @ x2.T).reshape(x1.shape) if needs[0] else None,
                x1.reshape(rows, k).T @ g2 if needs[1] else None)
    # Treat 1-D operands as a row (x1) or a column (x2) so one pair of formulas covers every case.
    a = x1[None, :] if x1.ndim == 1 else x1
    b = x2[:, None] if x2.ndim == 1 else x2
    if x2.ndim == 1:
        g = g[..., None]
    if x1.ndim == 1:
        g = g[..., None, :]
    ga = xp.matmul(g, xp.swapaxes(b, -1, -2)) if needs[0] else None  # dL/da = g b^T
    gb = xp.matmul(xp.swapaxes(a, -1, -2), g) if needs[1] else None  # dL/db = a^T g
    if ga is not None and x1.ndim == 1:
        ga = ga[..., 0, :]
    if gb is not None and x2.ndim == 1:
        gb = gb[..., 0]
    return ga, gb  # batch axes that were broadcast are summed by the engine


# ----------------------------------------------------------------------------- einsum


def _parse(subscripts, shapes):
    """Explicit subscripts: a list of per-operand label strings and the output's labels.

    Ellipses become fresh capital letters (right-aligned, so operands with fewer axes share the
    trailing ones) and an implicit output (no '->') becomes NumPy's: the ellipsis labels, then the
    labels that appear once, in alphabetical order.
    """
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands; "
                         f"got {len(shapes)}.")
    used = set(spec) - set(",->.")
    bad = sorted(c for c in used if c not in string.ascii_letters)
    if bad:
        raise ValueError(f"einsum: invalid subscript characters {''.join(bad)!r} in "
                         f"{subscripts!r}; expected letters, ',', '->' and '...'.")
    free = [c for c in string.ascii_uppercase[::-1] + string.ascii_lowercase[::-1] if c not in used]
    n_ell = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes, strict=True)
                 if "..." in t), default=0)
    ell = "".join(free[:n_ell][::-1])
    labels = []
    for t, s in zip(terms, shapes, strict=True):
        if "..." in t:
            k = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != len(s):
            raise ValueError(f"einsum: term {t!r} has {len(t)} labels for an operand of shape "
                             f"{s}; expected {len(s)}.")
        labels.append(t)
    if arrow:
        out = output.replace("...", ell)
    else:
        counts = {c: inputs.count(c) for c in used}
        out = ell + "".join(sorted(c for c in used if counts[c] == 1))
    return labels, out


def _optimize(operands, g=None) -> bool:
    # path search (and BLAS) pays off for 3+ operands or large ones; tiny pairs run faster without
    n = len(operands) + (g is not None)
    return n > 2 or any(op.size >= 4096 for op in operands)


@primitive("einsum")
def _einsum(xp, *operands, subscripts):
    labels, out_labels = _parse(subscripts, [op.shape for op in operands])
    explicit = ",".join(labels) + "->" + out_labels
    try:
        out = xp.einsum(explicit, *operands, optimize=_optimize(operands))
    except ValueError as e:
        raise ValueError(f"einsum: {e} (subscripts {subscripts!r}, shapes "
                         f"{tuple(op.shape for op in operands)}).") from None
    return out, (operands, labels, out_labels)


@_einsum.backward
def _einsum_backward(xp, g, saved, needs):
    operands, labels, out_labels = saved
    grads = []
    for k, need in enumerate(needs):
        grads.append(_einsum_operand_grad(xp, g, operands, labels, out_labels, k) if need else None)
    return tuple(grads)


def _einsum_operand_grad(xp, g, operands, labels, out_labels, k):
    """d/d(operand k) of sum(g * einsum(...)): the einsum of g with the other operands."""
    mine = labels[k]
    unique = "".join(dict.fromkeys(mine))  # first-seen order; a repeated label is a diagonal
    others = [lab for i, lab in enumerate(labels) if i != k]
    available = set(out_labels).union(*others)
    # a label summed over in operand k alone reaches no other term: broadcast g back over it
    kept = "".join(c for c in unique if c in available)
    terms = ",".join([out_labels, *others]) + "->" + kept
    rest = [op for i, op in enumerate(operands) if i != k]
    grad = xp.einsum(terms, g, *rest, optimize=_optimize(rest, g))
    sizes = dict(zip(mine, operands[k].shape, strict=True))
    if len(kept) != len(unique):
        grad = grad.reshape([grad.shape[kept.index(c)] if c in kept else 1 for c in unique])
    # einsum broadcasts size-1 axes, so a label may have size 1 in the gradient but not in
    # operand k (spread it out) or the other way round (the engine sums it)
    target = tuple(max(n, sizes[c]) for n, c in zip(grad.shape, unique, strict=True))
    if grad.shape != target:
        grad = xp.broadcast_to(grad, target)
    if len(unique) == len(mine):
        return grad
    # repeated labels: the gradient lives on the diagonal and is zero elsewhere
    shape = operands[k].shape
    if xp is not np:  # create_graph: spread over the repeated axes and mask off the diagonal
        return _diagonal_graph(grad, mine, shape)
    full = xp.zeros(shape, dtype=grad.dtype)
    strides = [sum(full.strides[i] for i, c in enumerate(mine) if c == u) for u in unique]
    diag = xp.lib.stride_tricks.as_strided(full, [sizes[u] for u in unique], strides)
    diag[...] = grad
    return full


def einsum(subscripts, *operands):
    """Einstein summation, as np.einsum: label the axes of each operand, and every label that is
    missing from the output is summed over.

    Supports explicit ('ij,jk->ik') and implicit ('ij,jk') outputs, any number of operands,
    ellipses ('...ij,...jk->...ik'), traces and diagonals (repeated labels: 'ii->', 'ii->i'),
    transposes ('ij->ji') and sums ('ij->').

    Gradient: for each operand, the einsum of the output gradient with the other operands back to
    that operand's labels; a label that no other term mentions is broadcast back, and a repeated
    label puts the gradient on the diagonal (zero elsewhere).

    Raises:
        ValueError: the subscripts do not match the operands.

    Example:
        >>> dw.einsum("ij,jk->ik", dw.ones((2, 3)), dw.ones((3, 4))).shape
        (2, 4)
        >>> dw.einsum("ii->", dw.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5.)
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik'; got "
                        f"{type(subscripts).__name__}.")
    return _einsum(*operands, subscripts=subscripts)


def _diagonal_graph(grad, labels, shape):
    """`grad` (one axis per distinct label) placed on the diagonal of `shape`, from ops only."""
    first = {}
    for i, c in enumerate(labels):
        first.setdefault(c, i)
    spread = grad.reshape([n if first[c] == i else 1 for i, (c, n) in
                           enumerate(zip(labels, shape, strict=True))])
    mask = np.ones(shape, dtype=bool)
    for i, c in enumerate(labels):
        if first[c] != i:  # index along axis i equals the index along the label's first axis
            a = np.arange(shape[i]).reshape([-1 if j == i else 1 for j in range(len(shape))])
            b = np.arange(shape[first[c]]).reshape(
                [-1 if j == first[c] else 1 for j in range(len(shape))])
            mask &= a == b
    return spread * mask
