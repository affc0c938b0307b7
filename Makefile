# Two commands on a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: venv run test lint bench bench-limits bench-pages bench-tenants screenshots chaos clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_periodic_tasks
	$(BIN)/python manage.py ensure_admin
	@echo
	@echo "  Open http://127.0.0.1:$(PORT)/admin/  (web, worker, beat and the sandboxes run below; Ctrl-C stops all)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var

# Benchmark and chaos suite (bench/README in README.md): real worker, sandboxes, throwaway VAR_DIR.
SIZES ?= small,medium
PROFILE ?= embedded
GROWTH ?=
bench: venv
	$(BIN)/python -m bench.run --sizes $(SIZES) --profile $(PROFILE) --growth "$(GROWTH)"

# Day one at the platforms' real rate limits, on sped-up clocks, across task boundaries (README "Benchmark").
LIMITS_SIZE ?= medium
bench-limits: venv
	$(BIN)/python -m bench.limits --size $(LIMITS_SIZE) --out bench/results

# Page weight and time of the run page, Company matching and the queue on the medium company's records.
bench-pages: venv
	$(BIN)/python -m bench.pages --out bench/results

# The README's pictures (docs/screenshots/), from seeded data in Debian's Chromium.
screenshots: venv
	$(BIN)/pytest tests/connector/browser/screenshots.py -q -p no:cacheprovider

CHAOS_SIZE ?= small
chaos: venv
	$(BIN)/python -m bench.chaos --size $(CHAOS_SIZE) --profile $(PROFILE) --out bench/results

# Many companies on one deployment: N connections' day one and a normal day together (README "Benchmark").
TENANTS ?= 10
TENANTS_SIZE ?= small
bench-tenants: venv
	$(BIN)/python -m bench.tenants --tenants $(TENANTS) --size $(TENANTS_SIZE) --out bench/results
