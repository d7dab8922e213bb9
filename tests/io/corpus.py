"""A generated corpus of corrupted, forged and hostile variants of a well-formed file.

`variants(base, sentinel)` yields `(label, bytes)` pairs made from `base` (the bytes of a real file
in the safetensors layout): truncations at every byte of the header region and at sampled points
of the data, seeded random bit flips, forged header lengths, offsets, shapes and dtypes, hostile
JSON (deep nesting, huge numbers, duplicate keys, code-execution strings in names and configs) and
foreign payloads (pickles that would create `sentinel` if anything unpickled them). Model-level
mutations of the "deltaw" metadata come from `metadata_variants`.

`reference_decode` is an independent, deliberately naive decoder (plain json, np.frombuffer, no
validation): a variant that deltaw loads must give exactly what it gives.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import struct

import numpy as np

REF_DTYPES = {"BOOL": "u1", "U8": "u1", "I8": "i1", "I16": "<i2", "U16": "<u2", "F16": "<f2",
              "I32": "<i4", "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8"}


class _Payload:
    """Unpickling this runs `touch sentinel`: proof that nothing in deltaw unpickles."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


def split(blob: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def join(header, data: bytes, raw: str | bytes | None = None) -> bytes:
    text = raw if raw is not None else json.dumps(header, separators=(",", ":"))
    text = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def reference_decode(blob: bytes):
    header, data = split(blob)
    metadata = header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data[begin:end], REF_DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = raw != 0 if info["dtype"] == "BOOL" else raw
    return tensors, metadata


def _edit(base_header, data, label, fn):
    header = copy.deepcopy(base_header)
    result = fn(header)
    return label, join(header if result is None else result, data)


def _tensor_names(header):
    return [k for k in header if k != "__metadata__"]


def truncations(base: bytes, header_region: bool = True, data_points: int = 60, seed: int = 0):
    n = struct.unpack("<Q", base[:8])[0]
    if header_region:
        for cut in range(0, 8 + n):
            yield f"truncate@{cut}", base[:cut]
    rng = np.random.default_rng(seed)
    cuts = set(rng.integers(8 + n, len(base), data_points).tolist()) | {len(base) - 1, 8 + n}
    for cut in sorted(cuts):
        yield f"truncate-data@{cut}", base[:cut]
    yield "extended-by-one-byte", base + b"\x00"
    yield "extended-by-a-page", base + b"\x00" * 4096


def bit_flips(base: bytes, count: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = struct.unpack("<Q", base[:8])[0]
    for i in range(count):
        flipped = bytearray(base)
        # half the variants hit the header region, half anywhere in the file
        high = 8 + n if i % 2 == 0 else len(base)
        for position in rng.integers(0, high, int(rng.integers(1, 4))):
            flipped[position] ^= 1 << int(rng.integers(0, 8))
        yield f"bitflip-{i}", bytes(flipped)


def header_lengths(base: bytes):
    n = struct.unpack("<Q", base[:8])[0]
    for claim in (0, 1, 7, n - 8, n - 1, n + 1, n + 8, len(base) - 8, len(base), 100_000_001,
                  2**31 - 1, 2**31, 2**32 + n, 3 * 2**30, 2**40, 2**63, 2**64 - 1):
        yield f"header-length={claim}", struct.pack("<Q", claim) + base[8:]


def forged_offsets(base: bytes):
    header, data = split(base)
    names = _tensor_names(header)
    total = len(data)

    def setter(name, value):
        def fn(h):
            h[name]["data_offsets"] = value
        return fn

    for name in names:
        b, e = header[name]["data_offsets"]
        for label, value in [
            ("begin-1", [b - 1, e]), ("begin+1", [b + 1, e]), ("end-1", [b, e - 1]),
            ("end+1", [b, e + 1]), ("shift-1", [b - 1, e - 1]), ("shift+1", [b + 1, e + 1]),
            ("reversed", [e, b]), ("past-end", [total, total + e - b]),
            ("far-out", [2**40, 2**40 + e - b]), ("huge", [2**64, 2**64 + e - b]),
            ("negative", [-(e - b), 0]), ("zero-length", [b, b]), ("whole-data", [0, total]),
            ("floats", [float(b), float(e)]), ("strings", [str(b), str(e)]), ("null", None),
            ("one-number", [b]), ("three-numbers", [b, e, e]), ("bools", [False, True]),
            ("object", {"begin": b, "end": e}),
        ]:
            yield _edit(header, data, f"offsets-{name}-{label}", setter(name, value))
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            def swap(h, first=first, second=second):
                h[first]["data_offsets"], h[second]["data_offsets"] = (
                    h[second]["data_offsets"], h[first]["data_offsets"])
            yield _edit(header, data, f"offsets-swap-{first}-{second}", swap)

    def all_at_zero(h):
        for k in names:
            b, e = h[k]["data_offsets"]
            h[k]["data_offsets"] = [0, e - b]
    yield _edit(header, data, "offsets-all-at-zero", all_at_zero)


def forged_shapes(base: bytes):
    header, data = split(base)
    for name in _tensor_names(header):
        shape = header[name]["shape"]
        for label, value in [
            ("scalar", []), ("extra-axis", [*shape, 1]), ("leading-axis", [1, *shape]),
            ("double", [2 * shape[0], *shape[1:]] if shape else [2]),
            ("zero", [0, *shape[1:]] if shape else [0]), ("transposed", shape[::-1]),
            ("flat", [int(np.prod(shape))]), ("negative", [-1, *shape[1:]]),
            ("float", [float(d) for d in shape] or [1.0]), ("string", [str(d) for d in shape]),
            ("bool", [True] * max(len(shape), 1)), ("nested", [shape]), ("null", None),
            ("huge", [10**30, *shape]), ("huge-and-zero", [2**63, 0, 2**63]),
            ("33-axes", [1] * 33 + shape), ("string-shape", "(3, 4)"), ("digits", [10**4000]),
        ]:
            def fn(h, name=name, value=value):
                h[name]["shape"] = value
            yield _edit(header, data, f"shape-{name}-{label}", fn)


def forged_dtypes(base: bytes):
    header, data = split(base)
    same_size = {"F32": ["I32", "U32"], "I64": ["F64", "U64"], "F64": ["I64"], "F16": ["I16"],
                 "U8": ["I8", "BOOL"], "BOOL": ["U8"], "I32": ["F32"]}
    for name in _tensor_names(header):
        dtype = header[name]["dtype"]
        for value in ["BF16", "F8_E4M3", "F8_E5M2", "C64", "float32", "f32", "", None, 7,
                      [dtype], {"dtype": dtype}, "F32 ", "__import__('os')",
                      *same_size.get(dtype, [])]:
            def fn(h, name=name, value=value):
                h[name]["dtype"] = value
            yield _edit(header, data, f"dtype-{name}-{value!r}", fn)


def hostile_json(base: bytes, sentinel: str):
    header, data = split(base)
    names = _tensor_names(header)
    first = names[0]
    payload = f"__import__('os').system('touch {sentinel}')"
    deep = "[" * 10_000 + "]" * 10_000
    raw = json.dumps(header, separators=(",", ":"))
    yield "json-top-level-10000-deep", join(None, data, deep)
    yield "json-object-10000-deep", join(None, data, '{"a":' * 10_000 + "1" + "}" * 10_000)
    yield "json-65-deep", join(None, data, "[" * 65 + "]" * 65)
    yield "json-entry-10000-deep", join(None, data, raw.replace(
        f'"{first}":', f'"__deep__":{deep},"{first}":', 1))
    yield "json-shape-10000-deep", join(None, data, raw.replace(
        '"shape":', f'"shape":{deep},"x":', 1))
    yield "json-unterminated-string", join(None, data, raw[:-1] + ',"x":"abc')
    yield "json-trailing-garbage", join(None, data, raw + "]")
    yield "json-two-objects", join(None, data, raw + raw)
    yield "json-empty", join(None, data, "")
    yield "json-spaces", join(None, data, " " * 64)
    yield "json-null", join(None, data, "null")
    yield "json-list", join(None, data, "[]")
    yield "json-string", join(None, data, '"x"')
    yield "json-number", join(None, data, "1e999")
    yield "json-bom", join(None, data, b"\xef\xbb\xbf" + raw.encode())
    yield "json-invalid-utf8", join(None, data, raw.encode()[:-1] + b"\xff\xfe}")
    yield "json-lone-surrogate", join(None, data, raw[:-1] + ',"\\ud800":1}')
    yield "json-nul-bytes", join(None, data, raw.encode() + b"\x00" * 8)
    yield "json-single-quotes", join(None, data, raw.replace('"', "'"))
    yield "json-nan-offsets", join(None, data, raw.replace('"data_offsets":[0,', '"data_offsets":'
                                                           '[NaN,', 1))
    yield "json-infinity-shape", join(None, data, raw.replace('"shape":[', '"shape":[Infinity,', 1))
    yield "json-1e999-offsets", join(None, data, raw.replace('"data_offsets":[0,',
                                                             '"data_offsets":[1e999,', 1))
    for digits in (4000, 50_000):
        yield f"json-{digits}-digit-int", join(None, data, raw.replace(
            '"data_offsets":[0,', f'"data_offsets":[{"9" * digits},', 1))
    yield "json-duplicate-tensor", join(None, data, raw[:-1] + "," + raw[1:])
    yield "json-duplicate-metadata", join(None, data, raw.replace(
        '{"__metadata__":', '{"__metadata__":{},"__metadata__":', 1))
    yield "hostile-nul-in-name", join(None, data, raw.replace(first, first + "\\u0000", 1))
    for label, fn in [
        ("metadata-list", lambda h: h.__setitem__("__metadata__", ["a"])),
        ("metadata-number-value", lambda h: h.__setitem__("__metadata__", {"deltaw": 1})),
        ("metadata-nested-value", lambda h: h.__setitem__("__metadata__", {"deltaw": {"a": "b"}})),
        ("metadata-null-value", lambda h: h.__setitem__("__metadata__", {"deltaw": None})),
        ("metadata-payload-key", lambda h: h["__metadata__"].__setitem__(payload, payload)),
        ("entry-extra-key", lambda h: h[first].__setitem__("module", "os")),
        ("entry-missing-dtype", lambda h: h[first].pop("dtype")),
        ("entry-list", lambda h: h.__setitem__(first, [h[first]])),
        ("entry-string", lambda h: h.__setitem__(first, payload)),
        ("entry-null", lambda h: h.__setitem__(first, None)),
        ("extra-empty-tensor", lambda h: h.__setitem__(
            "/etc/passwd", {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]})),
        ("rename-payload", lambda h: h.__setitem__(payload, h.pop(first))),
        ("rename-absolute-path", lambda h: h.__setitem__("/etc/passwd", h.pop(first))),
        ("rename-parent-path", lambda h: h.__setitem__("../../outside", h.pop(first))),
        ("drop-tensor", lambda h: h.pop(first)),
        ("module-os", lambda h: h.__setitem__("module", {"dtype": "U8", "shape": [0],
                                                          "data_offsets": [0, 0]})),
    ]:
        yield _edit(header, data, f"hostile-{label}", fn)


def foreign_payloads(base: bytes, sentinel: str):
    header, data = split(base)
    evil = pickle.dumps(_Payload(sentinel))
    yield "pickle-file", evil
    yield "pickle-after-header", base[:8 + struct.unpack("<Q", base[:8])[0]] + evil
    npy = b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" \
          + b" " * 55 + b"\n" + evil
    yield "npy-object-array", npy
    yield "zip-magic", b"PK\x03\x04" + base[4:]
    yield "hdf5-magic", b"\x89HDF\r\n\x1a\n" + base[8:]
    yield "empty-file", b""
    yield "pickle-inside-a-valid-u8-tensor", join(
        {"payload": {"dtype": "U8", "shape": [len(evil)], "data_offsets": [0, len(evil)]}}, evil)
    meta = header.get("__metadata__") or {}
    yield "pickle-in-metadata", join({**header, "__metadata__": {**meta, "pickle": evil.hex()}},
                                     data)


def metadata_variants(base: bytes, key: str, mutations):
    """Apply `mutation(config_dict) -> dict | str` to the JSON stored in metadata[key]."""
    header, data = split(base)
    config = json.loads(header["__metadata__"][key])
    for label, mutation in mutations:
        new = mutation(copy.deepcopy(config))
        text = new if isinstance(new, str) else json.dumps(new)
        h = copy.deepcopy(header)
        h["__metadata__"][key] = text
        yield f"metadata-{label}", join(h, data)


def variants(base: bytes, sentinel: str, header_truncations: bool = True):
    """Every file-level variant of `base` (see the module docstring)."""
    yield from truncations(base, header_truncations)
    yield from bit_flips(base)
    yield from header_lengths(base)
    yield from forged_offsets(base)
    yield from forged_shapes(base)
    yield from forged_dtypes(base)
    yield from hostile_json(base, sentinel)
    yield from foreign_payloads(base, sentinel)
