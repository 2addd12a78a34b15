"""``kg update``: replace and add papers in the store as a new version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.sources.readers import LAYOUTS
from kg.update import update

EXIT_REJECTS = 3


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "update",
        help="replace the papers of the inputs in the store and add new ones (a new version, swapped in whole)",
        example="kg update --input new-papers.jsonl --store ./kg-store",
        description=(
            "Apply new records to an existing store: each paper in the inputs replaces its graph (old chunks,\n"
            "claims and citations go) unless the store holds a newer version of it; new papers are added;\n"
            "people, stubs and categories stay consistent. The result equals a full build of the union of the\n"
            f"inputs. The exit status is {EXIT_REJECTS} when any row was rejected."
        ),
    )
    parser.add_argument("--input", "-i", type=Path, action="append", default=[], required=True,
                        help="input (repeatable), in any format `kg build` reads")
    parser.add_argument("--format", dest="layout", choices=["auto", *LAYOUTS], default="auto",
                        help="record layout of the inputs (default: told by the first record)")
    add_store_options(parser)
    parser.add_argument("--rejects", type=Path, help="where rejected rows go (default: <store>.rejects.jsonl)")
    parser.add_argument("--no-claims", dest="claims", action="store_false", default=None,
                        help="skip claims and research entities for the new papers")
    parser.add_argument("--workers", type=int, help="worker processes for claims extraction (env KG_WORKERS)")
    parser.add_argument("--nlp", help="an installed trained spaCy pipeline to add to the rules")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, claims=args.claims, workers=args.workers, nlp=args.nlp)
    report = update(
        args.input, settings.store, base_iri=settings.base_iri, rejects_path=args.rejects,
        layout=None if args.layout == "auto" else args.layout,
        claims=settings.claims, workers=settings.workers, batch_size=settings.claims_batch_size, nlp=settings.nlp,
    )
    print(f"updated {settings.store}: {report.summary()}", file=sys.stderr)
    return EXIT_REJECTS if report.rejected else 0
