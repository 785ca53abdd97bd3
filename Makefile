# Omnistore — `make demo` runs the back office with demo data; `make test` runs every suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test venv system-deps lint migrate seed serve bench bench-segments clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import django, rest_framework, celery, psycopg, playwright" 
	touch $@

venv: $(VENV)/.installed

system-deps:
	@bash .ci/system-deps.sh

demo: venv
	@bash .ci/system-deps.sh pdf
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py demo_info --host $(HOST) --port $(PORT)
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv system-deps
	@bash .ci/test-suite.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: venv system-deps
	@command -v redis-server >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq redis-server >/dev/null; } || echo "redis-server missing: emails run in the request"
	PG_DURABLE=1 bash .ci/pg.sh $(PY) bench/checkout.py

bench-segments: venv system-deps
	PG_DURABLE=1 bash .ci/pg.sh $(PY) bench/segments.py

clean:
	rm -rf $(VENV) db.sqlite3 test-artifacts
