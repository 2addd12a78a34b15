"""``kg serve``: the SPARQL endpoint (uvicorn running :func:`kg.server.app.create_app`)."""

from __future__ import annotations

import argparse
from typing import Any

from kg.cli.common import add_command, add_store_options, settings_from
from kg.errors import KgError


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "serve",
        help="serve the store over SPARQL 1.1 (Protocol, Update, Graph Store) with a query UI",
        example="kg serve --store ./kg-store --host 127.0.0.1 --port 8000 --workers 2",
        description=(
            "Serve the store at http://HOST:PORT/sparql (query UI at /). Read-only unless KG_UPDATE_TOKEN\n"
            "is set; on a folder without a store it starts with an empty, writable one. Queries run in\n"
            "--workers processes and are stopped after KG_QUERY_TIMEOUT_S seconds."
        ),
    )
    add_store_options(parser)
    parser.add_argument("--host", help="interface to listen on (env KG_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env KG_PORT, default 8000)")
    parser.add_argument("--workers", type=int, help="query worker processes (env KG_QUERY_WORKERS, default 2)")
    parser.add_argument(
        "--http-workers", type=int, default=1,
        help="HTTP server processes, each with its own query workers (read-only stores only; default 1)",
    )
    parser.add_argument("--timeout", type=float, help="query time limit in seconds (env KG_QUERY_TIMEOUT_S)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kg.server.runner import serve_processes

    settings = settings_from(
        args, host=args.host, port=args.port, query_workers=args.workers, query_timeout_s=args.timeout
    )
    if args.http_workers > 1 and settings.update_token is not None:
        raise KgError("--http-workers > 1 needs a read-only store: one process owns a writable store")
    serve_processes(settings, args.http_workers, log_level=args.log_level)
    return 0
