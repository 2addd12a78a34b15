"""``kg build``: records in, a new store version out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.build import build
from kg.cli import validate
from kg.cli.common import add_command, add_store_options, settings_from
from kg.shards import ClaimsOptions, build_sharded
from kg.sources.readers import LAYOUTS
from kg.store import StoreDirectory
from kg.validate import validate_store

EXIT_REJECTS = 3


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "build",
        help="build the graph from ai-arxiv records (the bundled sample when no --input)",
        example=(
            "kg build --input data.jsonl --input more.parquet --store ./kg-store --output kg.nq.gz --workers 2\n"
            "  kg build --input arxiv-metadata-oai-snapshot.json --scheduler dask --workers 2 --store ./kg-store\n"
            "  kg build --input data.jsonl --shards-only ./shards && oxigraph load --location ./big -f ./shards/*.nq"
        ),
        description=(
            "Build the knowledge graph from ai-arxiv chunk rows or arXiv metadata snapshot records (JSON Lines,\n"
            ".jsonl.gz, Parquet, Arrow, a saved Hugging Face dataset, hf:NAME) into a new\n"
            "version of the store, swapped in only when complete. Rejected rows are written with their\n"
            f"reasons to --rejects; the exit status is {EXIT_REJECTS} when any row was rejected."
        ),
    )
    parser.add_argument(
        "--input", "-i", type=Path, action="append", default=[],
        help="input (repeatable): .jsonl, .jsonl.gz, .parquet, .arrow, a saved Hugging Face dataset folder, or hf:NAME",
    )
    parser.add_argument(
        "--format", dest="layout", choices=["auto", *LAYOUTS], default="auto",
        help="record layout of the inputs (default: told by the first record of each input)",
    )
    add_store_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="also write the quads as N-Quads (.nq or .nq.gz)")
    parser.add_argument("--rejects", type=Path, help="where rejected rows go (default: <store>.rejects.jsonl)")
    parser.add_argument(
        "--validate", action="store_true",
        help=f"check the new store against the SHACL shapes afterwards (exit status {validate.EXIT_INVALID} if not)",
    )
    parser.add_argument("--no-claims", dest="claims", action="store_false", default=None,
                        help="skip claims and research entities (metadata, authors, categories, citations,"
                        " chunks only)")
    parser.add_argument("--workers", type=int,
                        help="worker processes: claims extraction; with --no-claims, reading and mapping (default:"
                        " one fewer than the cores, 1 = in this process); a local Dask cluster with --scheduler dask"
                        " (env KG_WORKERS)")
    parser.add_argument("--nlp", help="an installed trained spaCy pipeline to add to the rules, e.g. en_core_web_sm")
    scale = parser.add_argument_group("sharded builds")
    scale.add_argument(
        "--scheduler", metavar="SCHEDULER",
        help="map input partitions to N-Quads shards, then bulk-load them: 'local' (in-process), 'dask' (a local\n"
             "Dask cluster of --workers processes) or tcp://host:8786 (a running Dask scheduler)",
    )
    scale.add_argument("--shards-only", type=Path, metavar="DIR",
                       help="write the N-Quads shards into DIR and stop (no store is written)")
    scale.add_argument("--partition-mb", type=int, default=64, help="size of a JSON Lines partition (default 64)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, claims=args.claims, workers=args.workers, nlp=args.nlp)
    layout = None if args.layout == "auto" else args.layout
    if args.scheduler or args.shards_only:
        report = build_sharded(
            args.input,
            None if args.shards_only else settings.store,
            base_iri=settings.base_iri,
            scheduler=args.scheduler,
            workers=max(2, settings.workers) if args.workers is None else settings.workers,
            shards_dir=args.shards_only,
            rejects_path=args.rejects,
            layout=layout,
            partition_bytes=args.partition_mb << 20,
            claims=ClaimsOptions(enabled=settings.claims, batch_size=settings.claims_batch_size, nlp=settings.nlp),
        )
        where = f"shards in {args.shards_only}" if args.shards_only else f"built {settings.store}"
    else:
        report = build(
            args.input,
            settings.store,
            base_iri=settings.base_iri,
            rejects_path=args.rejects,
            output_path=args.output,
            layout=layout,
            claims=settings.claims,
            workers=settings.workers,
            batch_size=settings.claims_batch_size,
            nlp=settings.nlp,
            map_workers=args.workers,
        )
        where = f"built {settings.store}"
    print(f"{where}: {report.summary()}", file=sys.stderr)
    status = EXIT_REJECTS if report.rejected else 0
    if args.validate and not args.shards_only:
        store = StoreDirectory(settings.store).open()
        checked = validate_store(store, base_iri=settings.base_iri, workers=settings.workers)
        valid = validate.print_report(checked, limit=100)
        status = status or valid
    return status
