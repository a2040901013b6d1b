"""glibc malloc settings for a long-running process that decodes large images now and then.

Each thread that allocates gets its own malloc arena (up to 8 per CPU), and freed pages inside an arena
stay with the process. After a 4K image is decoded in a worker thread, tens of MB can stay behind per
arena. Two arenas are enough for our few threads, and `give_back` (malloc_trim) returns the free pages
of every arena to the system once a job is done. Both are no-ops where libc is not glibc.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2

def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_libc = _glibc()


def limit_arenas(count: int = ARENAS) -> None:
    """Call early, before the process starts its thread pools (arenas already made stay)."""
    if _libc is not None and not _libc.mallopt(M_ARENA_MAX, count):
        log.warning("mallopt(M_ARENA_MAX, %s) was refused", count)


def give_back() -> None:
    """Return free heap pages to the system (blocking: a few ms; call it in a thread)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def resident_mb() -> float:
    """This process's resident memory in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
