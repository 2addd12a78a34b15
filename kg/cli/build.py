"""``kg build``: records in, a new store version out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.build import build
from kg.cli.common import add_command, add_store_options, settings_from

EXIT_REJECTS = 3


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "build",
        help="build the graph from ai-arxiv records (the bundled sample when no --input)",
        example="kg build --input data.jsonl --input more.parquet --store ./kg-store --output kg.nq.gz --workers 2",
        description=(
            "Build the knowledge graph from ai-arxiv records (JSON Lines, .jsonl.gz or Parquet) into a new\n"
            "version of the store, swapped in only when complete. Rejected rows are written with their\n"
            f"reasons to --rejects; the exit status is {EXIT_REJECTS} when any row was rejected."
        ),
    )
    parser.add_argument("--input", "-i", type=Path, action="append", default=[], help="input file (repeatable)")
    add_store_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="also write the quads as N-Quads (.nq or .nq.gz)")
    parser.add_argument("--rejects", type=Path, help="where rejected rows go (default: <store>.rejects.jsonl)")
    parser.add_argument("--no-claims", dest="claims", action="store_false", default=None,
                        help="skip claims and research entities (metadata, authors, categories, citations,"
                        " chunks only)")
    parser.add_argument("--workers", type=int,
                        help="worker processes for claims extraction (env KG_WORKERS, default 1)")
    parser.add_argument("--nlp", help="an installed trained spaCy pipeline to add to the rules, e.g. en_core_web_sm")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, claims=args.claims, workers=args.workers, nlp=args.nlp)
    report = build(
        args.input,
        settings.store,
        base_iri=settings.base_iri,
        rejects_path=args.rejects,
        output_path=args.output,
        claims=settings.claims,
        workers=settings.workers,
        batch_size=settings.claims_batch_size,
        nlp=settings.nlp,
    )
    print(f"built {settings.store}: {report.summary()}", file=sys.stderr)
    return EXIT_REJECTS if report.rejected else 0
