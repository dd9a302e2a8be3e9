# Two commands do all set-up on a fresh machine: `make analyze` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The default run: both built-in default models (linear, transformer), forward
# pass and training step, L = 1..16 (README, Quickstart: what it costs on two
# cores, and why it stops at 16). Pass your own to replace it.
ANALYZE_ARGS ?= --step forward,train --layers 1,2,4,8,16

.PHONY: analyze test install clean benchmarks browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

analyze: $(STAMP)
	$(BIN)/hloscope analyze $(ANALYZE_ARGS)

# The report's browser tests load the page in headless Chromium: install
# Debian's package (as root, or with sudo) when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null) || \
		(echo "make: could not install chromium, which the report's browser tests need; install it and rerun" >&2; exit 1)

# One test process per core, each test file kept in one process so that its
# module fixtures (compiled programs, analysed runs) are built once.
test: $(STAMP) browser
	$(BIN)/python -m pytest -q -n auto --dist loadfile

benchmarks: $(STAMP)
	for script in benchmarks/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
