"""``kg backup``: a consistent copy of a store, safe while it is served or rebuilt."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.store import StoreDirectory


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "backup",
        help="copy the store's current version into a new store directory (safe while serving)",
        example="kg backup --store ./kg-store --output ./kg-store-backup",
        description=(
            "Copy the version the store serves now into OUTPUT, a new store directory with its own\n"
            "`current` that `kg serve --store OUTPUT` serves as is. The copy is consistent even while\n"
            "`kg serve` reads the store or a build swaps in another version; on the same file system the\n"
            "immutable data files are hard-linked. OUTPUT must not exist or be empty."
        ),
    )
    add_store_options(parser)
    parser.add_argument("--output", "-o", type=Path, required=True, help="the new store directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    version = StoreDirectory(settings.store).backup(args.output)
    print(f"backed up {settings.store} ({version.name}) to {args.output}", file=sys.stderr)
    return 0
