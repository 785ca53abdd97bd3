#!/usr/bin/env bash
# The proofs on a whole deployment: bench/cluster.py starts PostgreSQL primary and
# replica, Redis, two gunicorn servers behind nginx, two Celery workers and beat on
# loopback; tests/cluster/ runs against it; the cluster is stopped whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export OMNISTORE_CLUSTER_DIR
OMNISTORE_CLUSTER_DIR=$(mktemp -d /tmp/omnistore-cluster.XXXXXX)
rmdir "$OMNISTORE_CLUSTER_DIR"  # bench/cluster.py up makes it
trap '$PY bench/cluster.py down >/dev/null' EXIT
unset DATABASE_URL DATABASE_REPLICA_URL REDIS_URL CACHE_URL
$PY bench/cluster.py up || exit 1
DJANGO_SETTINGS_MODULE=omnistore.settings.test \
  $PY -m pytest -m cluster -q -p no:playwright tests/cluster
