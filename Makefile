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

.PHONY: install serve test clean system-packages fonts

# The virtualenv is rebuilt when the dependencies change. The editable install uses a plain
# .pth entry (compat mode): no import hook, so `registry validate` starts faster.
$(STAMP): pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]' --config-settings editable_mode=compat
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

# Migrates the catalog, loads standards/ and serves on http://127.0.0.1:5000 (gunicorn).
serve: install
	$(BIN)/registry serve

# The suite runs every catalog test on SQLite and on a private PostgreSQL server (scripts/postgres.sh).
test: install
	scripts/postgres.sh start
	REGISTRY_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" $(BIN)/python -m pytest -n 2

clean:
	-scripts/postgres.sh destroy
	rm -rf $(VENV) instance/ .pytest_cache node_modules/
	find exports -mindepth 1 ! -name README.md -delete
