# The two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.PHONY: install demo fleet test test-fast lint bench bench-deps browser-deps fleet-deps stop db-status constraints

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.9,<0.14'
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py demo

# Past one machine, on this one: primary and hot standby, PgBouncer, Redis, two web servers and
# two q2 clusters (README, Running at scale). FLEET_ARGS="--help" lists the ports and sizes.
fleet: install fleet-deps
	$(PY) -m enrichhub.fleet $(FLEET_ARGS)

test: install lint browser-deps fleet-deps
	$(PY) -m pytest

# The tests that start no process (no q2 cluster, server, browser or pooler), one worker per core,
# property tests trying a quarter of their examples (tests/examples.py).
test-fast: install
	ENRICHHUB_TEST_FAST=1 $(PY) -m pytest -m "not system" -n auto --dist worksteal

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

bench: install bench-deps
	$(PY) -m bench.run $(BENCH)

# Debian packages: only what is named (no recommends: chromium would bring 115 packages and
# upgrade systemd), waiting for another apt to finish instead of failing at once.
APT_WAIT := -o DPkg::Lock::Timeout=300
APT_INSTALL := apt-get install -y -q --no-install-recommends $(APT_WAIT)

# The browser tests drive Debian's chromium (no browser download by Playwright).
browser-deps:
	command -v chromium >/dev/null || (apt-get update -q $(APT_WAIT) && $(APT_INSTALL) chromium)

# The tests put a real PgBouncer (Debian's, 1.18) in front of a server of their own, and share
# web servers' caches through a real Redis.
fleet-deps:
	(test -x /usr/sbin/pgbouncer && test -x /usr/bin/redis-server) || \
		(apt-get update -q $(APT_WAIT) && $(APT_INSTALL) pgbouncer redis-server)

# wrk drives the HTTP benchmarks and GNU time measures peak memory; both are Debian packages.
bench-deps:
	(command -v wrk >/dev/null && test -x /usr/bin/time) || (apt-get update -q $(APT_WAIT) && $(APT_INSTALL) wrk time)

stop:
	$(PY) -m enrichhub.embedded_db stop

db-status:
	$(PY) -m enrichhub.embedded_db status

# Re-resolve the exact versions after changing a range in pyproject.toml.
constraints: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet -o $(CONSTRAINTS)
