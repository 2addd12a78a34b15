"""What every subcommand shares: how it registers, the store and base-IRI options, settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Protocol

from kg.settings import Settings


class CommandModule(Protocol):
    def register(self, subparsers: Any) -> None: ...


def add_command(
    subparsers: Any, name: str, *, help: str, example: str, description: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` ends with an example."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description or help,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, help="store directory (env KG_STORE, default ./kg-store)")
    parser.add_argument("--base-iri", help="base IRI of minted resources (env KG_BASE_IRI)")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    """The settings from ``KG_*`` variables, overridden by the flags that were given."""
    return Settings().with_overrides(
        store=getattr(args, "store", None), base_iri=getattr(args, "base_iri", None), **extra
    )
