#!/bin/sh
# Fills node's module compile cache (node 22.1+, NODE_COMPILE_CACHE) for every function bundle, at
# image build time: each bundle is started once, until it listens, and stopped, so node writes the
# code it compiled. A pod then starts from that code instead of compiling its bundle again; the
# cache is read-only at run time (a pod's own /tmp starts empty, so a cache there would help no
# cold start). With a node that has no compile cache (20), it does nothing.
#
#   NODE_COMPILE_CACHE=/app/.compile-cache scripts/compile-cache.sh [dist/functions]
set -eu

if [ -z "${NODE_COMPILE_CACHE:-}" ]; then
  echo "compile-cache: NODE_COMPILE_CACHE is not set" >&2
  exit 64
fi
if [ "$(node -p "typeof require('node:module').enableCompileCache")" != function ]; then
  echo "compile-cache: node $(node --version) has no module compile cache; nothing to fill"
  exit 0
fi

case "$0" in
  */*) here=${0%/*} ;;
  *) here=. ;;
esac
bundles=${1:-$(CDPATH='' cd -- "$here/.." && pwd)/dist/functions}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count=0
for bundle in "$bundles"/*.js; do
  [ -f "$bundle" ] || continue
  # The OpenTelemetry SDK and Kafka are imported by a function, never started on their own.
  case "${bundle##*/}" in telemetry-sdk.js | outbox-kafka.js) continue ;; esac
  # No database: a bundle that only starts and stops needs none, and opens none.
  # Emptied here, not by the child's redirection, which may come after the first look at it.
  : >"$log"
  env -u DATABASE_URL PORT=0 HOST=127.0.0.1 node "$bundle" >>"$log" 2>&1 &
  pid=$!
  tries=0
  until grep -q '"function listening"' "$log"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "compile-cache: ${bundle##*/} did not start:" >&2
      cat "$log" >&2
      kill -KILL "$pid" 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  # Stopped as Knative stops it: on SIGTERM it exits, and node writes the cache as it exits.
  kill -TERM "$pid"
  wait "$pid"
  count=$((count + 1))
done
echo "compile-cache: $count bundle(s) compiled into $NODE_COMPILE_CACHE"
