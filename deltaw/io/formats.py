"""Which model-file format a file is, from its first bytes (never from its name)."""

from __future__ import annotations

from deltaw.io.hdf5 import HDF5_SIGNATURE
from deltaw.io.keras_zip import ZIP_SIGNATURE

__all__ = ["DELTAW", "HDF5", "KERAS_ZIP", "UNKNOWN", "sniff"]

KERAS_ZIP, HDF5, DELTAW, UNKNOWN = "keras zip", "hdf5", "deltaw", "unknown"


def sniff(data) -> str:
    """The container of a file's bytes: KERAS_ZIP, HDF5, DELTAW (safetensors layout) or UNKNOWN."""
    head = bytes(data[:9])
    if head.startswith(ZIP_SIGNATURE) or head.startswith(b"PK\x05\x06"):
        return KERAS_ZIP
    if head.startswith(HDF5_SIGNATURE):
        return HDF5
    if len(head) == 9 and head[8:9] == b"{":  # 8-byte header length, then the JSON header
        return DELTAW
    return UNKNOWN
