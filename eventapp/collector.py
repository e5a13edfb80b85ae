"""Pausing the garbage collector while a large document is written.

Writing a workbook of 10 000 registrations creates a few hundred thousand small objects
that live until the document is done and hold no reference cycles. The collector
counted them as they grew and walked them again and again: a fifth to a third of the
time, and more than linear in the size. The pause is for all threads of the process,
so it is kept short and ends with the last writer.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_writers = 0
_paused_here = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection inside; the collector runs again when the last one ends.

    If the collector was already switched off before the first one began, it stays off.
    """
    global _writers, _paused_here
    with _lock:
        if _writers == 0 and gc.isenabled():
            gc.disable()
            _paused_here = True
        _writers += 1
    try:
        yield
    finally:
        with _lock:
            _writers -= 1
            if _writers == 0 and _paused_here:
                _paused_here = False
                gc.enable()
