"""The ``kg`` command: one module per subcommand, listed in :data:`COMMANDS`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kg.cli import backup, build, delete, export, link, query, serve, stats, update, validate
from kg.cli.common import CommandModule
from kg.errors import KgError
from kg.progress import configure_logging

COMMANDS: tuple[CommandModule, ...] = (build, update, delete, query, stats, validate, export, link, serve, backup)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="arxiv-kg: build a knowledge graph of arXiv papers and query it with SPARQL.",
        epilog="example:\n  kg build && kg stats && kg query 'SELECT * WHERE { ?s ?p ?o } LIMIT 5'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except KgError as err:
        print(f"kg {args.command}: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"kg {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kg {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
