#!/usr/bin/env bash
# make run: start the private servers, load the demo catalog and demo inbox once, open the TUI.
set -euo pipefail
cd "$(dirname "$0")/.."
MINCA=build/minca
export MINCA_INSURER=${MINCA_INSURER:-demo}
"$MINCA" db start >/dev/null
home=$("$MINCA" config | sed -n 's/^home: //p')
marker="$home/.demo-loaded"
if [ ! -f "$marker" ]; then
  echo "Loading the demo data (first run only)..."
  if "$MINCA" help catalog >/dev/null 2>&1 && [ -f samples/catalog/demo_catver.csv ]; then
    "$MINCA" catalog import --insurer "$MINCA_INSURER" samples/catalog/demo_catver.csv
  fi
  "$MINCA" batch --insurer "$MINCA_INSURER" samples/inbox || true
  touch "$marker"
fi
exec "$MINCA"
