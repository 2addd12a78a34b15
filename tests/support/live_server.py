"""Start ``kg serve`` (uvicorn) on 127.0.0.1 in a subprocess and wait until ``/health`` says ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    token: str | None
    store: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_server(
    store: Path,
    log_dir: Path,
    *,
    token: str | None = None,
    timeout_s: float = 30,
    workers: int = 2,
    http_workers: int = 1,
    wrapper: tuple[str, ...] = (),
    **env: str,
) -> LiveServer:
    """Run ``kg serve --store STORE`` on a free port (behind ``wrapper``, a command that execs the rest, such
    as ``setpriv``); returns once the store is open."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    environment.update({"KG_QUERY_TIMEOUT_S": str(timeout_s), **env})
    if token:
        environment["KG_UPDATE_TOKEN"] = token
    log = log_dir / f"server-{port}.log"
    handle = open(log, "wb")  # noqa: SIM115 - the server writes to it until stopped
    process = subprocess.Popen(
        [*wrapper, sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--http-workers", str(http_workers),
         "--log-level", "warning"],
        env=environment, stdout=handle, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return LiveServer(url, token, store, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"kg serve did not become ready:\n{log.read_text()}")
