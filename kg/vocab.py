"""Namespaces, closed vocabularies and the IRI-minting rules that every layer uses.

Extractors never build IRIs with f-strings: they ask :class:`IriScheme` (for our own
resources, under the configurable base IRI) or a closed :class:`Namespace` (for terms of
the vocabularies we reuse). A misspelt term raises instead of minting a new IRI.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

DEFAULT_BASE_IRI = "https://w3id.org/arxiv-kg/"
ONTOLOGY_IRI = "https://w3id.org/arxiv-kg/ontology"


class Namespace:
    """A closed namespace: only the listed local names resolve, anything else raises.

    >>> DCTERMS.title
    'http://purl.org/dc/terms/title'
    >>> DCTERMS.titel
    Traceback (most recent call last):
    ...
    AttributeError: 'titel' is not a term of http://purl.org/dc/terms/
    """

    def __init__(self, iri: str, terms: Iterable[str], prefix: str) -> None:
        self._iri = iri
        self._prefix = prefix
        self._terms = frozenset(terms)

    @property
    def iri(self) -> str:
        return self._iri

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def terms(self) -> frozenset[str]:
        return self._terms

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._terms:
            raise AttributeError(f"{name!r} is not a term of {self._iri}")
        return self._iri + name

    def __getitem__(self, name: str) -> str:
        return self.__getattr__(name)

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and iri.startswith(self._iri) and iri[len(self._iri):] in self._terms


RDF = Namespace(
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", ["type", "first", "rest", "nil", "langString"], "rdf"
)
RDFS = Namespace(
    "http://www.w3.org/2000/01/rdf-schema#",
    ["label", "comment", "subClassOf", "subPropertyOf", "domain", "range", "seeAlso", "Class", "Literal"],
    "rdfs",
)
XSD = Namespace(
    "http://www.w3.org/2001/XMLSchema#",
    ["string", "date", "dateTime", "integer", "positiveInteger", "nonNegativeInteger", "boolean", "decimal", "double"],
    "xsd",
)
OWL = Namespace(
    "http://www.w3.org/2002/07/owl#",
    ["Ontology", "Class", "ObjectProperty", "DatatypeProperty", "sameAs", "versionIRI", "versionInfo", "imports"],
    "owl",
)
DCTERMS = Namespace(
    "http://purl.org/dc/terms/",
    [
        "title", "abstract", "issued", "modified", "creator", "subject", "isPartOf", "hasPart",
        "bibliographicCitation", "identifier", "license", "source", "created", "description", "publisher",
    ],
    "dcterms",
)
FOAF = Namespace("http://xmlns.com/foaf/0.1/", ["Person", "name", "page", "homepage", "primaryTopic"], "foaf")
FABIO = Namespace("http://purl.org/spar/fabio/", ["Preprint", "Expression", "hasURL"], "fabio")
CITO = Namespace("http://purl.org/spar/cito/", ["cites", "isCitedBy"], "cito")
BIBO = Namespace("http://purl.org/ontology/bibo/", ["doi"], "bibo")
SCHEMA = Namespace(
    "http://schema.org/",
    ["ScholarlyArticle", "Claim", "Role", "author", "position", "url", "name"],
    "schema",
)
SKOS = Namespace(
    "http://www.w3.org/2004/02/skos/core#",
    [
        "Concept", "ConceptScheme", "notation", "prefLabel", "altLabel", "hiddenLabel", "inScheme", "broader",
        "narrower", "topConceptOf", "hasTopConcept", "exactMatch", "definition",
    ],
    "skos",
)
PROV = Namespace(
    "http://www.w3.org/ns/prov#",
    ["Activity", "SoftwareAgent", "wasGeneratedBy", "wasAssociatedWith", "startedAtTime", "endedAtTime", "used"],
    "prov",
)
NIF = Namespace(
    "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    ["Context", "String", "OffsetBasedString", "Phrase", "Sentence", "isString", "anchorOf", "referenceContext",
     "beginIndex", "endIndex", "sentence"],
    "nif",
)
PRO = Namespace("http://purl.org/spar/pro/", ["RoleInTime", "withRole", "isHeldBy"], "pro")
ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#", ["taIdentRef", "taClassRef", "taConfidence"], "itsrdf")
KG = Namespace(
    ONTOLOGY_IRI + "#",
    [
        # classes
        "Authorship", "Chunk",
        # properties
        "arxivId", "arxivComment", "pdf", "authorship", "author", "position", "primaryCategory", "chunkIndex",
        "categoryStatus", "Claim",
        # submission history and identifiers of the arXiv metadata snapshot
        "Version", "version", "versionLabel", "reportNumber",
        # claims and research entities (issue 4)
        "statedIn", "claimType", "negated", "hedged", "confidence", "mentions",
        "Contribution", "Result", "Comparison", "Finding",
        "subject", "relation", "object", "onDataset", "onMetric", "value",
        "outperforms", "underperforms", "isComparableTo", "achieves", "improves", "doesNotImprove", "changes",
        "introduces", "comparedTo",
        "ResearchEntity", "Method", "Task", "Metric", "Dataset", "OtherScientificTerm", "EntityMention",
        "pipeline", "pipelineVersion", "spacyVersion",
    ],
    "kg",
)

VOID = Namespace(
    "http://rdfs.org/ns/void#",
    [
        "Dataset", "Linkset", "DatasetDescription", "triples", "entities", "classes", "properties",
        "distinctSubjects", "distinctObjects", "classPartition", "propertyPartition", "class", "property",
        "sparqlEndpoint", "dataDump", "uriSpace", "vocabulary", "subset", "target", "linkPredicate",
        "subjectsTarget", "objectsTarget", "exampleResource", "rootResource", "feature",
    ],
    "void",
)

PREFIXES: dict[str, str] = {
    ns.prefix: ns.iri
    for ns in (RDF, RDFS, XSD, OWL, DCTERMS, FOAF, FABIO, CITO, BIBO, SCHEMA, SKOS, PROV, NIF, PRO, ITSRDF, KG, VOID)
}

# ---------------------------------------------------------------------------------------------
# arXiv identifiers
# ---------------------------------------------------------------------------------------------

NEW_STYLE_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?P<version>v\d+)?$")
OLD_STYLE_ID = re.compile(r"^(?P<id>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?P<version>v\d+)?$")
ARXIV_DOI_PREFIX = "10.48550/arXiv."


def parse_arxiv_id(value: str) -> str | None:
    """Return the versionless arXiv id in ``value``, or ``None`` if it is not an arXiv id.

    >>> parse_arxiv_id("2307.09288v2")
    '2307.09288'
    >>> parse_arxiv_id("hep-th/9901001")
    'hep-th/9901001'
    >>> parse_arxiv_id("arXiv:2307.09288") is None
    True
    """
    value = value.strip()
    match = NEW_STYLE_ID.match(value) or OLD_STYLE_ID.match(value)
    return match.group("id") if match else None


def arxiv_doi(arxiv_id: str) -> str:
    """arXiv's DataCite DOI for a (versionless) arXiv id."""
    return ARXIV_DOI_PREFIX + arxiv_id


CATEGORY_CODE = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2,})?$")

# ---------------------------------------------------------------------------------------------
# Person identity
# ---------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def person_slug(name: str) -> str:
    """A stable slug for a person's name: NFKC, accents and case folded, words joined by ``-``.

    The same name in two papers gives the same slug, so namesakes merge into one person.

    >>> person_slug("Hugo Touvron")
    'hugo-touvron'
    >>> person_slug("  Aurélien  RODRIGUEZ ")
    'aurelien-rodriguez'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = _NON_WORD.sub("-", unicodedata.normalize("NFC", stripped)).strip("-_")
    return slug.replace("_", "-")


def normalize_name(name: str) -> str:
    """Whitespace-normalised display form of a person's name."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


# ---------------------------------------------------------------------------------------------
# IRIs of our own resources
# ---------------------------------------------------------------------------------------------

_IRI_UNSAFE = "".join(chr(c) for c in range(0x21)) + '<>"{}|^`\\ '


_IRI_UNSAFE_RE = re.compile("[" + re.escape(_IRI_UNSAFE + "%") + "]")


def _encode(value: str) -> str:
    """Percent-encode the characters an IRI may not hold (and ``%`` itself); the rest stays, Unicode included."""
    if not _IRI_UNSAFE_RE.search(value):
        return value
    return "".join(quote(c, safe="") if c in _IRI_UNSAFE or c == "%" else c for c in value)


@lru_cache(maxsize=4096)
def _paper_part(arxiv_id: str) -> str:
    """A paper's id as an IRI path segment; each of a paper's rows and quads asks again, so it is cached."""
    return _encode(parse_arxiv_id(arxiv_id) or arxiv_id)


class IriScheme:
    """Mints the IRIs of our resources under one base IRI.

    >>> iris = IriScheme("https://example.org/kg/")
    >>> iris.paper("2307.09288v2")
    'https://example.org/kg/paper/2307.09288'
    >>> iris.person("Hugo Touvron")
    'https://example.org/kg/person/hugo-touvron'
    """

    def __init__(self, base: str = DEFAULT_BASE_IRI) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def _iri(self, *parts: str) -> str:
        return self.base + "/".join(_encode(p) for p in parts)

    def paper(self, arxiv_id: str) -> str:
        return self.base + "paper/" + _paper_part(arxiv_id)

    def paper_graph(self, arxiv_id: str) -> str:
        return self.base + "graph/" + _paper_part(arxiv_id)

    def authorship(self, arxiv_id: str, position: int) -> str:
        return self.paper(arxiv_id) + f"/authorship/{position}"

    def chunk(self, arxiv_id: str, index: int) -> str:
        return self.paper(arxiv_id) + f"/chunk/{index}"

    def version(self, arxiv_id: str, label: str) -> str:
        """One submitted version of a paper: ``<paper/{id}/version/v2>``."""
        return self.paper(arxiv_id) + f"/version/{_encode(label)}"

    def abstract_context(self, arxiv_id: str) -> str:
        return self.paper(arxiv_id) + "/abstract"

    def person(self, name: str) -> str:
        return self._iri("person", person_slug(name))

    def category(self, code: str) -> str:
        return self._iri("category", code)

    def category_scheme(self) -> str:
        return self._iri("scheme", "arxiv")

    def concept(self, slug: str) -> str:
        return self._iri("concept", slug)

    def claim(self, arxiv_id: str, key: str) -> str:
        return self.paper(arxiv_id) + f"/claim/{_encode(key)}"

    def document(self, path: str) -> str:
        """A document the server publishes under the base: ``sparql``, ``dump.nq.gz``, ``.well-known/void``.

        >>> IriScheme("https://example.org/kg/").document(".well-known/void")
        'https://example.org/kg/.well-known/void'
        """
        return self._iri(*path.split("/"))

    def void(self, fragment: str = "dataset") -> str:
        """A resource of the dataset description at ``/.well-known/void``: ``#dataset``, partitions, linksets."""
        return self.document(".well-known/void") + "#" + _encode(fragment)

    def mention(self, arxiv_id: str, key: str) -> str:
        """An entity mention (a NIF span) in one of the paper's texts."""
        return self.paper(arxiv_id) + f"/mention/{_encode(key)}"

    def activity(self, name: str) -> str:
        """A provenance activity, such as one version of the claims pipeline."""
        return self._iri("activity", name)

    def link_graph(self, target: str) -> str:
        """The named graph of ``owl:sameAs`` links to an external graph (``wikidata``, ``dblp``)."""
        return self._iri("graph", "links", target)

    def link_activity(self, target: str, stamp: str) -> str:
        """The PROV activity of one ``kg link`` run."""
        return self._iri("activity", "link", target, stamp)

    def agent(self) -> str:
        """The software agent that writes derived graphs."""
        return self._iri("agent", "arxiv-kg")

    def shared_graph(self, name: str) -> str:
        """One of the graphs for facts that many papers share: ``people``, ``taxonomy``, ``stubs``, ..."""
        return self._iri("graph", name)

    def arxiv_id_of_paper(self, iri: str) -> str | None:
        """Inverse of :meth:`paper` for paper IRIs under this base."""
        prefix = self.base + "paper/"
        if not iri.startswith(prefix):
            return None
        return parse_arxiv_id(iri[len(prefix):])


PEOPLE_GRAPH = "people"
TAXONOMY_GRAPH = "taxonomy"
STUBS_GRAPH = "stubs"
CONCEPTS_GRAPH = "concepts"
PROVENANCE_GRAPH = "provenance"
SHARED_GRAPHS = (PEOPLE_GRAPH, TAXONOMY_GRAPH, STUBS_GRAPH, CONCEPTS_GRAPH, PROVENANCE_GRAPH)


def arxiv_abs_page(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def arxiv_doi_iri(arxiv_id: str) -> str:
    """The DOI of a paper as an IRI, with arXiv's casing (``https://doi.org/10.48550/arXiv.2307.09288``)."""
    return "https://doi.org/" + arxiv_doi(arxiv_id)


def arxiv_pdf(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
