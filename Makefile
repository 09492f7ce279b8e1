# The two commands of the quick start: `make run` and `make test` (contract §1).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test serve migrate seed lint bench clean

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

test: $(VENV)/.installed-dev  ## the whole suite (SQLite; PostgreSQL too when CATALOGUE_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check catalogue tests bench seed

bench: $(VENV)/.installed-dev  ## load figures into bench/README.md (needs wrk)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
