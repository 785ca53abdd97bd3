#!/usr/bin/env bash
# The storefront API against its own OpenAPI schema. A live server (gunicorn, test
# settings) on a fresh SQLite database seeded with the demo is fuzzed by schemathesis,
# signed in as the demo customer, with a fixed seed and every check: any server error,
# undocumented status, content type or body that breaks the schema fails the step.
# Usage: bash .ci/schemathesis.sh [extra schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
SEED=${SCHEMATHESIS_SEED:-20240611}
EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-5}  # per operation; the whole step stays under 3 minutes

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=omnistore.settings.test
export DATABASE_URL="sqlite:///$work/db.sqlite3"
unset REDIS_URL
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo >"$work/seed.log"
token=$($PY manage.py shell -c '
from rest_framework.authtoken.models import Token
from omnistore.demo.management.commands.demo_info import demo_customer
print(Token.objects.get_or_create(user=demo_customer())[0].key)' | tail -n 1)

"$BIN/gunicorn" omnistore.wsgi -b "127.0.0.1:$port" --workers 1 --threads 2 \
  --log-level warning --error-logfile "$work/server.log" &
server=$!
for _ in $(seq 50); do
  $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.2
done

# The schema is fetched once, with time to spare: on a machine busy with other work its
# first generation can take longer than schemathesis waits for a schema to load.
$PY - "http://127.0.0.1:$port/api/schema/?format=json" "$work/schema.json" <<'PYEOF'
import sys, time, urllib.request
url, path = sys.argv[1], sys.argv[2]
for attempt in range(30):
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            open(path, "wb").write(answer.read())
        break
    except OSError:
        time.sleep(1)
else:
    sys.exit(f"the schema at {url} did not load")
PYEOF

# Excluded, because fuzzing them would end the run's own session:
#  - /api/v1/me/erase/ erases the signed-in customer (every later request is anonymous).
#  - /api/v1/auth/logout/ revokes the run's token (every later request is a 401).
status=0
"$BIN/st" --config-file .ci/schemathesis.toml run "$work/schema.json" \
  --url "http://127.0.0.1:$port" --request-timeout 60 --checks all --seed "$SEED" --max-examples "$EXAMPLES" --workers 1 \
  --header "Authorization: Token $token" \
  --exclude-path /api/v1/me/erase/ \
  --exclude-path /api/v1/auth/logout/ \
  --report junit --report-dir "${REPORT_DIR:-test-artifacts}/schemathesis" \
  "$@" || status=$?
if [ $status -ne 0 ] && [ -s "$work/server.log" ]; then
  echo "--- server log (tail) ---"; tail -n 60 "$work/server.log"
fi
exit $status
