#!/bin/sh
# The container's command: runs the bundle of the one function that FUNCTION_TARGET names
# (the Knative Service's name, e.g. billing-create-invoice), as PID 1 through exec so that it
# receives SIGTERM itself.
set -eu

case "$0" in
  */*) here=${0%/*} ;;
  *) here=. ;;
esac
app=$(CDPATH='' cd -- "$here/.." && pwd)
bundles="$app/dist/functions"
# Bundles beside the functions that are not functions: code a function imports only when it needs it
# (the OpenTelemetry SDK, kafkajs for an outbox that publishes to Kafka; scripts/build.ts).
libraries=' telemetry-sdk outbox-kafka '

is_library() {
  case "$libraries" in *" $1 "*) return 0 ;; esac
  return 1
}

available() {
  names=''
  for file in "$bundles"/*.js; do
    [ -f "$file" ] || continue
    name=${file##*/}
    name=${name%.js}
    is_library "$name" || names="$names $name"
  done
  echo "${names# }"
}

if [ -z "${FUNCTION_TARGET:-}" ]; then
  echo "entrypoint: FUNCTION_TARGET is not set: set it to the function this container runs." >&2
  echo "entrypoint: functions in this image: $(available)" >&2
  exit 64
fi

case "$FUNCTION_TARGET" in
  *[!a-z0-9-]* | -*)
    echo "entrypoint: FUNCTION_TARGET=\"$FUNCTION_TARGET\" is not a function name (lowercase letters, digits, dashes)." >&2
    exit 64
    ;;
esac

bundle="$bundles/$FUNCTION_TARGET.js"
if [ ! -f "$bundle" ] || is_library "$FUNCTION_TARGET"; then
  echo "entrypoint: unknown FUNCTION_TARGET \"$FUNCTION_TARGET\": there is no $bundle." >&2
  echo "entrypoint: functions in this image: $(available)" >&2
  exit 64
fi

# The image has no embedded database: without a URL every request would fail, so fail now.
context=${FUNCTION_TARGET%%-*}
upper=$(printf '%s' "$context" | tr '[:lower:]' '[:upper:]')
eval "context_url=\${${upper}_DATABASE_URL:-}"
if [ -z "${DATABASE_URL:-}" ] && [ -z "$context_url" ]; then
  echo "entrypoint: neither DATABASE_URL nor ${upper}_DATABASE_URL is set; $FUNCTION_TARGET needs PostgreSQL (the image has no embedded database)." >&2
  exit 64
fi

exec node "$bundle" "$@"
