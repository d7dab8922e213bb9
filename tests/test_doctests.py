"""Every `Example:` in deltaw's docstrings runs, with `dw` and `np` in scope, so none can drift.

Collected here rather than with --doctest-modules: a primitive's public callable is a closure made
in autograd/op.py, which doctest's module finder would skip.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import deltaw as dw
from deltaw.autograd.op import OPS

SKIP_MODULES = ("deltaw.examples",)  # runnable programs, tested in tests/examples


def _modules():
    names = ["deltaw"]
    for info in pkgutil.walk_packages(dw.__path__, "deltaw."):
        if not info.name.startswith(SKIP_MODULES) and not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _tests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            found[test.name] = test
    for op in OPS.values():
        public = getattr(importlib.import_module(op.forward.__module__), op.forward.__name__, None)
        if callable(public):
            for test in finder.find(public, f"{op.forward.__module__}.{op.forward.__name__}"):
                found.setdefault(test.name, test)
    return [found[k] for k in sorted(found) if found[k].examples]


@pytest.mark.parametrize("test", _tests(), ids=lambda t: t.name)
def test_docstring_example(test):
    test.globs = {"dw": dw, "np": np, **test.globs}
    report = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.append)
    assert not runner.summarize(verbose=False).failed, "".join(report)
