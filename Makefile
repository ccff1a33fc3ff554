# Quick start: `make serve` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages: venv for Debian's own python3, CJK fonts and Pango/HarfBuzz for PDFs, Chromium for the
# browser tests, LibreOffice (Writer and Calc, without a GUI) for the tests that open the DOCX and CSV exports as
# people's office software does (scripts/system-packages.sh installs only what is missing, as root or with sudo;
# scripts/postgres.sh installs PostgreSQL for the suite itself).
SYSTEM_PACKAGES := python3-venv fonts-noto-cjk chromium fontconfig libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
	libharfbuzz-subset0 libreoffice-writer-nogui libreoffice-calc-nogui

EXTRAS := test,postgres,check
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install serve test check lint security audit lock clean system-packages fonts

# The virtualenv is rebuilt when the dependencies change: every package at the version constraints.txt
# pins (the locked set), the project built with the pinned setuptools. The editable install is a plain
# .pth entry (pyproject.toml's package-dir): no import hook, so `registry validate` starts faster.
$(STAMP): pyproject.toml constraints.txt | system-packages
	scripts/install-packages $(PYTHON) $(VENV) $(EXTRAS)
	touch $@

# The CJK font of printed standards, subset once for the characters the corpus can use.
fonts: $(STAMP)
	PYTHON=$(BIN)/python scripts/prepare-fonts

# axe-core, which the browser tests inject into each page to check its accessibility (package-lock.json pins it;
# Node.js and npm as the machine has them, else Debian's npm)
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || scripts/system-packages.sh npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: system-packages $(STAMP) fonts node_modules/.installed

system-packages:
	scripts/system-packages.sh $(SYSTEM_PACKAGES)

# Migrates the catalog, loads standards/, builds the search index and serves on http://$(HOST):$(PORT)
# (gunicorn); prints the addresses to open when the first worker is ready. `make serve PORT=5001`.
serve: install
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

# The suite runs every catalog test on SQLite and on a private PostgreSQL server (scripts/postgres.sh).
# Two workers; worksteal: an idle worker takes queued tests from the busy one, so a few long tests (the
# browser's, the renderer's) do not leave one worker running alone at the end.
test: install check
	scripts/postgres.sh start
	REGISTRY_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" $(BIN)/python -m pytest -n 2 --dist worksteal

# Static checks, part of `make test` (so CI fails with them): ruff (rules in pyproject.toml), bandit
# (no high-severity finding; settings in pyproject.toml), known vulnerabilities in the locked set.
check: lint security audit

lint: install
	$(BIN)/ruff check registry tests benchmarks scripts/pip-progress scripts/audit-deps

security: install
	$(BIN)/bandit --quiet -c pyproject.toml -r registry --severity-level high

audit: install
	$(BIN)/python scripts/audit-deps

# Re-resolve the locked set from pyproject.toml's ranges in a throw-away virtualenv (needs the package
# index) and write it to constraints.txt; review the diff, then `make install` installs it.
lock:
	scripts/lock-deps $(PYTHON) $(EXTRAS)

clean:
	-scripts/postgres.sh destroy
	rm -rf $(VENV) instance/ .pytest_cache node_modules/
	find exports -mindepth 1 ! -name README.md -delete
