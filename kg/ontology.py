"""The published ontology (``kg.ttl``), SHACL shapes and JSON-LD context, shipped as package data.

The files live in ``kg/data/ontology/`` (the repository's ``ontology/`` links there), so an
installed package and a checkout find the same files.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

ONTOLOGY_FILE = "kg.ttl"
SHAPES_FILE = "shapes.ttl"
CONTEXT_FILE = "context.jsonld"


def data_path(name: str) -> Path:
    """Path of one file of ``kg/data/ontology/``.

    >>> data_path("kg.ttl").name
    'kg.ttl'
    """
    return Path(str(resources.files("kg.data").joinpath("ontology", name)))


def ontology_path() -> Path:
    return data_path(ONTOLOGY_FILE)


def shapes_path() -> Path:
    return data_path(SHAPES_FILE)


def context_path() -> Path:
    return data_path(CONTEXT_FILE)


@lru_cache(maxsize=1)
def ontology_turtle() -> str:
    """The ontology as Turtle text, as served at the namespace."""
    return ontology_path().read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def jsonld_context() -> dict[str, Any]:
    """The JSON-LD document holding the ``@context`` with short keys (``title``, ``authors``, ``cites``)."""
    return json.loads(context_path().read_text(encoding="utf-8"))
