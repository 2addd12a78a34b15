"""Following rebuilds: when ``kg build`` or ``kg update`` swaps in a new version, the server opens it
(read-only, or writable when updates are on), lets go of the old one, and removes old versions once
no process (this server, its query workers, a backup) holds their lease."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from kg.errors import StoreError
from kg.store import StoreDirectory

if TYPE_CHECKING:
    from kg.server.state import ServerState

log = logging.getLogger(__name__)

CLEANUP_EVERY_S = 0.5
CLEANUP_FOR_S = 60.0


def follow_current(state: ServerState) -> None:
    """Serve the version ``current`` names now; requests already running finish on the old one."""
    with state.write_lock:
        try:
            new = state.directory.open(read_only=not state.writable)
        except StoreError as err:  # keep serving the old version; try again on the next request
            log.warning("cannot open the new version yet, still serving %s: %s", state.store.path.name, err)
            state._link = None
            return
        old, state.store = state.store, new
        state._version = new.path
        state.last_modified = new.path.stat().st_mtime if new.path.exists() else time.time()
        old.close()  # a read-only store stays open while a request still reads it
    log.info("now serving %s (was %s)", new.path.name, old.path.name)
    schedule_cleanup(state.directory)


_cleaners: dict[str, threading.Thread] = {}
_cleaners_lock = threading.Lock()


def schedule_cleanup(directory: StoreDirectory) -> None:
    """Remove unused old versions in the background, retrying while query workers still hold them."""
    key = str(directory.root)
    with _cleaners_lock:
        running = _cleaners.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_clean, args=(directory,), daemon=True, name="kg-version-cleanup")
        _cleaners[key] = thread
    thread.start()


def _clean(directory: StoreDirectory) -> None:
    deadline = time.monotonic() + CLEANUP_FOR_S
    while time.monotonic() < deadline:
        try:
            for path in directory.remove_unused_versions():
                log.info("removed old version %s", path.name)
            if not directory.old_versions():
                return
        except OSError as err:
            log.warning("could not remove old versions of %s: %s", directory.root, err)
            return
        time.sleep(CLEANUP_EVERY_S)
