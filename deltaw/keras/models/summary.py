"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts, as plain text.

Keras 3 draws the table with the `rich` library; this module reproduces rich's plain-text
rendering of that table (heavy-head box, a rule between rows, fixed column widths shrunk evenly
to the line length, words wrapped and over-long words cut with '…') without depending on rich,
so `print_fn` receives the same text Keras 3 gives it.
"""

from __future__ import annotations

import math
import re
import shutil

from deltaw.keras.layers import nest

__all__ = ["print_summary", "readable_memory_size"]


def count_params(weights) -> int:
    return int(sum(math.prod(v.shape) for v in {id(v): v for v in weights}.values()))


def weight_memory_size(weights) -> int:
    """Bytes taken by the (deduplicated) weights."""
    return int(sum(math.prod(v.shape) * v.dtype.itemsize
                   for v in {id(v): v for v in weights}.values()))


def readable_memory_size(size: float) -> str:
    """'104.00 B', '11.00 KB', ... (Keras 3's rounding, powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _format_shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def format_layer_shape(layer) -> str:
    """The layer's output shape for the table; '?' when it is unknown."""
    if layer._inbound_nodes:
        shapes = nest.map_structure(lambda x: _format_shape(x.shape),
                                    layer._inbound_nodes[-1].outputs)
    elif layer._build_shapes is None:
        return "?"
    else:
        try:
            shapes = _format_shape(layer.output_shape)
        except (AttributeError, ValueError):
            try:
                shapes = nest.map_shape_structure(_format_shape,
                                                  layer.compute_output_shape(layer._build_shapes))
            except NotImplementedError:
                return "?"
    flat = nest.flatten(shapes)
    return flat[0] if len(flat) == 1 else str(shapes).replace("'", "")


def _kind(model):
    """(layers to list, whether the graph is a chain, the graph's nodes or None)."""
    from deltaw.keras.models.functional import Functional

    if not isinstance(model, Functional):
        return model.layers, True, None
    sequential_like, nodes = True, []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1
                                    and len(depth_nodes[0].input_tensors) > 1):
            sequential_like = False
            break
        nodes += depth_nodes
    if sequential_like:
        for layer in model.layers:
            if sum(1 for node in layer._inbound_nodes if node in nodes) > 1:
                sequential_like = False
                break
    relevant = [n for depth_nodes in model._nodes_by_depth.values() for n in depth_nodes]
    return model._operations, sequential_like, relevant


def _connections(layer, relevant) -> str:
    parts = []
    for node in layer._inbound_nodes:
        if relevant and node not in relevant:
            continue
        for t in node.input_tensors:
            op, node_index, tensor_index = t._keras_history
            parts.append(f"{op.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


def _layer_rows(layer, sequential_like, relevant, show_trainable, expand_nested, level=0):
    prefix = "   " * level + "└ " if level else ""
    if not layer.built:
        params = "0 (unbuilt)"
    else:
        params = f"{layer.count_params():,}"
    row = [f"{prefix}{layer.name} ({type(layer).__name__})", format_layer_shape(layer), params]
    if not sequential_like:
        row.append(_connections(layer, relevant))
    if show_trainable:
        row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
    rows = [row]
    if expand_nested and getattr(layer, "layers", None):
        for sub in layer.layers:
            rows += _layer_rows(sub, sequential_like, relevant, show_trainable, expand_nested,
                                level + 1)
    return rows


def _layer_range(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise ValueError(f"summary: layer_range must be two layer names; got {layer_range!r}.")
    low = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    high = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not low or not high:
        raise ValueError(f"summary: layer_range {list(layer_range)} matches no layer name; "
                         f"expected names among {[layer.name for layer in layers]}.")
    if min(low) > max(high):
        return min(high), max(low) + 1
    return min(low), max(high) + 1


# ----------------------------------------------------------------------------- table rendering


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=True)]
    total_ratio, remaining, out = sum(ratios), total, []
    if not total_ratio:
        return list(values)
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            cut = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - cut)
            remaining -= cut
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _wrap(text: str, width: int) -> list[str]:
    """rich's word wrap: break between words; a word longer than a line is cut with '…'."""
    lines = []
    for paragraph in text.split("\n"):
        breaks, offset = [], 0
        for match in re.finditer(r"\s*\S+\s*", paragraph):
            start, word = match.start(), match.group(0)
            length = len(word.rstrip())
            if width - offset >= length:
                offset += len(word)
            elif length > width or (offset and start):
                if start:
                    breaks.append(start)
                offset = len(word)
        bounds = [0, *breaks, len(paragraph)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            line = paragraph[a:b].rstrip()
            lines.append(line if len(line) <= width else line[: max(width - 1, 0)] + "…")
    return lines


def _justify(line: str, width: int, align: str) -> str:
    if align == "right":
        return line.rjust(width)
    if align == "center":
        left = (width - len(line)) // 2
        return (" " * left + line).ljust(width)
    return line.ljust(width)


def _render_table(header, rows, widths, aligns, line_length) -> list[str]:
    inner = line_length - (len(widths) + 1)
    widths = [w + 2 for w in widths]  # one space of padding each side
    if sum(widths) > inner:
        widths = _ratio_reduce(sum(widths) - inner, [1] * len(widths), widths, widths)

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    def row_lines(cells, edge):
        wrapped = [_wrap(str(c), w - 2) for c, w in zip(cells, widths, strict=True)]
        height = max(len(c) for c in wrapped)
        return [edge + edge.join(" " + _justify(c[i] if i < len(c) else "", w - 2, a) + " "
                                 for c, w, a in zip(wrapped, widths, aligns, strict=True)) + edge
                for i in range(height)]

    lines = [rule("┏", "┳", "┓", "━"), *row_lines(header, "┃"), rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines += row_lines(row, "│")
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def _column_widths(positions, line_length):
    if all(p <= 1 for p in positions):
        positions = [int(p * line_length) for p in positions]
    widths, current = [], 0
    for pos in positions:
        width = int(pos) - current
        if width < 4:
            raise ValueError(f"summary: the columns are too narrow to print; expected at least "
                             f"4 characters each, got positions {positions} for line_length "
                             f"{line_length}.")
        widths.append(width)
        current += width
    return widths


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None) -> None:
    """Print `model`'s summary as Keras 3 does (see `Model.summary`)."""
    layers, sequential_like, relevant = _kind(model)
    if sequential_like:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header, aligns = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        aligns = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header, aligns = header + ["Trainable"], aligns + ["center"]
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length)
    start, stop = _layer_range(layers, layer_range)
    rows = [row for layer in layers[start:stop]
            for row in _layer_rows(layer, sequential_like, relevant, show_trainable,
                                   expand_nested)]
    lines = [f'Model: "{model.name}"', *_render_table(header, rows, widths, aligns, line_length)]
    lines += _totals(model)
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


def _totals(model) -> list[str]:
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    counts = [("Total params", None), ("Trainable params", trainable),
              ("Non-trainable params", frozen)]
    optimizer = getattr(model, "optimizer", None)
    opt_vars = list(getattr(optimizer, "variables", []) or []) if (
        getattr(model, "compiled", False) and optimizer is not None
        and getattr(optimizer, "built", False)) else None
    total = count_params(trainable) + count_params(frozen) + count_params(opt_vars or [])
    total_size = (weight_memory_size(trainable) + weight_memory_size(frozen)
                  + weight_memory_size(opt_vars or []))
    lines = [f" Total params: {total:,} ({readable_memory_size(total_size)})"]
    for label, weights in counts[1:] + ([("Optimizer params", opt_vars)] if opt_vars is not None
                                        else []):
        lines.append(f" {label}: {count_params(weights):,} "
                     f"({readable_memory_size(weight_memory_size(weights))})")
    return lines
