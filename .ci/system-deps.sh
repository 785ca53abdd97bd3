#!/usr/bin/env bash
# Debian packages the suite needs: PostgreSQL 15 (throwaway clusters), Chromium (browser
# tests), redis-server (tests that start their own Redis: shared rate limits, the outbox)
# and what WeasyPrint needs for invoice PDFs.
set -euo pipefail
# `system-deps.sh pdf` checks only the invoice PDF packages (what `make demo` needs).
missing=()
if [ "${1:-}" != "pdf" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
  [ -x "${CHROMIUM_PATH:-/usr/lib/chromium/chromium}" ] || missing+=(chromium)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
  # The tests turn an invoice PDF into a PNG with pdftoppm.
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fi
# Invoices: WeasyPrint renders PDFs through Pango and HarfBuzz, with DejaVu fonts and
# Noto CJK where DejaVu has no glyph.
libs=$(ldconfig -p)
grep -F libpangoft2-1.0.so.0 <<<"$libs" >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
grep -F libharfbuzz-subset.so.0 <<<"$libs" >/dev/null || missing+=(libharfbuzz-subset0)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
# Names in Chinese, Japanese, Korean and full-width letters: a font that draws them.
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]} — install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
