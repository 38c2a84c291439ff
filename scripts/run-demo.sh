#!/usr/bin/env bash
# make run: start the private servers, load the demo catalog and demo inbox once, open the TUI.
set -euo pipefail
cd "$(dirname "$0")/.."
MINCA=build/minca
export MINCA_INSURER=${MINCA_INSURER:-demo}
"$MINCA" db start >/dev/null
# The first account to use the desk becomes its admin for every insurer (nothing happens when
# users exist already); `minca user add` lets others in.
"$MINCA" user whoami | head -2
home=$("$MINCA" config | sed -n 's/^home: //p')
marker="$home/.demo-loaded-$MINCA_INSURER"
if [ ! -f "$marker" ]; then
  echo "Loading the demo data (first run only)..."
  "$MINCA" catalog import --insurer "$MINCA_INSURER" samples/catalog/demo_catver.csv
  # The demo inbox opens cases in review on purpose; a non-zero status here is not an error.
  "$MINCA" batch --insurer "$MINCA_INSURER" samples/inbox || true
  touch "$marker"
fi
exec "$MINCA"
