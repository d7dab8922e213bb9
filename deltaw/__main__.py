"""The `deltaw` command: `deltaw convert SRC DST` converts model files; `deltaw` alone lists
the shipped examples and `deltaw NAME` runs one (as `python -m deltaw.examples`)."""

from __future__ import annotations

import argparse
import sys


def convert_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="deltaw convert",
        description="Convert a model file: .keras (Keras 3), .h5 (legacy HDF5), .weights.h5, "
                    ".onnx (out only) or deltaw's own format; the destination's name picks it.")
    parser.add_argument("source", help="the model file to read (any format; a weights-only file "
                                       "needs --config)")
    parser.add_argument("destination", help="the file to write")
    parser.add_argument("--config", help="JSON model config (model.to_json()) for a weights-only "
                                         "source")
    args = parser.parse_args(argv)
    from deltaw.io.errors import ModelFileError
    from deltaw.keras.saving.convert import convert

    try:
        print(convert(args.source, args.destination, config=args.config))
    except (ModelFileError, OSError, ValueError, ImportError) as exc:
        print(f"deltaw convert: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "convert":
        sys.exit(convert_main(argv[1:]))
    from deltaw.examples.__main__ import main as examples

    examples(argv)


if __name__ == "__main__":
    main()
