"""The VoID + PROV description of a store: what it holds, where to query and download it, where it came from.

:func:`void_triples` is a pure function of the store, the settings and the build information: the
server publishes its result at ``/.well-known/void`` and in its Service Description. Counts come from
SPARQL over the union of the store's graphs; each is a full scan, so callers cache the result per
store version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterator, Mapping
from typing import Any

import rdflib

from kg.rdf import iri, literal, typed
from kg.settings import Settings
from kg.store import KgStore
from kg.vocab import (
    BIBO,
    DCTERMS,
    FOAF,
    KG,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    VOID,
    XSD,
    IriScheme,
)

Triple = tuple[str, str, str]

ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"
DOI_RESOLVER = "https://doi.org/"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
WIKIDATA_ARXIV_ID = "http://www.wikidata.org/prop/direct/P818"


def software_version() -> str:
    """The installed version of arxiv-kg."""
    try:
        return importlib.metadata.version("arxiv-kg")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _count(store: KgStore, sparql: str) -> int:
    solution = next(iter(store.query(sparql)))
    return int(solution["n"].value)


def _grouped(store: KgStore, sparql: str) -> list[tuple[str, int]]:
    return sorted((s["x"].value, int(s["n"].value)) for s in store.query(sparql))


def _local_key(term: str) -> str:
    """A readable, stable fragment for a class or property: ``fabio-Preprint``, else a short hash."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = term[len(ns):]
        if term.startswith(ns) and local.replace("_", "").replace("-", "").isalnum():
            return f"{prefix}-{local}"
    return hashlib.sha1(term.encode("utf-8")).hexdigest()[:12]


def dataset_counts(store: KgStore, base_iri: str) -> dict[str, Any]:
    """Triples, entities, distinct subjects and objects, and the class and property partitions."""
    base = base_iri.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "entities": _count(
            store,
            f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{base}"))}}',
        ),
        "distinct_subjects": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "distinct_objects": _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "classes": _grouped(store, f"SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{RDF.type}> ?x }} GROUP BY ?x"),
        "properties": _grouped(store, "SELECT ?x (COUNT(*) AS ?n) WHERE { ?s ?x ?o } GROUP BY ?x"),
        "links": {
            "arxiv": _count(
                store,
                f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{FOAF.page}> ?o FILTER STRSTARTS(STR(?o), "{ARXIV_ABS}") }}',
            ),
            "arxiv_pdf": _count(
                store, f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{KG.pdf}> ?o FILTER STRSTARTS(STR(?o), "{ARXIV_PDF}") }}'
            ),
            "doi": _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{BIBO.doi}> ?o }}"),
            "wikidata": _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{KG.arxivId}> ?o }}"),
        },
    }


def void_triples(store: KgStore, settings: Settings, build_info: Mapping[str, Any]) -> list[Triple]:
    """The VoID description of ``store`` as N-Triples terms (subject, predicate, object)."""
    return list(_void(store, settings, build_info))


def _void(store: KgStore, settings: Settings, build_info: Mapping[str, Any]) -> Iterator[Triple]:
    iris = IriScheme(settings.base_iri)
    counts = dataset_counts(store, iris.base)
    a = iri(RDF.type)
    doc = iri(iris.document(".well-known/void"))
    ds = iri(iris.void("dataset"))
    build = iri(iris.void("build"))
    software = iri(iris.void("software"))
    source = iri(settings.dataset_source)
    version = software_version()

    yield doc, a, iri(VOID.DatasetDescription)
    yield doc, iri(DCTERMS.title), literal(f"Description of {settings.dataset_title}", lang="en")
    yield doc, iri(FOAF.primaryTopic), ds

    yield ds, a, iri(VOID.Dataset)
    yield ds, iri(DCTERMS.title), literal(settings.dataset_title, lang="en")
    yield ds, iri(DCTERMS.description), literal(
        "arXiv papers with their ordered authors, categories, citations, full-text chunks and the claims "
        "stated in them, built from the ai-arxiv chunked dataset.",
        lang="en",
    )
    yield ds, iri(DCTERMS.license), iri(settings.dataset_license)
    yield ds, iri(DCTERMS.source), source
    yield ds, iri(VOID.sparqlEndpoint), iri(iris.document("sparql"))
    yield ds, iri(VOID.dataDump), iri(iris.document("dump.nq.gz"))
    yield ds, iri(VOID.uriSpace), literal(iris.base)
    yield ds, iri(VOID.rootResource), iri(iris.category_scheme())
    yield ds, iri(VOID.feature), iri("http://www.w3.org/ns/formats/N-Quads")
    yield ds, iri(VOID.feature), iri("http://www.w3.org/ns/formats/Turtle")
    yield ds, iri(VOID.triples), typed(counts["triples"], XSD.integer)
    yield ds, iri(VOID.entities), typed(counts["entities"], XSD.integer)
    yield ds, iri(VOID.distinctSubjects), typed(counts["distinct_subjects"], XSD.integer)
    yield ds, iri(VOID.distinctObjects), typed(counts["distinct_objects"], XSD.integer)
    yield ds, iri(VOID.classes), typed(len(counts["classes"]), XSD.integer)
    yield ds, iri(VOID.properties), typed(len(counts["properties"]), XSD.integer)

    used = {term for term, _ in counts["classes"]} | {term for term, _ in counts["properties"]}
    vocabularies = {ns for ns in PREFIXES.values() if any(t.startswith(ns) for t in used)}
    vocabularies.add(KG.iri)
    for ns in sorted(vocabularies):
        yield ds, iri(VOID.vocabulary), iri(ONTOLOGY_IRI if ns == KG.iri else ns)

    for cls, n in counts["classes"]:
        part = iri(iris.void("class-" + _local_key(cls)))
        yield ds, iri(VOID.classPartition), part
        yield part, iri(VOID["class"]), iri(cls)
        yield part, iri(VOID.entities), typed(n, XSD.integer)
    for prop, n in counts["properties"]:
        part = iri(iris.void("property-" + _local_key(prop)))
        yield ds, iri(VOID.propertyPartition), part
        yield part, iri(VOID.property), iri(prop)
        yield part, iri(VOID.triples), typed(n, XSD.integer)

    yield from _linksets(iris, ds, counts["links"])

    # Provenance: which build made this version, from what, with which software.
    yield ds, iri(PROV.wasGeneratedBy), build
    yield build, a, iri(PROV.Activity)
    yield build, iri(RDFS.label), literal(f"kg build {build_info.get('version', '')}".strip(), lang="en")
    if build_info.get("built_at"):
        yield build, iri(PROV.endedAtTime), literal(str(build_info["built_at"]), datatype=XSD.dateTime)
        yield ds, iri(DCTERMS.modified), literal(str(build_info["built_at"]), datatype=XSD.dateTime)
    yield build, iri(PROV.used), source
    yield build, iri(PROV.wasAssociatedWith), software
    yield software, a, iri(PROV.SoftwareAgent)
    yield software, iri(RDFS.label), literal(f"arxiv-kg {version}")
    yield software, iri(OWL.versionInfo), literal(version)
    yield software, iri(RDFS.seeAlso), iri(ONTOLOGY_IRI)
    for name in ("rows", "papers", "chunks", "quads", "rejected"):
        if name in build_info:
            yield build, iri(RDFS.comment), literal(f"{name}: {build_info[name]}")


def _linksets(iris: IriScheme, ds: str, links: Mapping[str, int]) -> Iterator[Triple]:
    """Links to arXiv (abs pages and PDFs), DOI (bibo:doi names) and Wikidata (by arXiv id, P818)."""
    targets = {
        "arxiv": ("arXiv", ARXIV_ABS, "https://arxiv.org/"),
        "doi": ("DOI", DOI_RESOLVER, "https://www.doi.org/"),
        "wikidata": ("Wikidata", WIKIDATA_ENTITY, "https://www.wikidata.org/"),
    }
    for key, (title, space, homepage) in targets.items():
        target = iri(iris.void(f"target-{key}"))
        yield target, iri(RDF.type), iri(VOID.Dataset)
        yield target, iri(DCTERMS.title), literal(title)
        yield target, iri(VOID.uriSpace), literal(space)
        yield target, iri(FOAF.homepage), iri(homepage)
    sets = [
        ("arxiv", FOAF.page, links["arxiv"], "Each paper's abstract page on arXiv (foaf:page)."),
        ("arxiv-pdf", KG.pdf, links["arxiv_pdf"], "Each paper's PDF on arXiv (kg:pdf)."),
        ("doi", BIBO.doi, links["doi"],
         f"arXiv's DataCite DOI of each paper as a DOI name (bibo:doi); it resolves at {DOI_RESOLVER}{{doi}}."),
        ("wikidata", KG.arxivId, links["wikidata"],
         f"Wikidata items carry the same arXiv id in {WIKIDATA_ARXIV_ID} (P818): join on kg:arxivId."),
    ]
    for key, predicate, n, description in sets:
        linkset = iri(iris.void(f"linkset-{key}"))
        target = iri(iris.void(f"target-{'arxiv' if key.startswith('arxiv') else key}"))
        yield ds, iri(VOID.subset), linkset
        yield linkset, iri(RDF.type), iri(VOID.Linkset)
        yield linkset, iri(VOID.subjectsTarget), ds
        yield linkset, iri(VOID.objectsTarget), target
        yield linkset, iri(VOID.linkPredicate), iri(predicate)
        yield linkset, iri(VOID.triples), typed(n, XSD.integer)
        yield linkset, iri(DCTERMS.description), literal(description, lang="en")


def to_graph(triples: list[Triple]) -> rdflib.Graph:
    """The triples as an rdflib graph with our prefixes bound."""
    graph = rdflib.Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    graph.parse(data="".join(f"{s} {p} {o} .\n" for s, p, o in triples), format="nt")
    return graph


def void_turtle(store: KgStore, settings: Settings, build_info: Mapping[str, Any]) -> str:
    """The VoID description as Turtle."""
    return to_graph(void_triples(store, settings, build_info)).serialize(format="turtle")
