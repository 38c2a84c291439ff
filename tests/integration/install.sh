#!/usr/bin/env bash
# make install into a staging directory (DESTDIR, PREFIX): the installed binary, run from
# another directory with no source tree around it, finds its data (migrations, codifier
# tables, profiles, templates, demo catalog); the manual page minca.1, generated from the
# command table, is installed and renders; the CLI's usage errors exit 2 with the usage.
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
man1="$root/opt/minca/share/man/man1/minca.1"
check "the manual page is installed" test -s "$man1"
page=$(MANWIDTH=100 man -l "$man1" 2>&1)
check_match "man -l minca.1 renders its name" "minca - fleet quote intake and vehicle codification desk" "$page"
check_match "with every command of the table (review)" "minca review COT accept ROW" "$page"
check_match "and the source kinds of intake, each with an example" "imap +an IMAP mailbox" "$page"
check_no_match "no troff warning" "warning:" "$(MANWIDTH=100 man -l "$man1" 2>&1 >/dev/null)"
kinds=$(env -u MINCA_SHARE "$bin" help intake 2>&1)
check_match "minca help intake lists the source kinds" "source kinds" "$kinds"
check_match "each with an example entry" "e.g. \{kind: maildir" "$kinds"
env -u MINCA_SHARE "$bin" case show --bogus >"$T_TMP/bogus.out" 2>&1
check_eq "an unknown option exits 2" 2 $?
check_match "with the command's usage" "usage: minca case list" "$(cat "$T_TMP/bogus.out")"
finish
