"""``kg query``: run a SPARQL query on the store and print the results."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.cli.common import add_command, add_store_options, settings_from
from kg.federation import Federation
from kg.store import StoreDirectory

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "query",
        help="run a SPARQL query over the union of the store's graphs",
        example=(
            "kg query --store ./kg-store --format csv \\\n"
            "    'PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?title WHERE { ?p dcterms:title ?title }'"
        ),
    )
    parser.add_argument("query", nargs="?", help="the SPARQL query (or use --file, or - for stdin)")
    parser.add_argument("--file", "-f", type=Path, help="read the query from a file (for example queries/*.rq)")
    add_store_options(parser)
    parser.add_argument(
        "--format",
        choices=["table", *RESULT_FORMATS, *GRAPH_FORMATS],
        default="table",
        help="output format: a table (default), json, csv, tsv or xml; turtle/ntriples/jsonld for CONSTRUCT",
    )
    parser.set_defaults(func=run)


def _cell(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    return str(term)


def print_table(solutions: ox.QuerySolutions, out: Any, *, width: int | None = None) -> int:
    """Print solutions as an aligned text table, cells cut to fit ``width``; returns the number of rows."""
    names = [v.value for v in solutions.variables]
    rows = [[_cell(s[name]).replace("\n", " ") for name in names] for s in solutions]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    if width and names and sum(widths) + 3 * len(widths) > width:
        cap = max(12, width // len(names) - 3)
        widths = [min(w, cap) for w in widths]
        rows = [[c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)] for row in rows]
    out.write(" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return len(rows)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.file:
        text = args.file.read_text(encoding="utf-8")
    elif args.query == "-" or args.query is None:
        text = sys.stdin.read()
    else:
        text = args.query
    store = StoreDirectory(settings.store).open()
    # SERVICE clauses: checked against KG_FEDERATION_ALLOW and answered by bind joins (docs/federation.md)
    result = Federation(settings).execute(store, text)
    out = sys.stdout.buffer
    if isinstance(result, ox.QueryBoolean):
        if args.format in RESULT_FORMATS:
            result.serialize(out, RESULT_FORMATS[args.format])
        else:
            print("true" if bool(result) else "false")
    elif isinstance(result, ox.QuerySolutions):
        if args.format in RESULT_FORMATS:
            result.serialize(out, RESULT_FORMATS[args.format])
        else:
            width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
            print_table(result, sys.stdout, width=width)
    else:
        result.serialize(out, GRAPH_FORMATS.get(args.format, ox.RdfFormat.TURTLE))
    out.flush()
    return 0
