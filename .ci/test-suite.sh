#!/usr/bin/env bash
# The whole suite: static checks, SQLite, PostgreSQL (throwaway cluster), headless Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=omnistore.settings.test
unset DATABASE_URL REDIS_URL
mkdir -p test-artifacts
status=0
summary=()

step() {  # step NAME CMD... — run, record the outcome; pytest exit 5 (nothing collected) fails
  local name=$1; shift
  echo; echo "=== $name ==="
  "$@"; local rc=$?
  if [ $rc -eq 0 ]; then summary+=("PASS  $name"); else summary+=("FAIL  $name (exit $rc)"); status=1; fi
}

step "ruff" .venv/bin/ruff check .
step "import layers" .venv/bin/lint-imports  # layers, selectors below services, no import cycles
step "migrations are up to date" $PY manage.py makemigrations --check --dry-run
step "pytest on SQLite" $PY -m pytest -m "not postgres and not browser" -q -n 2 -p no:playwright
step "API against its schema (schemathesis)" bash .ci/schemathesis.sh
step "pytest on PostgreSQL 15" bash .ci/pg.sh $PY -m pytest -m "not browser" -q -n 2 -p no:playwright
step "browser tests (headless Chromium)" $PY -m pytest -m browser -q --browser chromium \
  --output test-artifacts --screenshot only-on-failure

echo; echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
