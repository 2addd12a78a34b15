"""The on-disk Oxigraph store: versions built aside and swapped in whole, opened for queries.

Layout of a store directory ``S``::

    S/current            symlink to the version being served (relative: versions/<id>)
    S/versions/<id>/     one complete Oxigraph database
    S/versions/<id>.json what built it (time, inputs, counts)
    S/.build.lock        held by the one build that may run at a time
    S/versions/*.building  a build in progress (or one that was killed; removed by the next build)
    S/versions/<id>.lease  a shared ``flock`` held by every process that has the version open

A version is removed only when nobody holds its lease (a server, a query worker, a backup): the
remover takes the lease exclusively without waiting, and skips the version if that fails. An opener
takes it shared, then checks that the version still exists (else it opens ``current`` instead).

A build writes a new version next to the old one and moves ``current`` only when the new version
is complete, so a build that fails or is killed leaves the previous store intact and queryable.
This is the only module that touches :class:`pyoxigraph.Store`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import io
import itertools
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError, StoreError, StoreLockedError, StoreNotFoundError

CURRENT = "current"
VERSIONS = "versions"
BUILDING_SUFFIX = ".building"
LOCK_FILE = ".build.lock"
LEASE_SUFFIX = ".lease"
KEEP_VERSIONS = 2
# A build's N-Quads: the first SPOOL_BYTES spooled to files of SEGMENT_BYTES growing by SEGMENT_GROWTH, each
# bulk-loaded once complete (small first files keep the loader busy from the start and the wait after the
# last row short); the rest piped into one bulk load (through a pipe of PIPE_BYTES).
SEGMENT_BYTES = 32 << 20
SEGMENT_GROWTH = 1.5
SPOOL_BYTES = 256 << 20
PIPE_BYTES = 1 << 20
# blocks (about 0.6 MB each) the producer may be ahead of the piped bulk load
PIPE_BACKLOG_BLOCKS = 64
# how much the bulk-load thread yields to the thread producing the quads (a thread's own nice value)
LOADER_NICENESS = 10
# written into the pipe when the producer fails, so that the bulk load fails too
_NOT_NQUADS = b"\n<> <> <> <> <> .\n"


def _map_error(err: BaseException, path: Path | str, action: str) -> StoreError:
    """Turn what pyoxigraph or the file system raised into one of our store errors."""
    text = str(err)
    if "lock" in text.lower() or "Resource temporarily unavailable" in text:
        return StoreLockedError(f"{path}: the store is locked by another writer ({action}): {text}")
    return StoreError(f"{path}: cannot {action}: {text}")


class VersionLease:
    """A shared lock on one version: while any process holds one, the version is not removed."""

    def __init__(self, handle: Any, version: Path) -> None:
        self._handle = handle
        self.version = version

    @classmethod
    def take(cls, version: Path) -> VersionLease | None:
        """The lease of ``version``, or ``None`` if the version is gone or being removed."""
        try:
            handle = open(version.with_name(version.name + LEASE_SUFFIX), "a+")  # noqa: SIM115 - held until release
        except OSError:
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        if not version.is_dir():  # removed between our look at `current` and the lock
            handle.close()
            return None
        return cls(handle, version)

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing the file drops the lock

    def __del__(self) -> None:
        self.release()


class KgStore:
    """One opened store version: query it, update it (when writable), count and dump its quads.

    It holds the version's lease until it is closed (writable) or no longer referenced (read-only: a
    thread still reading from a store that another thread closed keeps it, and its files, alive).
    """

    def __init__(
        self, store: ox.Store, path: Path, *, read_only: bool, lease: VersionLease | None = None
    ) -> None:
        self._store = store
        self.path = path
        self.read_only = read_only
        self._lease = lease

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate a SPARQL query; the default graph is the union of all graphs unless one is named."""
        options: dict[str, Any] = {}
        if default_graph is not None:
            options["default_graph"] = [_graph_term(g) for g in default_graph]
        else:
            options["use_default_graph_as_union"] = union_default_graph
        if named_graphs is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self._store.query(sparql, base_iri=base_iri, **options)
        except SyntaxError as err:
            raise QueryError(f"malformed query: {err}") from err
        except (ValueError, OSError) as err:
            raise QueryError(str(err)) from err

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as err:
            raise QueryError(f"malformed update: {err}") from err

    def named_graphs(self) -> Iterator[str]:
        for graph in self._store.named_graphs():
            yield graph.value

    def __len__(self) -> int:
        return len(self._store)

    def dump_nquads(self, output: Any, *, graph: str | None = None) -> None:
        """Write the quads (or one graph's triples as N-Quads) to a binary file object."""
        if graph is None:
            self._store.dump(output, ox.RdfFormat.N_QUADS)
        else:
            self._store.dump(output, ox.RdfFormat.N_QUADS, from_graph=ox.NamedNode(graph))

    def dump(
        self,
        output: Any,
        format: str,
        *,
        graph: str | None = None,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        """Stream the store (or one graph) to a binary file object in ``format``.

        ``format`` is ``nquads``, ``trig``, ``turtle``, ``ntriples`` or ``jsonld``. A triple format
        without ``graph`` gets the union of all graphs, streamed quad by quad (the triples of the
        default graph a query sees; no quad holds a triple that another graph also holds).
        """
        rdf_format = DUMP_FORMATS.get(format)
        if rdf_format is None:
            raise StoreError(f"unknown dump format {format!r} (expected one of {', '.join(DUMP_FORMATS)})")
        options: dict[str, Any] = {}
        if prefixes and format in ("trig", "turtle"):
            options["prefixes"] = prefixes
        try:
            if graph is not None:
                if rdf_format.supports_datasets:
                    ox.serialize(self.quads(graph=graph), output, rdf_format, **options)
                else:
                    self._store.dump(output, rdf_format, from_graph=_graph_term(graph), **options)
            elif rdf_format.supports_datasets:
                self._store.dump(output, rdf_format, **options)
            else:
                triples = (ox.Triple(q.subject, q.predicate, q.object) for q in self._store)
                ox.serialize(triples, output, rdf_format, **options)
        except (OSError, ValueError) as err:
            raise _map_error(err, self.path, f"dump the store as {format}") from err

    def load_file(self, path: Path | str, *, format: str = "nquads") -> None:
        """Bulk-load an RDF file (``.gz`` is decompressed) into this (writable) store."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        opener = gzip.open if str(path).endswith(".gz") else open
        try:
            with opener(path, "rb") as handle:
                self._store.bulk_load(handle, DUMP_FORMATS[format])
        except (OSError, SyntaxError, ValueError) as err:
            raise _map_error(err, self.path, f"load {path}") from err

    def quads(self, *, subject: str | None = None, graph: str | None = None) -> Iterator[ox.Quad]:
        """Every quad (or those of one subject IRI, of one graph), streamed in the store's order."""
        if subject is None and graph is None:
            yield from self._store
        else:
            yield from self._store.quads_for_pattern(
                None if subject is None else ox.NamedNode(subject),
                None,
                None,
                None if graph is None else _graph_term(graph),
            )

    def nquads(self, *, exclude_graphs: Iterable[str] = ()) -> Iterator[str]:
        """Every quad as an N-Quads line, in the store's order, skipping the named graphs listed."""
        skip = frozenset(exclude_graphs)
        for quad in self._store:
            if skip and isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in skip:
                continue
            yield f"{quad} .\n"

    # Graph Store Protocol: whole graphs read, replaced, merged and dropped. ``None`` is the default graph.

    def has_graph(self, graph: str | None) -> bool:
        """Whether the graph exists (the default graph always does)."""
        return graph is None or self._store.contains_named_graph(ox.NamedNode(graph))

    def graph_triples(self, graph: str | None) -> Iterator[ox.Triple]:
        """The triples of one graph, streamed from the store."""
        target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        for quad in self._store.quads_for_pattern(None, None, None, target):
            yield quad.triple

    def load_graph(self, data: bytes, media_type: str, graph: str | None, *, replace: bool, base_iri: str) -> bool:
        """Parse ``data`` then write it into ``graph`` (replacing it or merging); True if the graph was new.

        The document is parsed completely before anything is written, so a malformed one changes nothing.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        rdf_format = ox.RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            raise ValueError(f"unsupported RDF media type {media_type!r}")
        target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        try:
            triples = [
                ox.Quad(q.subject, q.predicate, q.object, target)
                for q in ox.parse(
                    data, rdf_format, base_iri=base_iri, without_named_graphs=True, rename_blank_nodes=True
                )
            ]
        except SyntaxError as err:
            raise QueryError(f"malformed {rdf_format.name} document: {err}") from err
        created = not self.has_graph(graph)
        if replace and not created:
            self._store.clear_graph(target)
        if graph is not None and created:
            self._store.add_graph(target)
        self._store.extend(triples)
        return created

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph (or empty the default graph); False if there was no such graph."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        if graph is None:
            self._store.clear_graph(ox.DefaultGraph())
            return True
        if not self.has_graph(graph):
            return False
        self._store.remove_graph(ox.NamedNode(graph))
        return True

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for the layers that stream its results out."""
        return self._store

    def flush(self) -> None:
        if not self.read_only:
            self._store.flush()

    def close(self) -> None:
        """Flush and close a writable store; a read-only one is released when no longer referenced."""
        if self.read_only:
            return
        with contextlib.suppress(Exception):
            self._store.flush()
        del self._store
        if self._lease is not None:
            self._lease.release()


DUMP_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def iri_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute IRI the store accepts (``None`` when it is one)."""
    try:
        ox.NamedNode(value)
    except ValueError as err:
        return str(err)
    return None


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _graph_term(graph: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if graph == "" else ox.NamedNode(graph)


class _NQuadsReader(io.RawIOBase):
    """A binary file object over a stream of N-Quads lines, for ``bulk_load`` to pull from."""

    def __init__(self, lines: Iterable[str | bytes]) -> None:
        self._lines = iter(lines)
        self._buffer = b""
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        size = len(target)
        try:
            while len(self._buffer) < size:
                parts = [self._buffer]
                total = len(self._buffer)
                for line in self._lines:
                    data = line if isinstance(line, bytes) else line.encode("utf-8")
                    parts.append(data)
                    total += len(data)
                    if total >= size:
                        break
                else:
                    self._buffer = b"".join(parts)
                    break
                self._buffer = b"".join(parts)
        except BaseException as err:  # surfaced by the caller after bulk_load returns or fails
            self.error = err
            raise
        n = min(size, len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _open_pipe_writer(pipe: Path, reader: Any) -> int | None:
    """Open a named pipe for writing once ``reader`` (a thread) has opened it; None if it ended first."""
    while True:
        try:
            fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as err:
            if err.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if not reader.is_alive():
                return None
            time.sleep(0.001)
            continue
        os.set_blocking(fd, True)
        with contextlib.suppress(OSError):  # a larger pipe means fewer switches; the system may refuse
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _yield_to_producer() -> None:
    """Lower this thread's priority (threads Oxigraph starts from it inherit it): loading catches up later."""
    with contextlib.suppress(OSError):
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + LOADER_NICENESS))


class StoreDirectory:
    """A store directory holding versions, of which ``current`` is the one served."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / VERSIONS

    def current_version(self) -> Path | None:
        """The directory of the current version, or ``None`` if the store has none yet."""
        link = self.root / CURRENT
        if not link.is_symlink() and not link.exists():
            return None
        target = link.resolve()
        return target if target.is_dir() else None

    def exists(self) -> bool:
        return self.current_version() is not None

    def build_info(self) -> dict[str, Any]:
        """What built the current version (empty for a store made by ``kg serve`` on an empty folder)."""
        version = self.current_version()
        if version is None:
            return {}
        info = version.with_suffix(".json")
        return json.loads(info.read_text()) if info.exists() else {}

    def open(self, *, read_only: bool = True, version: Path | str | None = None) -> KgStore:
        """Open the current version (or ``version``, if it still exists), read-only by default.

        The returned store holds the version's lease, so no build removes the version meanwhile.
        """
        wanted = Path(version) if version is not None else None
        for _ in range(10):
            path = wanted or self.current_version()
            if path is None:
                raise StoreNotFoundError(f"{self.root}: no store here (run `kg build --store {self.root}` first)")
            lease = VersionLease.take(path)
            if lease is not None:
                break
            wanted = None  # that version is gone: take the current one
        else:
            raise StoreError(f"{self.root}: the current version kept changing under us; try again")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except (OSError, RuntimeError) as err:
            lease.release()
            raise _map_error(err, path, "open the store") from err
        return KgStore(store, path, read_only=read_only, lease=lease)

    def backup(self, output: Path | str) -> Path:
        """Copy the current version, consistently, into a new store directory ``output`` (with its own
        ``current``), even while a server reads the store or a build swaps in another version.

        Returns the new version's directory. ``output`` must not exist or be empty. On the same file
        system the copy hard-links the immutable data files, so it is fast and small.
        """
        target = StoreDirectory(output)
        if target.root.exists() and any(target.root.iterdir()):
            raise StoreError(f"{target.root}: the backup target exists and is not empty")
        source = self.open(read_only=True)
        try:
            with target._build_lock():
                target.versions_dir.mkdir(parents=True, exist_ok=True)
                version_id = source.path.name
                building = target.versions_dir / (version_id + BUILDING_SUFFIX)
                try:
                    source.raw.backup(str(building))
                except (OSError, RuntimeError) as err:
                    shutil.rmtree(building, ignore_errors=True)
                    raise _map_error(err, building, "back up the store") from err
                final = target.versions_dir / version_id
                os.replace(building, final)
                info = self.build_info() if self.current_version() == source.path else {}
                info = {**info, "backup_of": str(source.path), "backed_up_at": _utc_now()}
                final.with_suffix(".json").write_text(json.dumps(info, indent=2, default=str))
                target._swap_current(final)
        finally:
            source.close()
            del source
        return final

    def remove_unused_versions(self) -> list[Path]:
        """Remove old versions that nobody has open (skipped while a build runs: it cleans up itself)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []
            try:
                current = self.current_version()
                return self._remove_old_versions(keep=current) if current is not None else []
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def replace_graphs(self, graphs: dict[str, Iterable[str]], *, info: dict[str, Any] | None = None) -> None:
        """A new version: the current one's quads with each named graph in ``graphs`` replaced.

        ``graphs`` maps a graph IRI to the N-Quads lines of its new content (quads in that graph).
        The current version stays served until the new one is complete.
        """
        current = self.open(read_only=True)
        try:
            with self.new_version(info=info) as writer:
                writer.bulk_load_nquads(
                    itertools.chain(current.nquads(exclude_graphs=graphs), *graphs.values())
                )
        finally:
            current.close()

    def open_or_create(self) -> KgStore:
        """Open the current version for writing, creating an empty one if the store has none."""
        if not self.exists():
            with self.new_version(info={"created_by": "empty store"}):
                pass
        return self.open(read_only=False)

    @contextlib.contextmanager
    def _build_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreLockedError(f"{self.root}: another build is writing this store") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_stale_builds(self) -> None:
        for path in self.versions_dir.glob(f"*{BUILDING_SUFFIX}"):
            shutil.rmtree(path, ignore_errors=True)

    def _new_version_id(self) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        return f"v{stamp}-{time.time_ns() % 1_000_000_000:09d}"

    @contextlib.contextmanager
    def new_version(
        self, *, info: dict[str, Any] | None = None, from_current: bool = False
    ) -> Iterator[VersionWriter]:
        """Write a new version aside; it becomes ``current`` only if the block completes.

        With ``from_current`` the new version starts as a copy of the current one (``Store.backup``,
        which hard-links the immutable files on the same file system), for incremental updates.
        """
        with self._build_lock():
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            self._remove_stale_builds()
            version_id = self._new_version_id()
            building = self.versions_dir / (version_id + BUILDING_SUFFIX)
            try:
                if from_current:
                    self._copy_current(building)
                store = ox.Store(str(building))
            except (OSError, RuntimeError) as err:
                shutil.rmtree(building, ignore_errors=True)
                raise _map_error(err, building, "create a new version") from err
            writer = VersionWriter(KgStore(store, building, read_only=False))
            del store  # closing the writer must close the database (a server opens it writable next)
            try:
                yield writer
                writer.store.flush()
                writer.store.close()
            except BaseException:
                writer.store.close()
                shutil.rmtree(building, ignore_errors=True)
                raise
            final = self.versions_dir / version_id
            os.replace(building, final)
            meta = {"version": version_id, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            meta.update(info or {})
            meta.update(writer.info)
            final.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))
            self._swap_current(final)
            self._remove_old_versions(keep=final)

    def _copy_current(self, target: Path) -> None:
        if self.current_version() is None:
            raise StoreNotFoundError(f"{self.root}: no store here to update (run `kg build --store {self.root}` first)")
        source = self.open(read_only=True)
        try:
            source.raw.backup(str(target))
        finally:
            del source

    def _swap_current(self, version: Path) -> None:
        link = self.root / CURRENT
        tmp = self.root / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.path.relpath(version, self.root), tmp)
        os.replace(tmp, link)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def old_versions(self) -> list[Path]:
        """Versions past the newest ``KEEP_VERSIONS`` (removed once nobody holds them)."""
        versions = sorted(
            p for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.endswith(BUILDING_SUFFIX)
        ) if self.versions_dir.is_dir() else []
        current = self.current_version()
        return [p for p in versions if p != current][: max(0, len(versions) - KEEP_VERSIONS)]

    def _remove_old_versions(self, *, keep: Path) -> list[Path]:
        """Remove all but the newest ``KEEP_VERSIONS`` versions, skipping those some process has open."""
        versions = sorted(
            p for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.endswith(BUILDING_SUFFIX)
        )
        old = [p for p in versions if p != keep][: max(0, len(versions) - KEEP_VERSIONS)]
        removed = []
        for path in old:
            lease = path.with_name(path.name + LEASE_SUFFIX)
            with open(lease, "a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # in use: a later build (or the server, once it lets go) removes it
                shutil.rmtree(path, ignore_errors=True)
                path.with_suffix(".json").unlink(missing_ok=True)
                lease.unlink(missing_ok=True)
            removed.append(path)
        for lease in self.versions_dir.glob(f"*{LEASE_SUFFIX}"):  # leases left by versions already gone
            if not lease.with_name(lease.name[: -len(LEASE_SUFFIX)]).exists():
                lease.unlink(missing_ok=True)
        return removed


class VersionWriter:
    """Loads quads into a version being built."""

    def __init__(self, store: KgStore) -> None:
        self.store = store
        self.info: dict[str, Any] = {}

    def bulk_load_nquads(self, lines: Iterable[str | bytes]) -> None:
        """Bulk-load a stream of N-Quads lines (or blocks of whole lines, as text or UTF-8) without holding them."""
        reader = _NQuadsReader(lines)
        try:
            self.store.raw.bulk_load(io.BufferedReader(reader, 1 << 20), ox.RdfFormat.N_QUADS)
        except BaseException as err:
            if reader.error is not None:
                raise reader.error from None
            raise _map_error(err, self.store.path, "load quads") from err
        if reader.error is not None:
            raise reader.error

    def bulk_load_overlapped(
        self, blocks: Iterable[str | bytes], *, spool_bytes: int = SPOOL_BYTES, segment_bytes: int = SEGMENT_BYTES
    ) -> None:
        """Bulk-load N-Quads (lines, or blocks of whole lines) while the caller goes on producing them.

        Oxigraph sorts and writes the quads of a bulk load only after it has read a million of them (or
        all), so a small store loads best in steps and a large one in one load (fewer files, a smaller
        store). The first ``spool_bytes`` of the stream go to files of growing size, each bulk-loaded by a
        thread once complete; the rest streams through a named pipe into one more bulk load, in a second
        thread. Oxigraph releases the GIL while it reads a path (from a Python file object it would need
        the GIL for every read), so producing and loading use both cores.
        A producer error stops the loads (the piped one is made to fail, so it commits nothing) and is
        raised here; so is a load error.
        """
        import tempfile

        failure: list[BaseException] = []
        pending: queue.Queue[Path | None] = queue.Queue(maxsize=2)

        def load_segments() -> None:
            _yield_to_producer()
            while (path := pending.get()) is not None:
                if not failure:
                    self._bulk_load_path(path, failure)
                path.unlink(missing_ok=True)

        items = iter(blocks)
        # beside the version (same disk, not a RAM /tmp), named like a build so that a crash's leftovers go too
        with tempfile.TemporaryDirectory(prefix=".spool-", suffix=BUILDING_SUFFIX, dir=self.store.path.parent) as tmp:
            spool = Path(tmp)
            segments = threading.Thread(target=load_segments, name="kg-bulk-load", daemon=True)
            segments.start()
            try:
                spooled, segment, limit = 0, 0, segment_bytes
                while spooled < spool_bytes and not failure:
                    path = spool / f"segment-{segment:05d}.nq"
                    size = 0
                    with open(path, "wb") as out:
                        for item in items:
                            data = item if isinstance(item, bytes) else item.encode("utf-8")
                            out.write(data)
                            size += len(data)
                            if size >= limit:
                                break
                    if not size:
                        path.unlink()
                        break
                    pending.put(path)
                    spooled, segment, limit = spooled + size, segment + 1, int(limit * SEGMENT_GROWTH)
                if spooled >= spool_bytes and not failure:
                    self._bulk_load_piped(spool / "rest.nq", items, failure)
            except BaseException:
                failure.append(StoreError("load stopped: the quads could not be produced"))
                raise
            finally:
                pending.put(None)
                segments.join()
            if failure:
                raise failure[0]

    def _bulk_load_path(self, path: Path, failure: list[BaseException]) -> None:
        try:
            self.store.raw.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except BaseException as err:  # raised in the producer's thread
            failure.append(_map_error(err, self.store.path, "load quads"))

    def _bulk_load_piped(self, pipe: Path, items: Iterator[str | bytes], failure: list[BaseException]) -> None:
        """Write ``items`` into a named pipe that one bulk load in a thread reads; returns when it is loaded."""
        first = next(items, None)
        if first is None:
            return
        os.mkfifo(pipe, 0o600)

        def load() -> None:
            _yield_to_producer()
            self._bulk_load_path(pipe, failure)

        loader = threading.Thread(target=load, name="kg-bulk-load-piped", daemon=True)
        loader.start()
        try:
            fd = _open_pipe_writer(pipe, loader)
        except BaseException:  # interrupted while the loader waits for a writer: let it fail, then go
            with contextlib.suppress(OSError):
                fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
                try:
                    os.write(fd, _NOT_NQUADS)
                finally:
                    os.close(fd)
            loader.join()
            raise
        if fd is None:  # the loader ended before it opened the pipe
            loader.join()
            if not failure:
                failure.append(StoreError(f"{self.store.path}: the bulk load did not start"))
            return
        # The pipe is fed by a thread of its own from a queue of blocks, so that the producer goes on while
        # the loader is busy starting a batch (blocked on a full pipe, the producer left a core idle).
        stopped = threading.Event()
        backlog: queue.Queue[bytes | None] = queue.Queue(maxsize=PIPE_BACKLOG_BLOCKS)

        def feed() -> None:
            try:
                while (data := backlog.get()) is not None:
                    if not stopped.is_set():
                        _write_all(fd, data)
            except OSError as err:  # a broken pipe: the loader stopped reading, its error says why
                if not isinstance(err, BrokenPipeError):
                    failure.append(_map_error(err, pipe, "feed the bulk load"))
                stopped.set()
                while backlog.get() is not None:  # let the producer finish its puts
                    pass
            finally:
                os.close(fd)

        feeder = threading.Thread(target=feed, name="kg-bulk-load-feed", daemon=True)
        feeder.start()
        try:
            for item in itertools.chain((first,), items):
                if stopped.is_set():
                    break
                backlog.put(item if isinstance(item, bytes) else item.encode("utf-8"))
        except BaseException:
            backlog.put(_NOT_NQUADS)  # the load fails instead of committing a part
            backlog.put(None)
            feeder.join()
            loader.join()
            raise
        backlog.put(None)
        feeder.join()
        loader.join()
        if stopped.is_set() and not failure:
            failure.append(StoreError(f"{self.store.path}: the bulk load stopped"))

    def bulk_load_files(self, paths: Iterable[Path]) -> None:
        """Bulk-load N-Quads files (plain or ``.gz``), one after the other."""
        for path in paths:
            try:
                if str(path).endswith(".gz"):
                    import gzip

                    with gzip.open(path, "rb") as handle:
                        self.store.raw.bulk_load(handle, ox.RdfFormat.N_QUADS)
                else:
                    self.store.raw.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
            except (OSError, SyntaxError, ValueError) as err:
                raise _map_error(err, path, "load quads") from err

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update on the version being written."""
        self.store.update(sparql)

    def select(self, sparql: str) -> list[tuple[str | None, ...]]:
        """The rows of a SELECT on the version being written, each term as its plain value (IRI or lexical form)."""
        result = self.store.query(sparql)
        names = [v.value for v in result.variables]
        return [tuple(s[n].value if s[n] is not None else None for n in names) for s in result]
