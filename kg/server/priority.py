"""Long queries yield the CPU to short ones: a query worker that has run one query for longer than
``KG_QUERY_DEMOTE_AFTER_S`` lowers its own scheduling priority (``nice`` 10) until that query ends, so a
client running heavy queries does not slow the point lookups of the others on a small machine."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

DEMOTED_NICE = 10


@contextlib.contextmanager
def demoted_after(seconds: float) -> Iterator[None]:
    """Run the block; if it is still running after ``seconds``, lower this thread's priority meanwhile."""
    if seconds <= 0 or not hasattr(os, "setpriority"):
        yield
        return
    thread = threading.get_native_id()  # on Linux a nice value belongs to a thread
    before = os.getpriority(os.PRIO_PROCESS, thread)
    demoted = threading.Event()

    def demote() -> None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, max(before, DEMOTED_NICE))
            demoted.set()

    timer = threading.Timer(seconds, demote)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        if demoted.is_set():
            # Raising a priority back needs a privilege; without it the thread stays low, which is why the
            # query workers run each demotable query on a thread of its own.
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread, before)
