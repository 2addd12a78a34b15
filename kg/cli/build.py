"""``kg build``: records in, a new store version out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.build import build
from kg.cli import validate
from kg.cli.common import add_command, add_store_options, settings_from
from kg.store import StoreDirectory
from kg.validate import validate_store

EXIT_REJECTS = 3


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "build",
        help="build the graph from ai-arxiv records (the bundled sample when no --input)",
        example="kg build --input data.jsonl --input more.parquet --store ./kg-store --output kg.nq.gz",
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
    parser.add_argument(
        "--validate", action="store_true",
        help=f"check the new store against the SHACL shapes afterwards (exit status {validate.EXIT_INVALID} if not)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    report = build(
        args.input,
        settings.store,
        base_iri=settings.base_iri,
        rejects_path=args.rejects,
        output_path=args.output,
    )
    print(f"built {settings.store}: {report.summary()}", file=sys.stderr)
    status = EXIT_REJECTS if report.rejected else 0
    if args.validate:
        store = StoreDirectory(settings.store).open()
        checked = validate_store(store, base_iri=settings.base_iri, workers=settings.workers)
        valid = validate.print_report(checked, limit=100)
        status = status or valid
    return status
