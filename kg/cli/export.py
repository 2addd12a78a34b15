"""``kg export``: write the store (or one graph) as N-Quads, TriG, Turtle or JSON-LD, gzipped if asked."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.export import EXPORT_FORMATS, export
from kg.store import StoreDirectory


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "export",
        help="dump the store (or one named graph) to a file, streamed",
        example="kg export --store ./kg-store --format nquads --output kg.nq.gz",
        description=(
            "Dump the store to a file, streamed with flat memory: N-Quads and TriG keep the named graphs,\n"
            "Turtle gets the union of all graphs (or --graph), JSON-LD keeps the graphs. A name ending in .gz\n"
            "is gzipped; the format defaults to the one the file name suggests (.nq, .trig, .ttl, .jsonld)."
        ),
    )
    add_store_options(parser)
    parser.add_argument("--format", choices=EXPORT_FORMATS, help="output format (default: from the file name)")
    parser.add_argument("--output", "-o", type=Path, help="output file, .gz to compress (default: stdout, N-Quads)")
    parser.add_argument("--graph", help="export only this named graph (an IRI)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = StoreDirectory(settings.store).open()
    written = export(store, args.output, format=args.format, graph=args.graph, base_iri=settings.base_iri)
    if args.output and str(args.output) != "-":
        print(f"exported {settings.store} to {args.output} ({written:,} bytes before compression)", file=sys.stderr)
    return 0
