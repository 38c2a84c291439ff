#!/usr/bin/env bash
# make run: start the private servers, load the demo catalog and demo inbox once, open the TUI.
# Every answer this script needs comes from the binary in a machine-readable form
# (`minca config get NAME`), never from its annotated human output.
set -euo pipefail
cd "$(dirname "$0")/.."
MINCA=build/minca
export MINCA_INSURER=${MINCA_INSURER:-demo}
"$MINCA" db start >/dev/null
# The first account to use the desk becomes its admin for every insurer (nothing happens when
# users exist already); `minca user add` lets others in. sed reads the whole answer (head would
# close the pipe early and fail the script under pipefail).
"$MINCA" user whoami | sed -n '1,2p'
home=$("$MINCA" config get home)
if [ -z "$home" ] || [ ! -d "$home" ]; then
  echo "minca: the home directory '$home' does not exist after 'minca db start'" >&2
  exit 1
fi
marker="$home/.demo-loaded-$MINCA_INSURER"
if [ ! -f "$marker" ]; then
  echo "Loading the demo data (first run only)..."
  "$MINCA" catalog import --insurer "$MINCA_INSURER" samples/catalog/demo_catver.csv
  # The demo tariff prices the demo quotes (every page it prices says TARIFA DE DEMOSTRACIÓN).
  "$MINCA" tariff import --insurer "$MINCA_INSURER" samples/tariff/demo.yaml
  # The demo inbox opens cases in review on purpose; a non-zero status here is not an error.
  "$MINCA" batch --insurer "$MINCA_INSURER" samples/inbox || true
  # Written only once the load went through, so an interrupted first run loads again.
  date -u +%Y-%m-%dT%H:%M:%SZ >"$marker.tmp" && mv "$marker.tmp" "$marker"
fi
exec "$MINCA"
