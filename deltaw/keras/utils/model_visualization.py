"""`plot_model`: a picture of a model's layers, their shapes and connections.

Keras draws the graph with pydot and Graphviz. deltaw draws it itself with Pillow (imported when
called), so nothing beyond Pillow needs installing: one box per layer, ranked by depth from the
inputs (top to bottom, or left to right with `rankdir="LR"`), and an arrow for each connection.
The image format follows `to_file`'s extension (png, jpg, gif, bmp, pdf, ...).
"""

from __future__ import annotations

import os

__all__ = ["plot_model"]

_MARGIN, _GAP_MAIN, _GAP_CROSS, _PAD = 20, 50, 30, 10


def _shape_text(tensors) -> str:
    shapes = [tuple(t.shape) for t in tensors]
    text = ", ".join("(" + ", ".join(str(d) for d in s) + ")" for s in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _graph(model):
    """(layers, edges as (i, j) index pairs, inbound input tensors per layer)."""
    from deltaw.keras.models.functional import Functional
    from deltaw.keras.models.sequential import Sequential

    if isinstance(model, Functional):
        layers = list(model._operations)
        index = {id(layer): i for i, layer in enumerate(layers)}
        relevant = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}
        edges, inputs = [], {}
        for j, layer in enumerate(layers):
            for node in layer._inbound_nodes:
                if id(node) not in relevant:
                    continue
                inputs.setdefault(j, []).extend(node.input_tensors)
                for tensor in node.input_tensors:
                    source = index.get(id(tensor._keras_history.operation))
                    if source is not None and (source, j) not in edges:
                        edges.append((source, j))
        return layers, edges, inputs
    layers = list(model.layers)
    chain = isinstance(model, Sequential)
    edges = [(i, i + 1) for i in range(len(layers) - 1)] if chain else []
    return layers, edges, {}


def _depths(count, edges):
    """Longest-path depth of each layer from the graph's sources."""
    depth = [0] * count
    for _ in range(count):   # edges follow the layers' topological order; a few passes settle
        changed = False
        for i, j in edges:
            if depth[j] < depth[i] + 1:
                depth[j], changed = depth[i] + 1, True
        if not changed:
            break
    return depth


def _label(layer, inputs, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    from deltaw.keras.models.summary import format_layer_shape

    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        activation = layer.activation
        lines.append(f"Activation: {getattr(activation, '__name__', activation)}")
    if show_dtype:
        lines.append(f"dtype: {getattr(layer, 'dtype', None)}")
    if show_shapes:
        if inputs:
            lines.append(f"Input shape: {_shape_text(inputs)}")
        lines.append(f"Output shape: {format_layer_shape(layer)}")
    if show_trainable:
        lines.append(f"Trainable: {'Y' if layer.trainable else 'N'}")
    return lines


def layout(model, show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB",
           show_layer_activations=False, show_trainable=False, font=None):
    """Boxes and arrows of `plot_model`'s picture, before drawing.

    Returns:
        `(boxes, edges, size)`: `boxes` a list of `(lines, (x0, y0, x1, y1))` per layer,
        `edges` index pairs, `size` the picture's `(width, height)`.
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR'; got rankdir={rankdir!r}.")
    layers, edges, inputs = _graph(model)
    if not layers:
        raise ValueError("plot_model: the model has no layers to plot; expected a built model.")
    labels = [_label(layer, inputs.get(i), show_shapes, show_dtype, show_layer_names,
                     show_layer_activations, show_trainable) for i, layer in enumerate(layers)]
    line_h = (font.getbbox("Ag")[3] + 4) if font is not None else 14
    sizes = [(2 * _PAD + max(_text_width(font, line) for line in lines),
              2 * _PAD + line_h * len(lines)) for lines in labels]
    depth = _depths(len(layers), edges)
    ranks = [[i for i in range(len(layers)) if depth[i] == d] for d in range(max(depth) + 1)]
    main = 1 if rankdir == "TB" else 0            # the axis along which depth grows
    rank_extent = [max(sizes[i][main] for i in rank) for rank in ranks]
    rank_width = [sum(sizes[i][1 - main] for i in rank) + _GAP_CROSS * (len(rank) - 1)
                  for rank in ranks]
    cross_total = max(rank_width)
    boxes = [None] * len(layers)
    along = _MARGIN
    for r, rank in enumerate(ranks):
        across = _MARGIN + (cross_total - rank_width[r]) / 2
        for i in rank:
            w, h = sizes[i]
            if main == 1:
                boxes[i] = (across, along, across + w, along + h)
                across += w + _GAP_CROSS
            else:
                boxes[i] = (along, across, along + w, across + h)
                across += h + _GAP_CROSS
        along += rank_extent[r] + _GAP_MAIN
    extent = along - _GAP_MAIN + _MARGIN
    cross = cross_total + 2 * _MARGIN
    size = (int(cross), int(extent)) if main == 1 else (int(extent), int(cross))
    return [(labels[i], boxes[i]) for i in range(len(layers))], edges, size


def _text_width(font, text):
    return font.getbbox(text)[2] if font is not None else 7 * len(text)


def _arrow(draw, start, end, width):
    import math

    draw.line([start, end], fill="black", width=width)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    head = 6 * width
    left = (end[0] - head * math.cos(angle - 0.4), end[1] - head * math.sin(angle - 0.4))
    right = (end[0] - head * math.cos(angle + 0.4), end[1] - head * math.sin(angle + 0.4))
    draw.polygon([end, left, right], fill="black")


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layers and connections to an image file, as `keras.utils.plot_model`.

    Args:
        model: A built Sequential or functional model (a subclassed model's layers are drawn
            without connections, which its code alone defines).
        to_file: Output file; its extension chooses the format.
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's dtype.
        show_layer_names: Show each layer's name beside its class.
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right).
        expand_nested: Accepted for Keras compatibility; nested models are drawn as one box.
        dpi: Resolution: text is drawn at `dpi / 100` times the base size and the value is
            stored in the file.
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Show whether each layer is trainable.
        **kwargs: Keras' other arguments (`layer_range`, `show_layer_names` aliases); ignored.

    Returns:
        An `IPython.display.Image` of the file when IPython is installed, else None.

    Raises:
        ImportError: Pillow is not installed.
        ValueError: a model without layers, or a bad `rankdir`.
    """
    from deltaw.keras.utils.image_utils import _pil

    image_module = _pil("plot_model")
    from PIL import ImageDraw, ImageFont

    scale = max(1.0, dpi / 100)
    font = ImageFont.load_default(size=round(12 * scale))
    boxes, edges, size = layout(model, show_shapes, show_dtype, show_layer_names, rankdir,
                                show_layer_activations, show_trainable, font)
    img = image_module.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    line_h = font.getbbox("Ag")[3] + 4
    width = max(1, round(scale))
    for i, j in edges:
        (x0, y0, x1, y1), (u0, v0, u1, v1) = boxes[i][1], boxes[j][1]
        if rankdir == "TB":
            _arrow(draw, ((x0 + x1) / 2, y1), ((u0 + u1) / 2, v0), width)
        else:
            _arrow(draw, (x1, (y0 + y1) / 2), (u0, (v0 + v1) / 2), width)
    for lines, (x0, y0, x1, y1) in boxes:
        draw.rectangle((x0, y0, x1, y1), outline="black", fill="#e8eef7", width=width)
        for k, line in enumerate(lines):
            draw.text((x0 + _PAD, y0 + _PAD + k * line_h), line, fill="black", font=font)
    fmt = os.path.splitext(os.fspath(to_file))[1].lstrip(".").lower() or "png"
    img.save(to_file, format={"jpg": "jpeg"}.get(fmt, fmt), dpi=(dpi, dpi))
    try:
        from IPython import display
    except ImportError:
        return None
    return display.Image(filename=os.fspath(to_file))
