#!/usr/bin/env bash
# Idempotent set-up, shared by ./run.sh and ./test.sh. Downloads only from the package
# registries: Debian (apt), PyPI (pip), npm (bun and node into .tools/).
# Source it: it exports the environment Reflex needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

# 1. System packages: WeasyPrint's Pango and HarfBuzz subsetter, CJK fonts (AR PL SungtiL for the
#    documents, Noto for everything else).
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-arphic-gbsn00lp)
# Tests: Chromium drives the app; poppler's pdfsig checks the bureau's seal independently; the
# production test serves the app through nginx (TLS) and trusts its test CA in an NSS database.
[ "${WITH_BROWSER:-0}" = 1 ] && packages+=(chromium poppler-utils nginx libnss3-tools)
# Production (scripts/production.sh): nginx terminates TLS in front of the workers.
[ "${WITH_NGINX:-0}" = 1 ] && packages+=(nginx)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# 2. Python virtual environment with pinned dependencies (re-installed when requirements change).
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# 3. Bun and Node from the npm registry into .tools/ (Reflex needs Node >= 22.22, Bun >= 1.4.4).
if [ ! -x .tools/node_modules/.bin/bun ] || [ ! -x .tools/node_modules/.bin/node ]; then
  npm ci --prefix .tools --no-fund --no-audit >/dev/null
fi

export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
# npm's own configured registry; naming it stops Reflex from probing mirrors it cannot reach.
export REFLEX_USE_SYSTEM_BUN=1 NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-$(npm config get registry)}"
export REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false
export APP_DATA_DIR=${APP_DATA_DIR:-$ROOT/data}
# Decision PDFs, keys and the database are the bureau's alone: not readable by other users.
umask 077
mkdir -p "$APP_DATA_DIR"
chmod 700 "$APP_DATA_DIR"

# 4. Database schema (Alembic), then test certificates and demo data if the database is empty.
#    scripts/production.sh sets APP_SETUP_DATA=0: it migrates itself and loads no demo data.
if [ "${APP_SETUP_DATA:-1}" = 1 ]; then
  python -m app.cli migrate
  python -m app.cli pki init-test
  python -m app.cli demo
fi
