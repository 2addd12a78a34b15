"""Queries run in worker processes over the store opened read-only, so that a query can be stopped:
a worker that overruns the timeout (or whose client went away) is killed and replaced.

A worker answers a :class:`Task` with messages on its pipe::

    ("done", media_type, body, rows, s)  the whole result, when it fits in one chunk, and the seconds it took
    ("start", media_type, first_bytes)   the result type is known and the first chunk is ready
    ("data", bytes)                      more of the body
    ("end", rows)                        the body is complete
    ("error", status, message)           before "start": an HTTP error; after: the body is broken

Writes happen in the server process; each write bumps a generation number that travels with every
task, and a worker whose store handle is older reopens it (RocksDB read-only handles do not see later
writes), so a write is visible to the very next query.

A query that a worker answered whole in under ``KG_QUERY_INLINE_MS`` is *proven fast* for that text,
dataset, media type and generation: the same data and the same plan give the same cost, so the next
time it runs in the server process itself, skipping two pipe hops that cost more than a point lookup
(:class:`ProvenFast`). A write or a new build changes the generation, and every query proves itself again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
IN_PROCESS_THREADS = 2  # proven-fast queries at once in an HTTP process


@dataclass(frozen=True)
class Task:
    """One query (or one graph to read) for a worker."""

    kind: str  # "query" or "graph"
    generation: tuple[str, int]
    text: str = ""
    accept: str | None = None
    format: str | None = None
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    base_iri: str | None = None
    graph: str | None = None  # for "graph": None is the default graph
    row_cap: int | None = None


class QueryFailed(Exception):
    """The query failed before its first byte: answer with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class StreamBroken(Exception):
    """The body had begun when the query failed, overran or was cut: the response must end broken."""


# --- the worker side ---------------------------------------------------------------------------


class _ChunkSender:
    """A binary file object that sends what is written over the pipe, in chunks."""

    def __init__(self, conn: Connection | _Collected, media_type: str, started: float) -> None:
        self.conn = conn
        self.media_type = media_type
        self.started = started
        self.buffer: list[bytes] = []
        self.size = 0
        self.begun = False
        self.line_cap: int | None = None  # stop when more lines than this were written
        self.cap = 0
        self.lines = 0

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.line_cap is not None:
            self.lines += data.count(b"\n")
            if self.lines > self.line_cap:
                from kg.server.results import RowCapExceeded

                raise RowCapExceeded(self.cap)
        self.buffer.append(bytes(data))
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self._send()
        return len(data)

    def flush(self) -> None:
        """Kept for file-object callers; chunks go out when full or at the end."""

    def _send(self) -> None:
        data = b"".join(self.buffer)
        self.buffer, self.size = [], 0
        if self.begun:
            self.conn.send(("data", data))
        else:
            self.conn.send(("start", self.media_type, data))
            self.begun = True

    def finish(self, rows: int) -> None:
        if not self.begun:  # the whole result in one message: the common case of a small result
            self.conn.send(("done", self.media_type, b"".join(self.buffer), rows, time.perf_counter() - self.started))
            return
        self._send()
        self.conn.send(("end", rows))


class _Collected:
    """Stands in for a worker's pipe when a query runs in the server process: keeps the messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, ...]] = []

    def send(self, message: tuple[Any, ...]) -> None:
        self.messages.append(message)


def _execute(task: Task, store: Any, conn: Connection | _Collected, federation: Any) -> None:
    import pyoxigraph as ox

    from kg.errors import FederationError, FederationRefused, FederationRemoteError, QueryError
    from kg.server import negotiation, results

    started = time.perf_counter()
    try:
        if task.kind == "graph":
            if not store.has_graph(task.graph):
                conn.send(("error", 404, f"no graph <{task.graph}> in this store"))
                return
            media_type = negotiation.negotiate("triples", task.accept, task.format)
            sender = _ChunkSender(conn, media_type, started)
            rows = results.triples(store.graph_triples(task.graph), media_type, sender, cap=task.row_cap)
            sender.finish(rows)
            return
        # SERVICE goes through the federation layer: the allowlist, then our own client (never pyoxigraph's).
        result = federation.execute(
            store, task.text, default_graph=task.default_graph, named_graphs=task.named_graphs,
            base_iri=task.base_iri,
        )
        if isinstance(result, ox.QueryBoolean):
            media_type = negotiation.negotiate("boolean", task.accept, task.format)
            sender = _ChunkSender(conn, media_type, started)
            sender.write(results.boolean(bool(result), media_type))
            sender.finish(1)
        elif isinstance(result, ox.QuerySolutions):
            media_type = negotiation.negotiate("solutions", task.accept, task.format)
            sender = _ChunkSender(conn, media_type, started)
            if task.row_cap is None or media_type == negotiation.TSV:
                # pyoxigraph's own serializer (fast); a TSV row is one line, so the cap counts lines.
                sender.line_cap = None if task.row_cap is None else task.row_cap + 1
                sender.cap = task.row_cap
                results.write_solutions(result, media_type, sender)
            else:
                for piece in results.solutions(result, media_type, cap=task.row_cap):
                    sender.write(piece)
            sender.finish(-1)
        else:
            media_type = negotiation.negotiate("triples", task.accept, task.format)
            sender = _ChunkSender(conn, media_type, started)
            sender.finish(results.triples(result, media_type, sender, cap=task.row_cap))
    except negotiation.NotAcceptable as err:
        conn.send(("error", 406, str(err)))
    except results.RowCapExceeded as err:
        conn.send(("error", 403, str(err)))
    except FederationRefused as err:
        conn.send(("error", 403, str(err)))
    except FederationRemoteError as err:
        conn.send(("error", 502, str(err)))
    except (QueryError, FederationError) as err:
        conn.send(("error", 400, str(err)))
    except (SyntaxError, ValueError, TypeError, OSError) as err:
        # pyoxigraph raises these while evaluating lazily.
        conn.send(("error", 400 if isinstance(err, SyntaxError | ValueError) else 500, f"query failed: {err}"))


class _QueryThread:
    """Runs a worker's queries on one long-lived thread, so that a slow one can be demoted (a nice value
    belongs to a thread on Linux). Raising a priority back needs a privilege a server user does not have:
    a thread left demoted is retired after its query and a new one takes the next, at normal priority."""

    def __init__(self, demote_after_s: float) -> None:
        self.demote_after_s = demote_after_s
        self._start()

    def _start(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[bool, BaseException | None]] = queue.SimpleQueue()
        threading.Thread(target=self._loop, args=(self._jobs, self._results), name="kg-query", daemon=True).start()

    def _loop(self, jobs: queue.SimpleQueue[Callable[[], None] | None],
              results: queue.SimpleQueue[tuple[bool, BaseException | None]]) -> None:
        from kg.server.priority import demoted_after

        me = threading.get_native_id()
        normal = os.getpriority(os.PRIO_PROCESS, me)
        while (job := jobs.get()) is not None:
            failed: BaseException | None = None
            try:
                with demoted_after(self.demote_after_s):
                    job()
            except BaseException as err:
                failed = err
            results.put((os.getpriority(os.PRIO_PROCESS, me) != normal, failed))

    def run(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the query thread and wait for it; its exception is raised here."""
        self._jobs.put(job)
        still_demoted, failed = self._results.get()
        if still_demoted:
            self._jobs.put(None)
            self._start()
        if failed is not None:
            raise failed


def worker_main(conn: Connection, root: str, settings: Any) -> None:
    """The loop of one worker process: open (and reopen) the store read-only, answer tasks."""
    from kg.federation import Federation
    from kg.store import StoreDirectory

    directory = StoreDirectory(root)
    federation = Federation(settings)  # one per process: it holds the cache of remote answers
    from kg.server import negotiation, results  # noqa: F401 - imported now, not on the first query

    demote_after = getattr(settings, "query_demote_after_s", 0.0)
    query_thread = _QueryThread(demote_after) if demote_after > 0 and hasattr(os, "setpriority") else None
    conn.send(("ready",))
    opened: tuple[tuple[str, int], Any] | None = None
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            if opened is None or opened[0] != task.generation:
                if opened is not None:
                    opened[1].close()
                opened = (task.generation, directory.open(read_only=True, version=task.generation[0]))
            if query_thread is None:
                _execute(task, opened[1], conn, federation)
            else:
                query_thread.run(functools.partial(_execute, task, opened[1], conn, federation))
        except Exception as err:  # keep the worker alive; the caller gets a 500
            try:
                conn.send(("error", 500, f"query worker failed: {type(err).__name__}: {err}"))
            except Exception:
                return


# --- the server side ---------------------------------------------------------------------------


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass
class _Worker:
    process: Any
    conn: Connection


@dataclass
class PoolStats:
    timeouts: int = 0
    killed: int = 0
    started: int = 0
    in_process: int = 0


ProvenKey = bytes


class ProvenFast:
    """The queries proven fast on their store generation (a bounded, least-recently-used set of digests,
    so that long query texts do not make it large)."""

    def __init__(self, limit_s: float, size: int = 4096) -> None:
        self.limit_s = limit_s
        self.size = size
        self._keys: OrderedDict[ProvenKey, None] = OrderedDict()

    @staticmethod
    def key(task: Task) -> ProvenKey | None:
        """What the cost of a query depends on; None for tasks that never run in the server process."""
        if task.kind != "query":
            return None
        parts = (task.generation, task.text, task.accept, task.format, _frozen(task.default_graph),
                 _frozen(task.named_graphs), task.base_iri, task.row_cap)
        return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def __contains__(self, key: ProvenKey) -> bool:
        if key not in self._keys:
            return False
        self._keys.move_to_end(key)
        return True

    def remember(self, key: ProvenKey) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def forget(self, key: ProvenKey) -> None:
        self._keys.pop(key, None)


def _frozen(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


@dataclass
class InProcess:
    """What a proven-fast query needs to run in the server process: the store now served (a callable,
    since a new build swaps it) and the federation layer (which checks every query's SERVICE clauses)."""

    store: Callable[[], Any]
    federation: Any


class QueryPool:
    """A fixed number of worker processes; ``submit`` hands a task to an idle one (or, for a query
    proven fast, runs it here)."""

    def __init__(self, root: Path, size: int, settings: Any) -> None:
        self.root = str(root)
        self.settings = settings
        self.size = size
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]] = deque()
        self._closed = False
        self.stats = PoolStats()
        limit_ms = float(getattr(settings, "query_inline_ms", 0.0) or 0.0)
        self.proven = ProvenFast(limit_ms / 1000)
        self.in_process: InProcess | None = None  # set by the server state once the store is open
        self._in_process_threads = ThreadPoolExecutor(IN_PROCESS_THREADS, thread_name_prefix="kg-in-process")
        starting = [self._spawn() for _ in range(size)]
        for worker in starting:  # ready only when every worker has imported what it needs
            self._put(self._ready(worker))

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main, args=(child, self.root, self.settings), daemon=True, name="kg-query-worker"
        )
        process.start()
        child.close()
        self.stats.started += 1
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (it may be mid-query) and start another in the background."""
        self.stats.killed += 1
        worker.process.kill()
        worker.conn.close()

        def respawn() -> None:
            worker.process.join(5)
            if not self._closed:
                with contextlib.suppress(QueryFailed):
                    self._put(self._ready(self._spawn()))

        threading.Thread(target=respawn, daemon=True).start()

    def idle(self) -> int:
        """Workers started and waiting for a task."""
        with self._lock:
            return len(self._idle)

    def _ready(self, worker: _Worker, timeout: float = 120) -> _Worker:
        """Wait for a new worker's "ready" message."""
        if worker.conn.poll(timeout):
            with contextlib.suppress(EOFError, OSError):
                if worker.conn.recv() == ("ready",):
                    return worker
        worker.process.kill()
        raise QueryFailed(500, "a query worker failed to start")

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            worker.process.kill()
        else:
            self._put(worker)

    async def _acquire(self, timeout: float) -> _Worker:
        """An idle worker, waiting on the event loop (no thread held) until one is free."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._idle:
                return self._idle.popleft()
            waiter: asyncio.Future[_Worker] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            self.stats.timeouts += 1
            raise QueryFailed(503, f"every query worker stayed busy for {timeout:g} s; try again later") from None

    def _put(self, worker: _Worker) -> None:
        """Give a worker to the oldest waiter, or back to the idle set (from any thread)."""
        with self._lock:
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                if not waiter.done():
                    if _running_loop() is loop:
                        loop.call_soon(self._deliver, waiter, worker)
                    else:
                        loop.call_soon_threadsafe(self._deliver, waiter, worker)
                    return
            self._idle.append(worker)

    def _deliver(self, waiter: asyncio.Future[_Worker], worker: _Worker) -> None:
        if waiter.done():  # the waiter gave up meanwhile
            self._put(worker)
        else:
            waiter.set_result(worker)

    async def submit(self, task: Task, timeout: float) -> tuple[str, bytes | ResultStream]:
        """Start ``task``; return its media type and its body (whole, or a stream once the first chunk is
        ready). Waits on the worker's pipe from the event loop, without holding a thread.

        Raises :class:`QueryFailed` (with a status: 4xx for the query, 503 for a timeout or a full pool).
        """
        key = ProvenFast.key(task) if self.in_process is not None and self.proven.limit_s > 0 else None
        if key is not None and key in self.proven:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._in_process_threads, self._run_here, task, key)
        deadline = time.monotonic() + timeout
        worker = await self._acquire(timeout)
        loop = asyncio.get_running_loop()
        ready_future: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()
        try:
            worker.conn.send(task)
            loop.add_reader(fd, lambda: ready_future.done() or ready_future.set_result(None))
            try:
                await asyncio.wait_for(ready_future, max(0.0, deadline - time.monotonic()))
                ready = True
            except TimeoutError:
                ready = False
            finally:
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # uvloop made it non-blocking; reads below expect whole messages
        except (EOFError, OSError) as err:
            self._replace(worker)
            raise QueryFailed(500, f"the query worker died: {err}") from err
        except asyncio.CancelledError:
            self._replace(worker)
            raise
        return self._reply(worker, ready, deadline, timeout, key, task.text)

    def _run_here(self, task: Task, key: ProvenKey) -> tuple[str, bytes | ResultStream]:
        """Run a proven-fast query in this process, on one of its query threads (never on the event loop:
        should it run long after all, other clients are not kept waiting)."""
        assert self.in_process is not None
        pipe = _Collected()
        started = time.perf_counter()
        _execute(task, self.in_process.store(), pipe, self.in_process.federation)
        if time.perf_counter() - started > 10 * self.proven.limit_s:
            self.proven.forget(key)  # not the cost it proved (a busy machine): back to the workers
        self.stats.in_process += 1
        first = pipe.messages[0]
        if first[0] == "error":
            raise QueryFailed(first[1], first[2])
        if first[0] == "done":
            return first[1], first[2]
        # grown past one chunk (RAND(), NOW()...): the body is all here already
        if pipe.messages[-1][0] == "error":
            raise QueryFailed(500, pipe.messages[-1][2])
        return first[1], first[2] + b"".join(m[1] for m in pipe.messages[1:] if m[0] == "data")

    def _prove(self, key: ProvenKey | None, text: str, seconds: float) -> None:
        """Remember a query a worker answered whole and fast, unless it calls out (SERVICE, LOAD)."""
        if key is None or seconds > self.proven.limit_s or self.in_process is None:
            return
        try:
            if self.in_process.federation.check(text):
                return
        except Exception:  # refused or malformed: the worker would have said so; never run it here
            return
        self.proven.remember(key)

    def _reply(
        self, worker: _Worker, ready: bool, deadline: float, timeout: float, key: ProvenKey | None = None,
        text: str = "",
    ) -> tuple[str, bytes | ResultStream]:
        """Read the worker's first message (or stop it if none came in time)."""
        if not ready:
            self.stats.timeouts += 1
            self._replace(worker)
            raise QueryFailed(503, f"the query ran longer than the {timeout:g} s limit and was stopped")
        try:
            message = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._replace(worker)
            raise QueryFailed(500, f"the query worker died: {err}") from err
        if message[0] == "error":
            self._release(worker)
            raise QueryFailed(message[1], message[2])
        if message[0] == "done":
            self._release(worker)
            self._prove(key, text, message[4])
            return message[1], message[2]
        _, media_type, first = message
        return media_type, ResultStream(self, worker, first, deadline, timeout)

    def close(self) -> None:
        self._closed = True
        self._in_process_threads.shutdown(wait=True)
        while True:
            with self._lock:
                if not self._idle:
                    break
                worker = self._idle.popleft()
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(1)
            if worker.process.is_alive():
                worker.process.kill()


class ResultStream:
    """The body of a running query: an iterator of chunks that gives the worker back when complete,
    and kills it when abandoned early (a client that disconnects stops the work)."""

    def __init__(self, pool: QueryPool, worker: _Worker, first: bytes, deadline: float, timeout: float) -> None:
        self._pool = pool
        self._worker: _Worker | None = worker
        self._pending: bytes | None = first
        self._deadline = deadline
        self._timeout = timeout
        self.rows = 0

    def __iter__(self) -> ResultStream:
        return self

    def __next__(self) -> bytes:
        if self._pending is not None:
            first, self._pending = self._pending, None
            return first
        worker = self._worker
        if worker is None:
            raise StopIteration
        try:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0 or not worker.conn.poll(remaining):
                self._pool.stats.timeouts += 1
                self.close()
                raise StreamBroken(f"the query ran longer than the {self._timeout:g} s limit and was stopped")
            message = worker.conn.recv()
        except (EOFError, OSError) as err:
            self.close()
            raise StreamBroken(f"the query worker died: {err}") from err
        if message[0] == "data":
            return message[1]
        self._worker = None
        self._pool._release(worker)  # the worker finished this task and waits for the next
        if message[0] == "end":
            self.rows = message[1]
            raise StopIteration
        raise StreamBroken(message[2])

    def close(self) -> None:
        """Stop early: the worker may still be computing, so it is killed and replaced."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._pool._replace(worker)

    def __del__(self) -> None:
        self.close()
