# Hataraku — two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
CODE := servicekit contracts services gateway web deploy tests benchmarks
S ?=
# pytest-xdist workers: the suite mostly waits on brokers, databases and browsers, so three
# workers on two cores finish it in about half the time of one
WORKERS ?= 3
# bytecode is cached (site-packages compiled at install, the project's own modules by their first
# import): a test run starts some 100 Python processes, and where PYTHONDONTWRITEBYTECODE is set
# each of them compiled FastAPI, pydantic, … and every test module again (about 2 s of CPU each)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install infra browser run test lint types check-contracts pytest stop restart bench schemas asyncapi clean-data employer-user seed

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: ## Python dependencies (installs uv from PyPI when missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	@$(UV) sync --frozen --quiet --compile-bytecode

infra: install ## start RabbitMQ, MongoDB (else SecantusDB, built once), OpenSearch (assembled once with Maven) and the SMTP sink where none answers
	@bash deploy/local/infra.sh up

run: install ## the whole system on this machine, with demo accounts (Ctrl-C stops it)
	@$(PY) -m deploy.local.run

test: install infra browser lint types check-contracts pytest ## lint, types and every test against real infrastructure (browser tests in Debian's chromium-headless-shell)

browser: ## Debian's chromium-headless-shell (and Japanese fonts) and the axe-core accessibility checker for the browser tests, when missing
	@bash deploy/local/chromium.sh
	@bash deploy/local/a11y.sh

lint: install
	@$(PY) -m ruff check $(CODE)
	@$(PY) -m ruff format --check $(CODE)

types: install
	@$(PY) -m mypy $(CODE)

check-contracts: install ## committed JSON Schemas match the models
	@$(PY) -m contracts.schemas --check

pytest: install
	@$(PY) -m pytest -q -p no:cacheprovider -n $(WORKERS) --dist loadfile --no-loadscope-reorder

stop: ## stop what `make run` and the infra scripts started
	@if [ -f .data/run/supervisor.pid ]; then kill "$$(cat .data/run/supervisor.pid)" 2>/dev/null || true; sleep 3; fi
	@bash deploy/local/infra.sh down

restart: ## restart one process of a running `make run`: make restart S=jobs
	@test -n "$(S)" || { echo "usage: make restart S=<identity|jobs|applications|messaging|notifier|web|gateway>"; exit 2; }
	@kill "$$(cat .data/run/$(S).pid)" && echo "$(S) restarting (see .data/log/$(S).log)"

employer-user: ## RabbitMQ user for an employer system: make employer-user E=<employer_id> [P=<password>]
	@test -n "$(E)" || { echo "usage: make employer-user E=<employer_id> [P=<password>]"; exit 2; }
	@bash deploy/local/employer-user.sh "$(E)" $(P)

seed: install infra ## more demo postings: make seed N=10000
	@$(PY) -m services.jobs.seed --count $${N:-3000}

bench: install infra ## run the benchmarks (prints figures; not part of make test)
	@# search's 1.3M-posting part needs a node of its own (README, Benchmarks): not here
	@for b in benchmarks/*.py; do echo "== $$b"; \
	  if [ "$$b" = benchmarks/search.py ]; then $(PY) $$b --parts b,c || exit 1; else $(PY) $$b || exit 1; fi; done

schemas: install ## regenerate contracts/schemas after changing a contract
	@$(PY) -m contracts.schemas

asyncapi: install ## regenerate docs/asyncapi/*.json
	@$(PY) -m servicekit.asyncapi docs/asyncapi

clean-data: stop ## remove .data (databases, mails, logs, the built SecantusDB server)
	@rm -rf .data
