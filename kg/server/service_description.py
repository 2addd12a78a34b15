"""The SPARQL Service Description (``sd:Service``) served on ``GET /sparql`` without a query."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import HTTPException, Request, Response

from kg.server import negotiation, results
from kg.server.state import ServerState
from kg.vocab import IriScheme

SD_TEMPLATE = """\
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

[] a sd:Service ;
  sd:endpoint <{endpoint}> ;
  dcterms:title "arxiv-kg SPARQL endpoint" ;
  sd:supportedLanguage sd:SPARQL11Query{update_language} ;
  sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
  sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
      formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:N-Quads, formats:TriG,
      formats:JSON-LD, formats:RDF_XML ;
  sd:defaultDataset <{dataset}> .

<{dataset}> a sd:Dataset, void:Dataset ;
  rdfs:seeAlso <{void}> ;
  void:sparqlEndpoint <{endpoint}> ;
  sd:defaultGraph [ a sd:Graph ; dcterms:description "the union of all named graphs" ] .
"""


def service_description(request: Request, state: ServerState) -> Response:
    """The description in the RDF format the client accepts (Turtle by default)."""
    endpoint = str(request.url.replace(query="", fragment=""))
    text = SD_TEMPLATE.format(
        endpoint=endpoint,
        # The dataset is the one /.well-known/void describes (with its counts, partitions and linksets).
        dataset=IriScheme(state.settings.base_iri).void("dataset"),
        void=str(request.base_url).rstrip("/") + "/.well-known/void",
        update_language=", sd:SPARQL11Update" if state.writable and state.settings.update_token else "",
    )
    try:
        media_type = negotiation.negotiate(
            "triples", request.headers.get("accept"), request.query_params.get("format")
        )
    except negotiation.NotAcceptable as err:
        raise HTTPException(406, str(err)) from None
    triples = (q.triple for q in ox.parse(text, ox.RdfFormat.TURTLE))
    body = _Buffer()
    results.triples(triples, media_type, body)
    return Response(b"".join(body.parts), media_type=results.content_type(media_type))


class _Buffer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass
