"""``kg stats``: what the store holds."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.stats import store_stats
from kg.store import StoreDirectory


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "stats",
        help="count papers, authors, chunks, citations, claims, triples and graphs",
        example="kg stats --store ./kg-store --json",
    )
    add_store_options(parser)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = StoreDirectory(settings.store).open()
    counts = store_stats(store)
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        width = max(map(len, counts))
        for name, value in counts.items():
            print(f"{name:<{width}}  {value:>10,}")
    return 0
