"""``kg validate``: check a store against the SHACL shapes and print what is wrong."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.store import StoreDirectory
from kg.validate import ValidationReport, validate_store

EXIT_INVALID = 4


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "validate",
        help="check the store against the SHACL shapes (ontology/shapes.ttl)",
        example="kg validate --store ./kg-store --limit 20",
        description=(
            "Check the union of the store's graphs against the SHACL shapes shipped in ontology/shapes.ttl\n"
            "and print each result with its focus node, path and message. The exit status is\n"
            f"{EXIT_INVALID} when the store does not conform."
        ),
    )
    add_store_options(parser)
    parser.add_argument("--limit", type=int, default=100, help="print at most this many results (default 100)")
    parser.add_argument("--workers", type=int, help="worker processes for the SHACL core checks (env KG_WORKERS)")
    parser.set_defaults(func=run)


def print_report(report: ValidationReport, *, limit: int | None, out: Any = None) -> int:
    """Print the report; the exit status for it."""
    print(report.text(limit=limit), file=out or sys.stdout)
    return 0 if report.conforms else EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, workers=args.workers)
    store = StoreDirectory(settings.store).open()
    report = validate_store(store, base_iri=settings.base_iri, workers=settings.workers)
    return print_report(report, limit=args.limit)
