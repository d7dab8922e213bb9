"""Host memory: let the C allocator keep freed array memory for the next training step.

A training step allocates and frees the same large arrays every step (activations, gate
buffers, gradients: several MiB each in W3 and W4). With glibc's default settings much of that
memory goes back to the operating system when it is freed: arrays above the mmap threshold are
unmapped, and free memory above the trim threshold at the top of the heap is returned. The next
step then pays a page fault for every 4 KiB page it touches again. Measured on the LSTM
benchmark (W4): 62 ms a step with the defaults, 42 ms with the thresholds below.

`keep_freed_memory()` raises both thresholds once per process; the Keras training and
inference loops call it on entry, so `import deltaw` alone changes nothing:

- M_MMAP_THRESHOLD 32 MiB (the largest value glibc's own adaptive rule would reach): smaller
  arrays come from the heap and are reused; larger ones still go straight to the OS.
- M_TRIM_THRESHOLD 256 MiB: up to that much freed memory stays in the process for reuse. Peak
  memory is unchanged; resident memory between steps stays near the peak, as with the caching
  allocators of other frameworks.

Nothing is changed on a C library other than glibc, when `DELTAW_SYSTEM_MALLOC=1`, or when the
user tuned glibc through its own environment variables (MALLOC_MMAP_THRESHOLD_,
MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_, or GLIBC_TUNABLES): their choice stands.
"""

from __future__ import annotations

import os
import platform

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3        # mallopt parameter numbers (malloc.h)
_MMAP_THRESHOLD = 32 * 2**20
_TRIM_THRESHOLD = 256 * 2**20
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "GLIBC_TUNABLES")

_state: str | None = None   # why the settings were or were not applied, once decided


def keep_freed_memory() -> str:
    """Raise glibc's mmap and trim thresholds for this process (once); returns what was done,
    in words. Safe to call any number of times, from any platform."""
    global _state
    if _state is None:
        _state = _apply()
    return _state


def _apply() -> str:
    if os.environ.get("DELTAW_SYSTEM_MALLOC", "").strip() not in ("", "0"):
        return "unchanged: DELTAW_SYSTEM_MALLOC is set"
    user = [name for name in _USER_SETTINGS if name in os.environ]
    if user:
        return f"unchanged: the user set {', '.join(user)}"
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "unchanged: the C library is not glibc"
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return "unchanged: mallopt is not available"
    ok = (mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
          and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1)
    if not ok:   # the first may have taken effect: say so rather than "unchanged"
        return "not fully applied: mallopt refused a setting"
    return (f"glibc keeps freed memory: mmap threshold {_MMAP_THRESHOLD >> 20} MiB, "
            f"trim threshold {_TRIM_THRESHOLD >> 20} MiB")
