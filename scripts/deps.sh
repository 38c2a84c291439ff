#!/usr/bin/env bash
# Installs the Debian packages Minca needs to build, run and test. Idempotent: when every
# package is present it does nothing (and needs no network).
set -euo pipefail

PACKAGES=(
  build-essential pkg-config
  libncurses-dev libpq-dev libjansson-dev libcurl4-openssl-dev libxlsxwriter-dev libyaml-dev
  libhiredis-dev libgmime-3.0-dev libglib2.0-dev libzip-dev libxml2-dev libfreexl-dev libcmocka-dev
  libpoppler-glib-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core libmicrohttpd-dev
  tesseract-ocr tesseract-ocr-spa libtesseract-dev libleptonica-dev
  postgresql redis-server tmux locales
  python3 python3-openpyxl xlsx2csv poppler-utils python3-prometheus-client curl strace
  dovecot-core dovecot-imapd openssl opensmtpd
  libytnef0-dev tnef libgsf-1-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "minca: installing missing packages: ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "minca: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "minca: packages installed"
