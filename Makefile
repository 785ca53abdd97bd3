# Omnistore — `make demo` runs the back office with demo data; `make test` runs every suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help demo demo-reset test venv system-deps lint bench bench-segments faults \
	clean cluster cluster-down cluster-status cluster-test

help:
	@echo "make demo          the back office with demo data (PORT=, HOST=); keeps its data"
	@echo "make demo-reset    the demo from a freshly seeded database (the old one deleted)"
	@echo "make test          every check and suite: SQLite, PostgreSQL, the API fuzz, browsers"
	@echo "make faults        the fault tests on a real stack (~10 min)"
	@echo "make cluster-test  the local cluster's proofs (cluster, cluster-status, cluster-down)"
	@echo "make lint          ruff and the import layers"
	@echo "make bench         the checkout benchmark (bench-segments: segments and sends)"
	@echo "make clean         the virtualenv, the demo database and test artifacts removed"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	PYTHONWARNINGS=ignore $(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import django, rest_framework, celery, psycopg, playwright" 
	touch $@

venv: $(VENV)/.installed

system-deps:
	@bash .ci/system-deps.sh

# Links the demo writes (wishlist shares, emails, campaign links) lead to where it is
# served; on every interface (0.0.0.0), to this machine.
SITE_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
# runserver takes an IPv6 address in brackets: [::]:8000
ADDRESS = $(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)):$(PORT)
demo: export OMNISTORE_SITE_URL ?= http://$(SITE_HOST):$(PORT)
PORT_FREE = $(PY) -c "import socket; h='$(HOST)'; s=socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((h, $(PORT)))" 2>/dev/null || { echo "Port $(PORT) on $(HOST) is already in use: stop what holds it, or choose another port: make demo PORT=8001"; exit 1; }
demo: venv
	@$(PORT_FREE)
	@bash .ci/system-deps.sh pdf
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py demo_info --host $(HOST) --port $(PORT)
	$(PY) manage.py runserver $(ADDRESS)

# The demo again from a fresh database: what docs/first-hour.md's figures assume.
demo-reset: venv
	@$(PORT_FREE)
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
	@$(MAKE) --no-print-directory demo

test: venv system-deps
	@bash .ci/test-suite.sh

# The fault tests: a real stack on loopback (PostgreSQL, Redis, Celery worker and beat,
# gunicorn with the production settings), parts of it stopped or killed (~10 min).
faults: venv system-deps
	OMNISTORE_FAULTS=1 bash .ci/pg.sh $(PY) -m pytest -p no:playwright -m faults -q -s \
	  tests/faults

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: venv system-deps
	@command -v redis-server >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq redis-server >/dev/null; } || echo "redis-server missing: emails run in the request"
	PG_DURABLE=1 bash .ci/pg.sh $(PY) bench/checkout.py

bench-segments: venv system-deps
	PG_DURABLE=1 bash .ci/pg.sh $(PY) bench/segments.py

# A whole deployment on loopback (docs/operations.md, "Deployment topology"): PostgreSQL
# primary + streaming replica, Redis, two gunicorn servers behind nginx, two Celery
# workers and beat. cluster-test starts one, runs tests/cluster/ on it, stops it.
cluster: venv system-deps
	$(PY) bench/cluster.py up

cluster-status:
	$(PY) bench/cluster.py status

cluster-down:
	$(PY) bench/cluster.py down

cluster-test: venv system-deps
	@bash .ci/cluster-test.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm test-artifacts
