"""Real engines for the federation tests: `oxigraph serve-read-only` fixtures, a logging proxy, a listener."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kg.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "federation"
OXIGRAPH = shutil.which("oxigraph") or str(Path(__import__("sys").executable).parent / "oxigraph")

#: The public endpoint each fixture file stands for.
FIXTURES = {
    "https://query-scholarly.wikidata.org/sparql": "wikidata-scholarly.ttl",
    "https://query.wikidata.org/sparql": "wikidata-main.ttl",
    "https://sparql.dblp.org/sparql": "dblp.ttl",
    "https://semopenalex.org/sparql": "semopenalex.ttl",
    "https://opencitations.net/meta/sparql": "opencitations-meta.ttl",
    "https://opencitations.net/index/sparql": "opencitations-index.ttl",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OxigraphServer:
    """`oxigraph serve-read-only` on 127.0.0.1 over a store loaded from one file."""

    process: subprocess.Popen
    url: str

    @classmethod
    @contextlib.contextmanager
    def run(cls, data: Path, location: Path) -> Iterator[OxigraphServer]:
        subprocess.run([OXIGRAPH, "load", "--location", str(location), "--file", str(data)], check=True,
                       capture_output=True)
        port = free_port()
        process = subprocess.Popen(
            [OXIGRAPH, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/query"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"oxigraph did not start on {url}") from None
                    time.sleep(0.05)
            yield cls(process, url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    request: bytes
    status: int
    response_bytes: int


@dataclass
class LoggingProxy:
    """A threaded HTTP server on 127.0.0.1 that forwards to ``target`` and records every exchange.

    ``inject`` holds canned answers (status, headers) served before forwarding, to test retries.
    """

    target: str
    exchanges: list[Exchange] = field(default_factory=list)
    inject: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    @property
    def bytes_received(self) -> int:
        """Bytes the proxy sent back to its clients (what the caller downloaded)."""
        return sum(e.response_bytes for e in self.exchanges)

    @property
    def bytes_sent(self) -> int:
        """Bytes of request bodies the callers sent."""
        return sum(len(e.request) for e in self.exchanges)

    def start(self) -> LoggingProxy:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                if proxy.inject:
                    status, extra = proxy.inject.pop(0)
                    payload = b"busy"
                    # recorded before answering: the caller may act as soon as it reads the status line
                    proxy.exchanges.append(Exchange(self.command, self.path, headers, body, status, len(payload)))
                    self.send_response(status)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                query = self.path.partition("?")[2]
                url = proxy.target + ("?" + query if query else "")
                request = urllib.request.Request(url, data=body or None, method=self.command)
                for name in ("Content-Type", "Accept"):
                    if name in self.headers:
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, payload = response.status, response.read()
                        content_type = response.headers.get("Content-Type", "")
                except urllib.error.HTTPError as err:
                    status, payload, content_type = err.code, err.read(), err.headers.get("Content-Type", "")
                proxy.exchanges.append(Exchange(self.command, self.path, headers, body, status, len(payload)))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _forward
            do_POST = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def reset(self) -> None:
        self.exchanges.clear()
        self.inject.clear()


@pytest.fixture(scope="session")
def fixture_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Public endpoint URL -> URL of the loopback oxigraph server holding that graph's fixture."""
    root = tmp_path_factory.mktemp("federation-fixtures")
    with contextlib.ExitStack() as stack:
        urls = {}
        for public, name in FIXTURES.items():
            server = stack.enter_context(OxigraphServer.run(DATA / name, root / name))
            urls[public] = server.url
        yield urls


@pytest.fixture(scope="session")
def fixture_settings(fixture_servers: dict[str, str]) -> Settings:
    """Settings that allow exactly the loopback fixtures, with no cache and quick retries."""
    return Settings(
        federation_allow=list(fixture_servers.values()),
        federation_cache_s=0,
        federation_retries=2,
        federation_max_retry_wait_s=0.05,
        federation_timeout_s=10,
    )


def rewrite(query: str, urls: dict[str, str]) -> str:
    """The query with each public endpoint replaced by its loopback fixture."""
    for public, local in urls.items():
        query = query.replace(f"<{public}>", f"<{local}>")
    return query


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A listening socket on a loopback port that no test allowlists: it must never see a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock: socket.socket) -> int:
    """How many connections reached the listener (accepting them)."""
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1
