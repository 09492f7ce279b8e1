# The two commands of the quick start: `make run` and `make test` (contract §1).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: fakes run test test-slow test-browser test-cluster serve migrate seed lint bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

instance:
	mkdir -p instance

migrate: $(VENV)/.installed-run instance  ## apply migrations to DATABASE_URL (default: instance/catalogue.db)
	$(FLASK) db upgrade

seed: migrate  ## load the OCOP catalogue (idempotent)
	$(FLASK) seed

run: seed  ## install, migrate, seed, serve on http://127.0.0.1:$(PORT)
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

fakes: $(VENV)/.installed-dev  ## the fake gateways, marketplaces and carriers on 127.0.0.1 (docs/development.md)
	$(FLASK) dev fakes

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility (axe-core) browser tests will be skipped"; fi

# Four workers (pytest-xdist) on two cores: most tests wait on a database, a served app or a fake, so four keep
# both cores busy. PYTEST_ARGS= runs it serially.
PYTEST_ARGS ?= -n 4

test: $(VENV)/.installed-dev node_modules/.installed  ## the suite (SQLite; PostgreSQL too when CATALOGUE_TEST_POSTGRES_URL is set), Chromium's pages and the slow runs apart
	$(BIN)/pytest $(PYTEST_ARGS) -m "not slow" --ignore=tests/browser --ignore=tests/cluster

# The long runs (marked `slow`): the API fuzzed for every role, races and faults soaked, gunicorn and the dev fakes
# started, a backup restored, the migrations down to base and up, the seed at scale.
# Apart so that `make test` stays under 10 minutes on a 2-core machine; CI runs them after it.
test-slow: $(VENV)/.installed-dev node_modules/.installed  ## the slow tests (CI runs them after `make test`)
	$(BIN)/pytest $(PYTEST_ARGS) -m slow --ignore=tests/browser --ignore=tests/cluster

# The pages in Debian's Chromium (Playwright): checkout and payments, portal at phone width, live selling, the
# office's import, accessibility. CI runs it after `make test`; `make test test-browser` runs both here.
test-browser: $(VENV)/.installed-dev node_modules/.installed  ## every browser test (needs /usr/bin/chromium)
	$(BIN)/pytest -n 2 tests/browser

# Two web nodes and a worker in network namespaces behind nginx, on PostgreSQL, Redis and S3 (root, nginx, socat).
test-cluster: $(VENV)/.installed-dev  ## the many-machines test (docs/operations.md); CI runs it after `make test`
	CATALOGUE_CLUSTER=1 $(BIN)/pytest -p no:xdist --basetemp=/tmp/ocop-cluster-test tests/cluster -v

lint: $(VENV)/.installed-dev  ## ruff lint and format check, and the import contracts of pyproject.toml (CI runs it)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev  ## load figures into bench/README.md (needs wrk)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

translations: $(VENV)/.installed-dev  ## re-extract strings; then translate new ones in catalogue/translations/en/…/messages.po
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o catalogue/translations/messages.pot catalogue
	$(BIN)/pybabel update -i catalogue/translations/messages.pot -d catalogue/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d catalogue/translations
