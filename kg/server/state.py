"""What the app shares between requests, opened in the lifespan: the store, the query workers, the
write lock and the generation counter that tells workers to reopen after a write."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from fastapi import Request

from kg.federation import Federation
from kg.server.versions import follow_current
from kg.server.workers import InProcess, QueryPool
from kg.settings import Settings
from kg.store import CURRENT, KgStore, StoreDirectory


@dataclass
class ServerState:
    """The open store and everything bound to it."""

    settings: Settings
    directory: StoreDirectory
    store: KgStore
    pool: QueryPool
    writable: bool
    federation: Federation
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    writes: int = 0
    last_modified: float = field(default_factory=time.time)
    ready: bool = True
    started: int = field(default_factory=lambda: int(time.time()))
    _version: Path | None = None
    _link: str | None = None

    def __post_init__(self) -> None:
        self._version = self.store.path
        self.pool.in_process = InProcess(lambda: self.store, self.federation)
        self.last_modified = _built_at(self.directory) or self.last_modified

    def generation(self) -> tuple[str, int]:
        """Changes with every write and every new build swapped in: workers reopen when it does."""
        if self._link_changed():
            follow_current(self)  # `kg build` or `kg update` swapped in a new version: follow it
        return (str(self._version), self.writes)

    def _link_changed(self) -> bool:
        """One ``readlink``: has a build swapped in another version since we last looked?"""
        try:
            link = os.readlink(self.directory.root / CURRENT)
        except OSError:
            return False
        changed, self._link = link != self._link, link
        return changed and self._version is not None and self._version.name != Path(link).name

    @contextmanager
    def writing(self) -> Iterator[KgStore]:
        """Hold the write lock around a write; the next query sees it."""
        with self.write_lock:
            try:
                yield self.store
            finally:
                self.writes += 1
                self.last_modified = time.time()

    def etag(self) -> str:
        version = self._version.name if self._version else "none"
        return f'W/"{version}-{self.started:x}-{self.writes}"'

    def last_modified_header(self) -> str:
        return formatdate(self.last_modified, usegmt=True)


def _built_at(directory: StoreDirectory) -> float | None:
    version = directory.current_version()
    return version.stat().st_mtime if version is not None else None


async def get_state(request: Request) -> ServerState:
    """The server state opened by the lifespan (``async``: a plain ``def`` would cost a thread hop)."""
    return request.state.kg


async def get_store(request: Request) -> KgStore:
    """The store opened by the lifespan (writable when updates are enabled)."""
    return request.state.kg.store
