#!/usr/bin/env bash
# Set up everything (idempotent, with Chromium) and run the whole test suite.
# TEST_DB_URL=postgresql+psycopg://... runs it on PostgreSQL instead of SQLite.
set -euo pipefail
export WITH_BROWSER=1
source "$(dirname "$0")/scripts/setup.sh"
exec python -m pytest "$@"
