"""``kg delete``: remove papers from the store as a new version."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.update import delete


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "delete",
        help="remove papers (their graphs) from the store; people and stubs stay consistent",
        example="kg delete --paper 2307.09288 --store ./kg-store",
    )
    parser.add_argument("--paper", action="append", required=True, metavar="ARXIV_ID",
                        help="arXiv id of a paper to remove (repeatable)")
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    report = delete(args.paper, settings.store, base_iri=settings.base_iri)
    print(f"updated {settings.store}: {report.summary()}", file=sys.stderr)
    return 0
