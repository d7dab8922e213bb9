"""List or run the shipped examples."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import deltaw.examples


def available() -> dict[str, str]:
    names = {}
    for info in pkgutil.iter_modules(deltaw.examples.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"deltaw.examples.{info.name}")
            names[info.name] = (module.__doc__ or "").strip().splitlines()[0]
    return names


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    examples = available()
    if not argv:
        print("deltaw examples (run one with: python -m deltaw.examples NAME)\n")
        width = max(map(len, examples))
        for name, summary in sorted(examples.items()):
            print(f"  {name:<{width}}  {summary}")
        return
    name = argv[0]
    if name not in examples:
        known = ", ".join(sorted(examples))
        sys.exit(f"deltaw.examples: unknown example {name!r}. Known: {known}.")
    importlib.import_module(f"deltaw.examples.{name}").main()


if __name__ == "__main__":
    main()
