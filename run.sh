#!/usr/bin/env bash
# Set up everything (idempotent) and serve the app at $APP_ORIGIN (default http://localhost:3000).
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
port=$(python -c 'from app.config import settings; from urllib.parse import urlsplit; print(urlsplit(settings.origin).port or 80)')
echo "First admin? Run: .venv/bin/python -m app.cli enroll-admin <工号> <姓名>  and open the printed link."
exec reflex run --env prod --single-port --frontend-port "$port"
