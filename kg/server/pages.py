"""The query UI: YASGUI (vendored in ``static/yasgui``) preloaded with the example queries of
``queries/*.rq``, each file opening with ``# title:`` and ``# description:`` comment lines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from kg.server.state import ServerState, get_state
from kg.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# The repository's queries/ folder; KG_QUERIES_DIR names another (the Docker image sets it).
DEFAULT_QUERIES = Path(__file__).resolve().parents[2] / "queries"

router = APIRouter(tags=["query UI"])


@dataclass(frozen=True)
class ExampleQuery:
    name: str
    title: str
    description: str
    query: str


def read_example(path: Path) -> ExampleQuery:
    """An example query and the title and description from its comment header."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep and key.strip().lower() in ("title", "description"):
            header[key.strip().lower()] = value.strip()
    return ExampleQuery(path.stem, header.get("title", path.stem), header.get("description", ""), text)


@lru_cache(maxsize=4)
def example_queries(folder: Path = DEFAULT_QUERIES) -> tuple[ExampleQuery, ...]:
    """The example queries of a folder, sorted by file name."""
    if not folder.is_dir():
        return ()
    return tuple(read_example(p) for p in sorted(folder.glob("*.rq")))


@lru_cache(maxsize=4)
def _render(endpoint: str, folder: Path) -> str:
    template = (TEMPLATES / "ui.html").read_text(encoding="utf-8")
    examples = [asdict(e) for e in example_queries(folder)]
    # </script> must not end the inline JSON early.
    payload = json.dumps(examples).replace("</", "<\\/")
    return template.replace("__EXAMPLES__", payload).replace("__ENDPOINT__", json.dumps(endpoint))


def ui_page(settings: Settings) -> HTMLResponse:
    """The YASGUI page, querying ``/sparql`` on the same server."""
    return HTMLResponse(_render("/sparql", settings.queries_dir or DEFAULT_QUERIES))


@router.get("/", response_class=HTMLResponse, summary="The query UI (YASGUI)")
def index(state: Annotated[ServerState, Depends(get_state)]) -> HTMLResponse:
    return ui_page(state.settings)


@router.get("/queries", summary="The example queries shown in the UI")
def queries(state: Annotated[ServerState, Depends(get_state)]) -> list[dict[str, str]]:
    return [asdict(e) for e in example_queries(state.settings.queries_dir or DEFAULT_QUERIES)]
