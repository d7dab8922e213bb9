"""The dependency direction of STYLE.md §2: base <- engine <- ops <- nn <- keras <- examples.

A module may import from its own layer or a lower one, never from a higher one (imports inside
functions count too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "deltaw"
# tensor.py's dunders call the ops (STYLE.md §3: imported at the bottom of tensor.py, on purpose)
ALLOWED = {("deltaw.tensor", "deltaw.ops")}
RANKS = {  # first matching prefix wins
    "deltaw.backend": 0, "deltaw.host_memory": 0, "deltaw.second_core": 0, "deltaw.dtypes": 0,
    "deltaw._checks": 0, "deltaw.io": 0,
    "deltaw.tensor": 1, "deltaw.autograd": 1, "deltaw.random": 1, "deltaw.creation": 1,
    "deltaw.ops": 2, "deltaw.distributed": 2, "deltaw.nn": 3, "deltaw.keras": 4,
    "deltaw.examples": 5, "deltaw.__main__": 5,
    "deltaw.diagnostics": 4,  # the doctor reads keras models; keras imports it lazily
}


def rank(module: str) -> int | None:
    for prefix, value in RANKS.items():
        if module == prefix or module.startswith(prefix + "."):
            return value
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, package: str):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield f"{base}.{node.module}" if node.module else base
            elif node.module == "deltaw":  # from deltaw import ops: the submodule is the target
                yield from (f"deltaw.{alias.name}" for alias in node.names)
            elif node.module:
                yield node.module


FILES = sorted(p for p in ROOT.rglob("*.py") if module_name(p) != "deltaw")


@pytest.mark.parametrize("path", FILES, ids=lambda p: module_name(p))
def test_imports_point_down(path):
    name = module_name(path)
    own = rank(name)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    upward = [m for m in imported(ast.parse(path.read_text()), package)
              if m.startswith("deltaw.") and (rank(m) or 0) > own and (name, m) not in ALLOWED]
    assert not upward, f"{name} (layer {own}) imports higher layers: {upward}"
