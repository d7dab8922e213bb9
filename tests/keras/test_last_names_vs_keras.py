"""The last Keras 3.15 names of issue 11, each compared with real Keras on the same program."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)


def _two_branch(lib):
    a = lib.Input((3,), name="a")
    b = lib.Input((3,), name="b")
    h = lib.layers.Dense(4)(a)
    s = lib.layers.Add()([h, lib.layers.Dense(4)(b)])
    return a, b, lib.layers.Dense(2)(lib.layers.Concatenate()([s, h]))


@pytest.mark.parametrize("lib", [dk, keras], ids=["deltaw", "keras"])
def test_get_source_inputs_finds_each_input_once(lib):
    a, b, out = _two_branch(lib)
    sources = lib.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert lib.utils.get_source_inputs(a) == [a]
    assert lib.utils.get_source_inputs(5) == 5      # not symbolic: returned as given


def test_get_source_inputs_order_matches_keras():
    def names(lib):
        a, b, _ = _two_branch(lib)
        c = lib.layers.Multiply()([b, a])
        return [x.name for x in lib.utils.get_source_inputs(c)]

    assert names(dk) == names(keras) == ["b", "a"]


def test_get_source_inputs_through_operations():
    x = dk.Input((3,))
    y = dk.Input((3,))
    z = (x + 1.0) * y
    sources = dk.utils.get_source_inputs(z)
    assert len(sources) == 2 and sources[0] is x and sources[1] is y


def _paths(lib):
    with lib.name_scope("outer"):
        v = lib.Variable(1.0, name="v")
        with lib.name_scope("inner"):
            w = lib.Variable(1.0, name="w")
        with lib.name_scope("block", override_parent="top"):
            o = lib.Variable(1.0, name="o")
    after = lib.Variable(1.0, name="after")
    return [v.path, w.path, o.path, after.path]


def test_name_scope_gives_variable_paths_as_keras():
    assert _paths(dk) == _paths(keras) == ["outer/v", "outer/inner/w", "top/block/o", "after"]


def test_name_scope_deduplicates_the_same_caller():
    caller = object()
    with dk.name_scope("s", caller=caller), dk.name_scope("s", caller=caller):
        assert dk.Variable(1.0, name="v").path == "s/v"


@pytest.mark.parametrize("lib", [dk, keras], ids=["deltaw", "keras"])
def test_name_scope_refuses_a_slash(lib):
    with pytest.raises(ValueError, match="cannot contain"):
        lib.name_scope("a/b")



def _ema_fit(lib, weights, swap_on_epoch):
    """Three epochs of SGD with an EMA; returns the initial weights, history and final weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) + 0.1).astype("float32")
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh"),
                            lib.layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    initial = [kr.to_numpy(w) for w in model.get_weights()]
    model.compile(optimizer=lib.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:32], y[:32]),
                        callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
    evaluated = model.evaluate(x, y, verbose=0)
    final = [kr.to_numpy(w) for w in model.get_weights()]
    return initial, history.history, evaluated, final


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_matches_keras(swap_on_epoch):
    with kr.quiet():
        initial, k_hist, k_eval, k_final = _ema_fit(keras, None, swap_on_epoch)
    _, d_hist, d_eval, d_final = _ema_fit(dk, initial, swap_on_epoch)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(d_hist[key], k_hist[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_eval, k_eval, rtol=1e-5, atol=1e-6)
    for d, k in zip(d_final, k_final, strict=True):
        np.testing.assert_allclose(d, k, rtol=1e-5, atol=1e-6)


def test_swap_ema_weights_needs_use_ema():
    model = dk.Sequential([dk.Input((4,)), dk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(np.zeros((4, 4)), np.zeros((4, 1)), verbose=0, validation_split=0.5,
                  callbacks=[dk.callbacks.SwapEMAWeights()])


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "mixed_float16",
                                  "mixed_bfloat16", "int32"])
@pytest.mark.parametrize("cls", ["DTypePolicy", "FloatDTypePolicy"])
def test_dtype_policy_matches_keras(cls, name):
    ours, theirs = getattr(dk, cls)(name), getattr(keras, cls)(name)
    for attr in ("name", "compute_dtype", "variable_dtype", "quantization_mode"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs) and ours.get_config() == theirs.get_config()
    assert dk.DTypePolicy.from_config(theirs.get_config()) == ours


@pytest.mark.parametrize("bad, error", [("foo", ValueError), (3, TypeError)])
def test_dtype_policy_refuses_what_keras_refuses(bad, error):
    with pytest.raises(error, match="'name' must be a string|Cannot convert 'foo'"):
        dk.DTypePolicy(bad)
    with pytest.raises(error):
        keras.DTypePolicy(bad)


def test_layers_take_a_dtype_policy():
    layer = dk.layers.Dense(2, dtype=dk.DTypePolicy("float64"))
    out = layer(np.ones((1, 3)))
    assert layer.dtype == layer.compute_dtype == "float64" and out.dtype == np.float64
    assert layer.dtype_policy == dk.DTypePolicy("float64")
    assert dk.DTypePolicy() == dk.DTypePolicy("float32") != dk.FloatDTypePolicy("float64")
    with pytest.raises(ValueError, match="mixed precision"):
        dk.layers.Dense(2, dtype=dk.DTypePolicy("mixed_float16"))


def test_convert_input_casts_floats_only():
    policy = dk.DTypePolicy("float16")
    assert policy.convert_input(np.ones(2, "float32"), True, "float16").dtype == np.float16
    assert policy.convert_input(np.ones(2, "int32"), True, "float16").dtype == np.int32
    assert policy.convert_input(np.ones(2, "float32"), False, "float16").dtype == np.float32


def _config_session(lib):
    """Every Config behaviour in one script; returns what it observed."""
    seen = []
    config = lib.utils.Config(learning_rate=0.1, momentum=0.9)
    config.units = 8
    config["depth"] = 3
    seen += [config.learning_rate, config["units"], config.depth, len(config), list(config),
             "units" in config, config.get("absent", "dflt"), repr(config), config.to_json(),
             config.as_dict(), sorted(config.keys()), config.pop("depth")]
    try:
        seen.append(config.learnig_rate)
    except AttributeError as e:
        seen.append(str(e))
    config.freeze()
    seen.append(config.frozen)
    for change in (lambda: setattr(config, "units", 1), lambda: config.update(units=2),
                   lambda: config.__setitem__("units", 3), lambda: config.__delitem__("units"),
                   lambda: config.pop("units")):
        try:
            change()
        except ValueError as e:
            seen.append(str(e))
    config.unfreeze()
    config.update({"units": 16})
    del config["momentum"]
    seen += [config.units, config.frozen, config.as_dict()]
    return seen


def test_config_behaves_as_keras():
    assert _config_session(dk) == _config_session(keras)


_IMAGES = np.random.default_rng(3).uniform(0, 1, size=(2, 7, 9, 3)).astype("float32")


@pytest.mark.parametrize("method", ["linear", "bilinear", "cubic", "tricubic", "lanczos3",
                                    "lanczos5"])
@pytest.mark.parametrize("shape, scale, translation, antialias", [
    ((2, 12, 5, 3), [12 / 7, 5 / 9], [0.0, 0.0], True),       # up in one axis, down in the other
    ((2, 7, 9, 3), [1.3, 0.8], [-1.5, 2.25], True),           # shifted: borders fall outside
    ((2, 4, 4, 3), [0.5, 0.4], [0.3, 0.0], False),
])
def test_scale_and_translate_matches_keras(method, shape, scale, translation, antialias):
    args = (shape, np.array(scale, "float32"), np.array(translation, "float32"), (1, 2), method,
            antialias)
    ours = dk.ops.image.scale_and_translate(_IMAGES, *args)
    theirs = kr.to_numpy(keras.ops.image.scale_and_translate(_IMAGES, *args))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5, atol=1e-6)


def test_scale_and_translate_integer_images_match_keras():
    images = (_IMAGES[0] * 255).astype("uint8")
    args = ((10, 6, 3), np.array([1.4, 0.7], "float32"), np.array([0.5, -0.5], "float32"),
            (0, 1), "cubic")
    ours = dk.ops.image.scale_and_translate(images, *args)
    theirs = kr.to_numpy(keras.ops.image.scale_and_translate(images, *args))
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs)


def test_scale_and_translate_gradient_and_errors():
    x = dw.tensor(_IMAGES[0, :4, :5, :1].astype("float64"), requires_grad=True)
    assert dw.gradcheck(lambda t: dk.ops.image.scale_and_translate(
        t, (6, 3, 1), [1.5, 0.6], [0.2, -0.1], (0, 1), "lanczos3"), [x])
    with pytest.raises(ValueError, match="method"):
        dk.ops.image.scale_and_translate(_IMAGES, _IMAGES.shape, [1, 1], [0, 0], (1, 2), "area")
    with pytest.raises(ValueError, match="same length"):
        dk.ops.image.scale_and_translate(_IMAGES, _IMAGES.shape, [1], [0, 0], (1, 2), "linear")


class _Recorder:
    """A local HTTP server that records each POST's path, content type and body."""

    def __init__(self):
        import http.server
        import threading

        posts = self.posts = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                posts.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"),
                              body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_what_keras_posts(send_as_json):
    pytest.importorskip("requests", reason="Keras' RemoteMonitor needs requests")
    import json
    import urllib.parse

    def posts(lib):
        server = _Recorder()
        try:
            monitor = lib.callbacks.RemoteMonitor(root=server.url, path="/ep/", field="payload",
                                                  headers={"X-Run": "7"},
                                                  send_as_json=send_as_json)
            for epoch in range(2):
                monitor.on_epoch_end(epoch, {"loss": np.float32(0.5 / (epoch + 1)),
                                             "acc": np.array(0.25), "lr": 0.01})
        finally:
            server.close()
        out = []
        for path, kind, run, body in server.posts:
            fields = (json.loads(body) if send_as_json else
                      json.loads(urllib.parse.parse_qs(body.decode())["payload"][0]))
            out.append((path, kind, run, fields))
        return out

    ours = posts(dk)
    assert ours == posts(keras)
    assert [p[3] for p in ours] == [{"epoch": 0, "loss": 0.5, "acc": 0.25, "lr": 0.01},
                                    {"epoch": 1, "loss": 0.25, "acc": 0.25, "lr": 0.01}]


def test_remote_monitor_warns_when_the_server_is_away():
    server = _Recorder()
    url = server.url
    server.close()                      # nothing listens on that port any more
    monitor = dk.callbacks.RemoteMonitor(root=url)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


def _dot_graph(lib, dot, model):
    """The dot graph's nodes and edges, in layer names (node ids are str(id(layer)))."""
    ops = model.layers if isinstance(model, lib.Sequential) else model._operations
    name = {str(id(layer)): layer.name for layer in ops}
    nodes = sorted(name[n.get_name().strip('"')] for n in dot.get_nodes()
                   if n.get_name().strip('"') in name)
    edges = sorted((name[e.get_source().strip('"')], name[e.get_destination().strip('"')])
                   for e in dot.get_edges())
    return nodes, edges


def _dot_models(lib):
    a = lib.Input((3,), name="a")
    b = lib.Input((3,), name="b")
    h = lib.layers.Dense(4, name="h")(a)
    s = lib.layers.Add(name="s")([h, lib.layers.Dense(4, name="g")(b)])
    out = lib.layers.Dense(2, name="out")(lib.layers.Concatenate(name="c")([s, h]))
    functional = lib.Model([a, b], out, name="fm")
    sequential = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, name="d1"),
                                 lib.layers.Dense(1, name="d2")], name="sq")
    return functional, sequential


def test_model_to_dot_has_keras_nodes_and_edges():
    pytest.importorskip("pydot", reason="model_to_dot needs pydot")
    ours, theirs = _dot_models(dk), _dot_models(keras)
    for o, t in zip(ours, theirs, strict=True):
        d_dot = dk.utils.model_to_dot(o, show_shapes=True)
        k_dot = keras.utils.model_to_dot(t, show_shapes=True)
        nodes, edges = _dot_graph(dk, d_dot, o)
        assert (nodes, edges) == _dot_graph(keras, k_dot, t)
        assert ("d1", "d2") in edges or ("c", "out") in edges
        for key in ("rankdir", "concentrate", "dpi", "splines"):
            assert str(d_dot.get(key)) == str(k_dot.get(key)), key
    cluster = dk.utils.model_to_dot(ours[1], subgraph=True)
    assert cluster.get_label() == keras.utils.model_to_dot(theirs[1], subgraph=True).get_label()
    labels = [n.get_label() for n in dk.utils.model_to_dot(ours[0], show_shapes=True).get_nodes()
              if n.get_label()]
    assert any("out (Dense)" in label and "(None, 2)" in label for label in labels)
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        dk.utils.model_to_dot(ours[0], colour="red")


def _np(value):
    """A deltaw Tensor or a Keras (torch) tensor as a NumPy array."""
    return value.numpy() if isinstance(value, dw.Tensor) else kr.to_numpy(value)


def _function_session(lib):
    a = lib.Input((3,), name="a")
    dense = lib.layers.Dense(2, name="h")
    h = dense(a)
    f = lib.Function(a, lib.ops.exp(h), name="fn")
    dense.set_weights([np.arange(6, dtype="float32").reshape(3, 2) / 10,
                       np.array([0.1, -0.2], "float32")])
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    symbolic = f(lib.Input((3,)))
    spec = f.compute_output_spec(lib.KerasTensor((None, 3)))
    return (f.name, [op.name for op in f.operations], [t.name for t in f.inputs],
            len(f.outputs), _np(f(x)), tuple(symbolic.shape), tuple(spec.shape))


def test_function_runs_its_graph_as_keras():
    ours, theirs = _function_session(dk), _function_session(keras)
    assert ours[:4] == theirs[:4] and ours[5:] == theirs[5:] == ((None, 2), (None, 2))
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)


def _operation_session(lib):
    class Doubled(lib.Operation):
        def call(self, x, y):
            return lib.ops.add(x, y) * 2

        def compute_output_spec(self, x, y):
            return lib.KerasTensor(x.shape, x.dtype)

    op = Doubled(name="my")
    out = op(np.ones(2, "float64"), np.full(2, 0.5))
    symbolic = op(lib.Input((3,)), lib.Input((3,)))
    return (op.name, Doubled().name.startswith("doubled"), _np(out).tolist(),
            str(_np(out).dtype), tuple(symbolic.shape),
            isinstance(lib.layers.Dense(2), lib.Operation), isinstance(op, lib.Operation))


def test_operation_subclass_behaves_as_keras():
    assert _operation_session(dk) == _operation_session(keras) == (
        "my", True, [3.0, 3.0], "float64", (None, 3), True, True)


def test_model_to_dot_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pydot", None)      # import pydot now raises ImportError
    model = _dot_models(dk)[1]
    with pytest.raises(ImportError, match=r"pip install pydot"):
        dk.utils.model_to_dot(model)
    with pytest.raises(ValueError, match="not yet been built"):
        dk.utils.model_to_dot(dk.Sequential([dk.layers.Dense(2)]))
