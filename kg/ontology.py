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


# ---------------------------------------------------------------------------------------------
# The HTML reference page, generated from the Turtle
# ---------------------------------------------------------------------------------------------

TEMPLATE_FILE = "reference.html.j2"

_GROUPS = (
    ("Classes", "class", "c", "http://www.w3.org/2002/07/owl#Class"),
    ("Object properties", "object property", "op", "http://www.w3.org/2002/07/owl#ObjectProperty"),
    ("Datatype properties", "datatype property", "dp", "http://www.w3.org/2002/07/owl#DatatypeProperty"),
    ("Individuals", "individual", "ni", "http://www.w3.org/2002/07/owl#NamedIndividual"),
)


def _link(node: Any, namespace: str, prefixes: dict[str, str]) -> dict[str, str]:
    """A link to a term: an anchor on this page for our own terms, the IRI itself for the others."""
    text = str(node)
    if text.startswith(namespace):
        return {"href": "#" + text[len(namespace):], "text": "kg:" + text[len(namespace):]}
    for prefix, ns in sorted(prefixes.items(), key=lambda item: -len(item[1])):
        if text.startswith(ns) and len(text) > len(ns):
            return {"href": text, "text": f"{prefix}:{text[len(ns):]}"}
    return {"href": text, "text": text}


def render_html(*, turtle_href: str = "kg.ttl", context_href: str | None = "context.jsonld") -> str:
    """The ontology's HTML reference page: every term with its definition, alignments, domain and range.

    Each term's section has the term's local name as its id, so ``.../ontology#Claim`` lands on it.

    >>> page = render_html()
    >>> 'id="Claim"' in page and "schema:Claim" in page
    True
    """
    import jinja2
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    from kg.vocab import KG, ONTOLOGY_IRI, PREFIXES

    graph = rdflib.Graph().parse(data=ontology_turtle(), format="turtle")
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    namespace = KG.iri
    ours = sorted({s for s in graph.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(namespace)})

    def links(values: Any) -> list[dict[str, str]]:
        return [_link(v, namespace, PREFIXES) for v in sorted(values) if isinstance(v, rdflib.URIRef)]

    def describe(term: rdflib.URIRef) -> dict[str, Any]:
        rows = [
            ("Subclass of", graph.objects(term, RDFS.subClassOf)),
            ("Subproperty of", graph.objects(term, RDFS.subPropertyOf)),
            ("Domain", graph.objects(term, RDFS.domain)),
            ("Range", graph.objects(term, RDFS.range)),
            ("Instance of", (t for t in graph.objects(term, RDF.type) if str(t).startswith(namespace))),
            ("Subclasses", graph.subjects(RDFS.subClassOf, term)),
            ("Subproperties", graph.subjects(RDFS.subPropertyOf, term)),
            ("Properties with this domain", graph.subjects(RDFS.domain, term)),
            ("Properties with this range", graph.subjects(RDFS.range, term)),
            ("Instances", (s for s in graph.subjects(RDF.type, term) if str(s).startswith(namespace))),
            ("See also", graph.objects(term, RDFS.seeAlso)),
        ]
        return {
            "iri": str(term),
            "local": str(term)[len(namespace):],
            "label": str(graph.value(term, RDFS.label) or str(term)[len(namespace):]),
            "comment": str(graph.value(term, RDFS.comment) or ""),
            "rows": [{"name": name, "links": links(values)} for name, values in rows],
        }

    placed: set[rdflib.URIRef] = set()
    groups = []
    for title, kind, css, owl_type in _GROUPS:
        members = [t for t in ours if (t, RDF.type, rdflib.URIRef(owl_type)) in graph and t not in placed]
        placed.update(members)
        groups.append({"title": title, "kind": kind, "css": css, "terms": [describe(t) for t in members]})

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(data_path(TEMPLATE_FILE).read_text(encoding="utf-8"))
    description = [str(graph.value(onto, RDFS.comment) or ""), str(graph.value(onto, rdflib.DCTERMS.description) or "")]
    return template.render(
        title=str(graph.value(onto, RDFS.label) or "arxiv-kg ontology"),
        iri=ONTOLOGY_IRI,
        version_iri=str(graph.value(onto, OWL.versionIRI) or ""),
        version_info=str(graph.value(onto, OWL.versionInfo) or ""),
        namespace=namespace,
        prefix=KG.prefix,
        license=str(graph.value(onto, rdflib.DCTERMS.license) or ""),
        description=[d for d in description if d],
        groups=groups,
        turtle_href=turtle_href,
        context_href=context_href,
    )
