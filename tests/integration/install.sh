#!/usr/bin/env bash
# make install into a staging directory (DESTDIR, PREFIX): the installed binary, run from
# another directory with no source tree around it, finds its data (migrations, codifier
# tables, profiles, templates, demo catalog).
# runner: no-servers (make install and the installed binary on files)
source "$(dirname "$0")/../lib.sh"

build=$(basename "$(dirname "$MINCA")")
root="$T_TMP/root"
make -s -C "$SRC" BUILD="$build" PREFIX=/opt/minca DESTDIR="$root" install >"$T_TMP/install.log" 2>&1
check_eq "make install DESTDIR=... PREFIX=... succeeds" 0 $?
bin="$root/opt/minca/bin/minca"
check "the binary is installed" test -x "$bin"
check "its data is installed" test -d "$root/opt/minca/share/minca/migrations"
cd "$T_TMP" || exit 1
cfg=$(env -u MINCA_SHARE "$bin" config 2>&1)
check_match "the installed binary uses the installed data directory" "data_dir: $root/opt/minca/share/minca/data" "$cfg"
out=$(env -u MINCA_SHARE "$bin" codify --catalog "$root/opt/minca/share/minca/samples/catalog/demo_catver.csv" --json \
  "NISSAN VERSA ADVANSE 4P L4 1.6L CVT 5 OCUP MOD 2019 BLANCO")
check_match "it codifies with the installed codifier tables" '"decision":"(auto_accept|needs_review)"' "$out"
mig=$(env -u MINCA_SHARE "$bin" help db 2>&1; ls "$root/opt/minca/share/minca/migrations" | wc -l)
check_match "the migrations are all there" "$(ls "$SRC/migrations" | wc -l)\$" "$mig"
finish
