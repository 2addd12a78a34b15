"""The Docker files: checked without a Docker engine (none runs here) by parsing them and running the entry point."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kg.build import build
from kg.cli import make_parser
from kg.sources.readers import sample_path
from kg.vocab import DEFAULT_BASE_IRI

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def test_dockerfile_runs_as_non_root_with_a_health_check_on_health():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "\nUSER kg\n" in text
    assert "HEALTHCHECK" in text and "/health" in text
    assert "EXPOSE 8000" in text
    assert "RUN kg build --store /app/sample-store" in text  # the sample is baked in


def test_compose_file_is_valid():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (scripts/system-deps.sh installs it)")
    proc = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "kg-data:/data" in proc.stdout and "restart: unless-stopped" in proc.stdout
    assert "/health" in proc.stdout


def test_entrypoint_uses_only_commands_and_flags_that_exist():
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0
    parser = make_parser()
    text = ENTRYPOINT.read_text()
    used = {"build": ["--input", "--store", "--rejects"], "serve": ["--store", "--host", "--port"]}
    for command, flags in used.items():
        assert f"kg {command}" in text
        help_text = subprocess.run([sys.executable, "-m", "kg.cli", command, "--help"],
                                   capture_output=True, text=True).stdout
        for flag in flags:
            assert flag in help_text, (command, flag)
    assert parser.prog == "kg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("with_input", [True, False], ids=["input-folder", "baked-sample"])
def test_entrypoint_builds_the_store_once_then_serves_it(tmp_path, with_input):
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    if with_input:
        shutil.copy(sample_path(), input_dir / "records.jsonl")
    sample_store = tmp_path / "sample-store"
    build([], sample_store, base_iri=DEFAULT_BASE_IRI, claims=False)
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "KG_STORE": str(tmp_path / "data" / "kg-store"),
        "KG_INPUT_DIR": str(input_dir),
        "KG_SAMPLE_STORE": str(sample_store),
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
    }
    proc = subprocess.Popen(["sh", str(ENTRYPOINT), "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?p a <http://purl.org/spar/fabio/Preprint> }"
        response = httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": count},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert response.json()["results"]["bindings"][0]["n"]["value"] == "2"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert ("building" in output) == with_input
    assert ("bundled sample" in output) == (not with_input)
    assert (tmp_path / "data" / "kg-store" / "current").is_symlink()
