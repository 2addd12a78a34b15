"""Running the app: one uvicorn process, or several sharing the port through ``SO_REUSEPORT``.

Each process binds its own TCP socket (created with ``IPPROTO_TCP`` so that asyncio sets
``TCP_NODELAY`` on connections: a socket made without it costs every small response a 40 ms
delayed-ACK stall) and builds its own app, with its own query workers.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import socket
from typing import Any

import uvicorn

from kg.progress import configure_logging
from kg.server.app import serving_app
from kg.settings import Settings


def _socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    # No listen() here: uvicorn listens once the lifespan has opened the store, so a client that comes
    # early is refused (and retries) instead of waiting in the backlog of a server still starting.
    return sock


def serve(settings: Settings, *, log_level: str = "info", reuse_port: bool = False) -> None:
    """Serve in this process until interrupted."""
    sock = _socket(settings.host, settings.port, reuse_port=reuse_port)
    config = uvicorn.Config(serving_app(settings), log_level=log_level, access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _child(values: dict[str, Any], log_level: str, root_level: int) -> None:
    configure_logging(root_level)  # a spawned process starts with no logging set up: the access log needs it
    serve(Settings(**values), log_level=log_level, reuse_port=True)


def serve_processes(settings: Settings, processes: int, *, log_level: str = "info") -> None:
    """Serve from ``processes`` processes on one port (read-only stores: one process owns a writable one)."""
    if processes <= 1:
        serve(settings, log_level=log_level)
        return
    if settings.update_token is not None:
        raise ValueError("several HTTP processes need a read-only store (no update token)")
    ctx = mp.get_context("spawn")
    values = settings.model_dump(exclude={"update_token"})
    root_level = logging.getLogger().getEffectiveLevel()
    children = [ctx.Process(target=_child, args=(values, log_level, root_level), name=f"kg-http-{i}")
                for i in range(processes)]
    for child in children:
        child.start()

    def stop(signum: int, frame: Any) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()
