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

.PHONY: install serve test screenshots check lint security audit lock clean system-packages fonts

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
# browser's, the renderer's) do not leave one worker running alone at the end. The static checks run beside
# the suite in a session of their own (the audit mostly waits on PyPI; stopped with the suite if it is
# interrupted), their output printed after it; either failing fails `make test`. PYTHONDONTWRITEBYTECODE is
# cleared for the suite: its dozens of Python processes (servers, workers, render children) then read the
# project's compiled modules from __pycache__ (git-ignored) instead of each compiling them again.
test: install
	scripts/postgres.sh start
	@log=$$(mktemp); BIN=$(BIN) setsid scripts/static-checks >"$$log" 2>&1 & checks=$$!; \
	trap 'kill -- -$$checks 2>/dev/null; rm -f "$$log"' EXIT; trap 'exit 130' INT TERM; \
	REGISTRY_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" PYTHONDONTWRITEBYTECODE= \
		$(BIN)/python -m pytest -n 2 --dist worksteal; \
	suite=$$?; wait $$checks; checked=$$?; \
	echo "--- static checks (make check): $$([ $$checked = 0 ] && echo passed || echo FAILED)"; cat "$$log"; \
	[ $$suite = 0 ] && [ $$checked = 0 ]

# Full-page screenshots of every page the browser tests visit (the main pages in both languages at three widths,
# the portal's screens), to look at: the browser tests with $(SHOTS) as REGISTRY_SCREENSHOTS_DIR. `make test`
# photographs only a page whose layout check fails.
SHOTS ?= $(CURDIR)/test-artifacts/screenshots
screenshots: install
	scripts/postgres.sh start
	REGISTRY_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" REGISTRY_SCREENSHOTS_DIR=$(SHOTS) \
		PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist worksteal tests/e2e

# Static checks, part of `make test` (so CI fails with them): scripts/static-checks says what each runs.
check: install
	BIN=$(BIN) scripts/static-checks

lint security audit: install
	BIN=$(BIN) scripts/static-checks $@

# Re-resolve the locked set from pyproject.toml's ranges in a throw-away virtualenv (needs the package
# index) and write it to constraints.txt; review the diff, then `make install` installs it.
lock:
	scripts/lock-deps $(PYTHON) $(EXTRAS)

clean:
	-scripts/postgres.sh destroy
	rm -rf $(VENV) instance/ .pytest_cache node_modules/
	find exports -mindepth 1 ! -name README.md -delete
