# Two commands do all set-up on a fresh machine: `make analyze` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ANALYZE_ARGS ?=

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

# The report's browser tests need headless Chromium: install Debian's package
# when running as root; otherwise those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "could not install chromium; the browser tests will skip"

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

benchmarks: $(STAMP)
	for script in benchmarks/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
