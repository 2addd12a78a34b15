"""``kg link wikidata|dblp``: write owl:sameAs links to Wikidata items or dblp records into the store."""

from __future__ import annotations

import argparse
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.federation.links import TARGETS, link
from kg.store import StoreDirectory


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "link",
        help="look up the graph's arXiv ids at Wikidata or dblp and store owl:sameAs links with provenance",
        example="kg link wikidata --store ./kg-store   # or: kg link dblp --endpoint http://127.0.0.1:7878/query",
        description=(
            "Look up every arXiv id of the store at a remote SPARQL endpoint, in batches, and write "
            "owl:sameAs links into the named graph <graph/links/TARGET> with PROV provenance (when, which "
            "endpoint), as a new store version. Wikidata is matched on wdt:P818 (the bare arXiv id), dblp on "
            "dblp:doi <https://doi.org/10.48550/ARXIV.{id}> (upper case)."
        ),
    )
    parser.add_argument("target", choices=sorted(TARGETS), help="the graph to link to")
    add_store_options(parser)
    parser.add_argument("--endpoint", help="SPARQL endpoint to ask instead of the public one")
    parser.add_argument("--batch-size", type=int, help="arXiv ids per request (env KG_FEDERATION_BATCH_SIZE)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    report = link(StoreDirectory(settings.store), args.target, settings, endpoint=args.endpoint,
                  batch_size=args.batch_size)
    print(report.summary())
    return 0
