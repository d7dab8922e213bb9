"""The last Keras 3.15 names of issue 11, each compared with real Keras on the same program."""

import pytest

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
