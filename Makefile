# `make run`: the app on the local AWS emulator with demo data.  `make test`: the whole suite.
# `make bench`: the performance report in docs/BENCHMARKS.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PROD_STAMP := $(VENV)/.installed-production-$(shell cat requirements.txt | sha1sum | cut -c1-12)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)

.PHONY: run test lint chromium services serve bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The big-table benchmark's DynamoDB emulator (dynalite, pinned in package-lock.json).
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

# Production: requirements.txt only (no emulator, no test tools).
$(PROD_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(PROD_STAMP)

run: $(STAMP)
	$(PY) scripts/run_local.py

# Browser tests drive Debian's chromium (never a browser downloaded by Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@# Stage names are often Chinese: the README's screenshots need a CJK font.
	@fc-list :lang=zh | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }

# The tests start their own PostgreSQL and Redis servers from Debian's packages (never a system
# service): installed here when missing.
services:
	@{ command -v redis-server && ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql redis-server >/dev/null; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null

# The whole suite on SQLite, then the tests of what app processes share (marked shared_db) on a
# throwaway PostgreSQL server.
test: $(STAMP) $(NODE_STAMP) chromium services lint
	$(PY) -m pytest
	$(PY) -m pytest -m shared_db --postgres

# Performance report (not part of `make test`), about 25 minutes at full size; `make bench
# BENCH_SCALE=0.1 BENCH_JOBS=10000` for a quick look. First the corpus on its own moto server
# (docs/BENCHMARKS.md), then background scans of a Jobs table of BENCH_JOBS items on 1, 2 and 4
# worker processes, a killed worker included, on dynalite (docs/BENCHMARKS_SCANS.md).
BENCH_SCALE ?= 1
BENCH_JOBS ?= 100000
bench: $(STAMP) $(NODE_STAMP)
	$(PY) -m bench --scale $(BENCH_SCALE)
	$(PY) -m bench.workers --jobs $(BENCH_JOBS)

# Production: gunicorn behind a TLS-terminating proxy; needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
# Installs requirements.txt only. Requests are logged by the app (one JSON line each), not gunicorn.
# The worker timeout outlasts an AWS call that times out on every attempt (3 x (3 s + 10 s) by
# default), so a slow AWS is answered with the API's 503, not a killed worker.
# Each start gives the workers a new, empty directory where they add up their metrics.
serve: $(PROD_STAMP)
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$$(mktemp -d)} \
	  $(VENV)/bin/gunicorn config.wsgi --bind $${BIND:-0.0.0.0:8000} --workers $${WEB_CONCURRENCY:-3} \
	  --timeout $${GUNICORN_TIMEOUT:-120} --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .hypothesis
