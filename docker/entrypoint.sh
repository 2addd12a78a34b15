#!/bin/sh
# Container entry point: build the graph into the store volume if it holds none, then serve it.
#   serve  (default) build from $KG_INPUT_DIR (or copy the baked-in sample) when $KG_STORE is empty, then serve
#   kg ... any kg command, for example: docker compose run kg kg stats
set -eu
if [ "${1:-serve}" != "serve" ]; then
  exec "$@"
fi
if [ ! -e "$KG_STORE/current" ]; then
  inputs=""
  for f in "$KG_INPUT_DIR"/*.jsonl "$KG_INPUT_DIR"/*.jsonl.gz "$KG_INPUT_DIR"/*.parquet; do
    [ -f "$f" ] && inputs="$inputs --input $f"
  done
  if [ -n "$inputs" ]; then
    echo "kg-entrypoint: building $KG_STORE from $KG_INPUT_DIR"
    # shellcheck disable=SC2086
    kg build $inputs --store "$KG_STORE" --rejects "$KG_STORE.rejects.jsonl" || [ $? -eq 3 ]
  else
    echo "kg-entrypoint: no input in $KG_INPUT_DIR: serving the bundled sample"
    mkdir -p "$(dirname "$KG_STORE")"
    cp -a "${KG_SAMPLE_STORE:-/app/sample-store}" "$KG_STORE"
  fi
fi
exec kg serve --store "$KG_STORE" --host "$KG_HOST" --port "$KG_PORT"
