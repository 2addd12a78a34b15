"""Dumps of a store to a file: N-Quads, TriG, Turtle or JSON-LD, optionally gzipped, streamed.

The store writes straight into the (compressing) file as it reads its quads, so memory stays flat
whatever the size of the store; the file appears under its name only once it is complete.
"""

from __future__ import annotations

import gzip
import logging
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from kg.errors import KgError
from kg.store import KgStore
from kg.vocab import PREFIXES

log = logging.getLogger("kg.export")

EXPORT_FORMATS = ("nquads", "trig", "turtle", "jsonld")
EXTENSIONS = {".nq": "nquads", ".trig": "trig", ".ttl": "turtle", ".jsonld": "jsonld", ".json": "jsonld"}


class ExportError(KgError):
    """An export that cannot be written (unknown format, unwritable output)."""

    code = "KG500"


def format_for(path: Path | str) -> str:
    """The format a file name asks for, from its extension (``.gz`` ignored).

    >>> format_for("kg.nq.gz")
    'nquads'
    >>> format_for("paper.ttl")
    'turtle'
    """
    name = str(path).lower().removesuffix(".gz")
    for ext, fmt in EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    raise ExportError(f"{path}: cannot tell the format from the file name; give --format ({', '.join(EXPORT_FORMATS)})")


class _ProgressWriter:
    """A binary writer that passes bytes on and reports how many went through."""

    def __init__(self, target: IO[bytes], *, every_s: float = 5.0) -> None:
        self._target = target
        self._every_s = every_s
        self._start = self._last = time.monotonic()
        self.written = 0

    def write(self, data: Any) -> int:
        n = self._target.write(data)
        self.written += len(data)
        now = time.monotonic()
        if now - self._last >= self._every_s:
            self._last = now
            mb = self.written / 1e6
            log.info("export: %.1f MB written (%.1f MB/s)", mb, mb / (now - self._start))
        return n

    def flush(self) -> None:
        self._target.flush()


def export(
    store: KgStore,
    output: Path | str | None,
    *,
    format: str | None = None,
    graph: str | None = None,
    base_iri: str | None = None,
) -> int:
    """Write the store (or one named graph) to ``output`` (``None`` or ``-``: stdout); returns bytes written.

    A name ending in ``.gz`` is gzipped. The file is written as ``<name>.partial`` and renamed when
    complete, so a failed export never leaves a truncated file under the final name.
    """
    to_stdout = output is None or str(output) == "-"
    fmt = format or ("nquads" if to_stdout else format_for(output))
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r} (expected one of {', '.join(EXPORT_FORMATS)})")
    if graph is not None and graph not in set(store.named_graphs()):
        raise ExportError(f"{store.path}: no graph <{graph}> in the store")
    prefixes = dict(PREFIXES)
    if base_iri:
        prefixes.update({name: f"{base_iri}{name}/" for name in ("paper", "person", "category", "concept", "graph")})
    if to_stdout:
        writer = _ProgressWriter(sys.stdout.buffer)
        try:
            store.dump(writer, fmt, graph=graph, prefixes=prefixes)
            sys.stdout.buffer.flush()
        except (BrokenPipeError, KgError) as err:  # the reader went away (`kg export | head`): stop quietly
            if isinstance(err, KgError) and "Broken pipe" not in str(err):
                raise
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return writer.written
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as raw:
            target: IO[bytes] = gzip.GzipFile(filename=path.name.removesuffix(".gz"), mode="wb", fileobj=raw,
                                              compresslevel=6, mtime=0) if path.name.endswith(".gz") else raw
            writer = _ProgressWriter(target)
            store.dump(writer, fmt, graph=graph, prefixes=prefixes)
            if target is not raw:
                target.close()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    log.info("export: %s written (%.1f MB)", path, path.stat().st_size / 1e6)
    return writer.written
