#!/usr/bin/env bash
# Production: Debian's nginx terminating TLS for the bureau's host name → N Reflex backend workers
# (one process each, on consecutive ports) → PostgreSQL and Redis. README "Production" walks an
# operator through it; tests/browser/test_production.py runs this very script.
#
#   scripts/production.sh setup       packages (with nginx), venv, Bun/Node; schema migrated; the
#                                     personal-data key made once; no demo data
#   scripts/production.sh build       the frontend, built once for APP_ORIGIN, into APP_WEB_ROOT
#   scripts/production.sh nginx       the nginx site for APP_ORIGIN (stdout)
#   scripts/production.sh systemd     a systemd template unit for the workers (stdout)
#   scripts/production.sh worker N    run worker N (1..APP_WORKERS) in the foreground (systemd runs this)
#   scripts/production.sh check       GET /api/health of every local worker
#
# Settings come from the environment or from the file APP_ENV_FILE
# (default /etc/independent-approval/env, if it exists):
#   APP_ORIGIN            https://<host name>[:port], the address officers type; WebAuthn origin and
#                         RP ID (the host name) come from it                         (required)
#   REFLEX_DB_URL         postgresql+psycopg://user@host:5432/db                     (required)
#   REFLEX_REDIS_URL      redis://host:6379/0: tab state shared by the workers       (required)
#   APP_FILE_STORE        database (default here) or local with APP_FILE_STORE_DIR on a shared folder
#   APP_WORKERS           number of worker processes on this host (default 2)
#   APP_WORKER_PORT       port of worker 1; worker N listens on APP_WORKER_PORT+N-1 (default 8001)
#   APP_WORKER_HOST       address the workers listen on (default 127.0.0.1)
#   APP_UPSTREAMS         "host:port host:port …": every worker on every host, for nginx
#                         (default: this host's APP_WORKERS ports on 127.0.0.1)
#   APP_WEB_ROOT          a folder the build user owns; nginx serves APP_WEB_ROOT/current, a link
#                         to the newest build (default /var/www/independent-approval)
#   APP_TLS_CERT, APP_TLS_KEY   certificate chain and key for the host name (default
#                         /etc/independent-approval/tls/fullchain.pem and privkey.pem)
#   APP_HTTPS_LISTEN      nginx listen address for HTTPS (default 443)
#   APP_HTTP_LISTEN       nginx listen address redirecting HTTP to HTTPS (default 80; "off" for none)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_FILE=${APP_ENV_FILE:-/etc/independent-approval/env}
if [ -r "$ENV_FILE" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
fi

export APP_FILE_STORE=${APP_FILE_STORE:-database}
WORKERS=${APP_WORKERS:-2}
FIRST_PORT=${APP_WORKER_PORT:-8001}
WEB_ROOT=${APP_WEB_ROOT:-/var/www/independent-approval}

die() { echo "production.sh: $*" >&2; exit 1; }

origin() {
  [ -n "${APP_ORIGIN:-}" ] || die "set APP_ORIGIN=https://<host name> (the address officers type)"
  case "$APP_ORIGIN" in https://*) ;; *) die "APP_ORIGIN must be https:// (WebAuthn needs a secure context)";; esac
  echo "${APP_ORIGIN%/}"
}

host_of() { local h=${1#https://}; h=${h%%/*}; echo "${h%%:*}"; }

runtime_env() {
  # The venv and the tools set-up installed; no apt, pip or npm at run time.
  cd "$ROOT"
  export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
  export REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false REFLEX_USE_SYSTEM_BUN=1
  umask 077
}

cmd_setup() {
  origin >/dev/null
  [ -n "${REFLEX_DB_URL:-}" ] || die "set REFLEX_DB_URL=postgresql+psycopg://…"
  WITH_NGINX=1 APP_SETUP_DATA=0 source "$ROOT/scripts/setup.sh"
  python -m app.cli migrate
  # The key that encrypts applicants' ID numbers: made once here; copy it (with pki/ and the PKI
  # passphrase) to every host that runs workers, or their rows cannot be read elsewhere.
  python -c 'from app.rules.personal_data import encrypt; encrypt("")'
  if [ ! -f "$APP_DATA_DIR/pki/bureau.pem" ]; then
    echo "The bureau's signing certificate is not imported yet:"
    echo "  APP_PKI_P12_PASSWORD_FILE=… .venv/bin/python -m app.cli pki import bureau.p12"
    echo "(a test install only: .venv/bin/python -m app.cli pki init-test)"
  fi
}

cmd_build() {
  local o; o=$(origin)
  APP_SETUP_DATA=0 source "$ROOT/scripts/setup.sh" >/dev/null
  # Built once, for this origin: the page talks to the workers at APP_ORIGIN/_event through nginx.
  REFLEX_API_URL="$o" reflex export --frontend-only --no-zip --env prod --loglevel warning
  # A new release beside the old ones, then one atomic switch of the "current" link nginx serves
  # (pages still open keep finding the assets of the release before).
  local release="releases/$(date +%Y%m%d-%H%M%S)-$$"
  mkdir -p "$WEB_ROOT/$release"
  cp -a "$ROOT/.web/build/client/." "$WEB_ROOT/$release/"
  chmod -R u=rwX,go=rX "$WEB_ROOT/releases"
  chmod go+rx "$WEB_ROOT" 2>/dev/null || true
  ln -sfn "$release" "$WEB_ROOT/current.new"
  mv -T "$WEB_ROOT/current.new" "$WEB_ROOT/current"
  # Keep the newest two releases.
  ls -1d "$WEB_ROOT"/releases/* | sort | head -n -2 | xargs -r rm -rf
  echo "frontend for $o in $WEB_ROOT/current"
}

upstreams() {
  if [ -n "${APP_UPSTREAMS:-}" ]; then
    echo "$APP_UPSTREAMS"
  else
    local n out=""
    for n in $(seq 1 "$WORKERS"); do out+="127.0.0.1:$((FIRST_PORT + n - 1)) "; done
    echo "$out"
  fi
}

cmd_nginx() {
  local o host https_listen http_listen cert key u
  o=$(origin)
  host=$(host_of "$o")
  https_listen=${APP_HTTPS_LISTEN:-443}
  http_listen=${APP_HTTP_LISTEN:-80}
  cert=${APP_TLS_CERT:-/etc/independent-approval/tls/fullchain.pem}
  key=${APP_TLS_KEY:-/etc/independent-approval/tls/privkey.pem}
  cat <<EOF
# Independent-approval system for $o — written by scripts/production.sh nginx.
# nginx terminates TLS, serves the frontend built once, and proxies the app's socket (/_event) and
# HTTP routes (/api/…) to the workers; tab state is in Redis, so any worker takes any connection.

upstream independent_approval_workers {
EOF
  for u in $(upstreams); do echo "    server $u max_fails=1 fail_timeout=5s;"; done
  cat <<EOF
    # No idle keep-alive connections: the app's HTTP routes are few and light, and an established
    # connection to a worker then always is a page's socket (the tests count them).
}

map \$http_upgrade \$independent_approval_connection {
    default upgrade;
    ""      "";
}

EOF
  if [ "$http_listen" != off ]; then
    cat <<EOF
server {
    listen $http_listen;
    server_name $host;
    server_tokens off;
    return 301 $o\$request_uri;
}

EOF
  fi
  cat <<EOF
server {
    listen $https_listen ssl http2;
    server_name $host;
    server_tokens off;

    ssl_certificate     $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:independent_approval:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # Requests are small (the page sends files over the socket, never as uploads).
    client_max_body_size 64k;

    # The app's security headers on every response, static files included (docs/security.md);
    # the workers' own copies are hidden so that none is doubled. No add_header below this level:
    # a location with its own add_header would drop these.
    add_header Strict-Transport-Security "max-age=31536000" always;
    add_header Content-Security-Policy "frame-ancestors 'none'" always;
    add_header X-Frame-Options "DENY" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header Referrer-Policy "no-referrer" always;
    proxy_hide_header Content-Security-Policy;
    proxy_hide_header X-Frame-Options;
    proxy_hide_header X-Content-Type-Options;
    proxy_hide_header Referrer-Policy;
    proxy_hide_header Strict-Transport-Security;

    # Exactly one proxy: the workers run with REFLEX_TRUSTED_PROXY_HOPS=1 and take the last
    # X-Forwarded-For entry as the client; nginx replaces whatever the client sent.
    proxy_http_version 1.1;
    proxy_set_header Host \$host;
    proxy_set_header X-Forwarded-For \$remote_addr;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_set_header Connection "";

    root $WEB_ROOT/current;
    index index.html;

    # The page's websocket (Socket.IO): every event of a tab goes over it.
    location /_event {
        proxy_pass http://independent_approval_workers;
        proxy_set_header Upgrade \$http_upgrade;
        proxy_set_header Connection \$independent_approval_connection;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }

    # The app's HTTP routes (session cookie exchange, exports …).
    location /api/ {
        proxy_pass http://independent_approval_workers;
    }

    # Health for monitoring on this host only; check each worker directly on its own port too.
    location = /api/health {
        allow 127.0.0.1;
        allow ::1;
        deny all;
        proxy_pass http://independent_approval_workers;
    }

    location = /ping {
        proxy_pass http://independent_approval_workers;
    }

    # Reflex's upload route stays closed (its folder would be public), as do its internal routes.
    location /_upload { return 404; }
    location /_health { return 404; }
    location /_all_routes { return 404; }

    # The frontend, built once (hashed file names under /assets/ never change).
    location /assets/ {
        gzip_static on;
        expires 1y;
        try_files \$uri =404;
    }
    location / {
        gzip_static on;
        try_files \$uri \$uri.html \$uri/ =404;
    }
    error_page 404 /404.html;
}
EOF
}

cmd_systemd() {
  cat <<EOF
# /etc/systemd/system/independent-approval@.service — written by scripts/production.sh systemd.
# Start N workers: systemctl enable --now independent-approval@{1..N}
[Unit]
Description=Independent-approval backend worker %i
After=network-online.target postgresql.service redis-server.service
Wants=network-online.target

[Service]
User=${APP_USER:-approval}
WorkingDirectory=$ROOT
EnvironmentFile=$ENV_FILE
ExecStart=$ROOT/scripts/production.sh worker %i
Restart=always
RestartSec=2
# SIGTERM: the worker closes its sockets (their tabs reconnect to another worker) and stops.
KillSignal=SIGTERM
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
EOF
}

cmd_worker() {
  local n=${1:-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "usage: production.sh worker N (1..$WORKERS)"
  origin >/dev/null
  [ -n "${REFLEX_DB_URL:-}" ] || die "set REFLEX_DB_URL (PostgreSQL: every worker shares it)"
  [ -n "${REFLEX_REDIS_URL:-}" ] || die "set REFLEX_REDIS_URL (tab state shared by the workers)"
  if [ "$APP_FILE_STORE" = local ] && [ -z "${APP_FILE_STORE_DIR:-}" ]; then
    echo "production.sh: APP_FILE_STORE=local without APP_FILE_STORE_DIR: only right if every worker runs on this host" >&2
  fi
  runtime_env
  # One process per port (nginx balances them and can take one out at a time), behind one proxy.
  export GRANIAN_WORKERS=1 REFLEX_TRUSTED_PROXY_HOPS=${REFLEX_TRUSTED_PROXY_HOPS:-1}
  exec reflex run --env prod --backend-only --backend-host "${APP_WORKER_HOST:-127.0.0.1}" \
    --backend-port "$((FIRST_PORT + n - 1))" --loglevel "${APP_LOG_LEVEL:-warning}"
}

cmd_check() {
  local n port status=0
  for n in $(seq 1 "$WORKERS"); do
    port=$((FIRST_PORT + n - 1))
    # The worker's own health endpoint on loopback, read with the venv's Python (no curl needed).
    if out=$(python -c 'import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())
except Exception as exc:
    sys.exit(str(exc))' "http://127.0.0.1:$port/api/health" 2>&1); then
      echo "worker $n (:$port) $out"
    else
      echo "worker $n (:$port) NOT HEALTHY: $out"
      status=1
    fi
  done
  return $status
}

command=${1:-}
shift || true
case "$command" in
  setup) cmd_setup ;;
  build) cmd_build ;;
  nginx) cmd_nginx ;;
  systemd) cmd_systemd ;;
  worker) cmd_worker "$@" ;;
  check) cmd_check ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
