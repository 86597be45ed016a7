# OnePiece developer entry points. Every target sets itself up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bytecode test lint typecheck unit integration e2e demo screenshots bench browser zou ffmpeg clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<26"

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,opencue]"
	touch $(STAMP)

# The ASC's reference MHL tool, for the tests only: it pins an older Click than
# ours, so it lives in its own venv (tests find it at .venv-ascmhl/bin).
ASCMHL_VENV := .venv-ascmhl
$(ASCMHL_VENV)/.installed: constraints-ascmhl.txt
	$(PYTHON) -m venv $(ASCMHL_VENV)
	$(ASCMHL_VENV)/bin/pip install --quiet -c constraints-ascmhl.txt ascmhl
	touch $@

install: $(STAMP) $(ASCMHL_VENV)/.installed

# Our own modules byte-compiled, as `pip install onepiece` leaves them: the
# editable install runs from src/, and where PYTHONDONTWRITEBYTECODE is set (as
# on these machines) every process would compile OnePiece from source again,
# about 0.1 s of each command's start (docs/benchmarks.md). Only changed files
# are compiled again; a file edited since is recompiled in memory, never stale.
bytecode: install
	$(BIN)/python -m compileall -q src

# Chromium for the browser tests comes from Debian; Playwright never downloads one.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install Debian's chromium (sudo apt-get install chromium)"; fi; \
	fi

# A real Kitsu API server (zou) for the Kitsu adapter tests, in its own
# virtual environment: zou pins its own dependency versions (constraints-zou.txt).
ZOU_VENV := .venv-zou
ZOU_STAMP := $(ZOU_VENV)/.installed

$(ZOU_STAMP): constraints-zou.txt
	$(PYTHON) -m venv $(ZOU_VENV)
	$(ZOU_VENV)/bin/pip install --quiet --upgrade "pip<26"
	$(ZOU_VENV)/bin/pip install --quiet -c constraints-zou.txt zou gunicorn
	touch $(ZOU_STAMP)

# zou encodes uploaded review movies with Debian's ffmpeg (as for chromium: root installs it).
zou: $(ZOU_STAMP)
	@if ! command -v ffmpeg >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else echo "ffmpeg missing: install Debian's ffmpeg (sudo apt-get install ffmpeg)"; fi; \
	fi

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: install bytecode browser zou lint typecheck
	$(BIN)/pytest tests/unit tests/integration tests/e2e -q

unit: install bytecode
	$(BIN)/pytest tests/unit -q

# ffmpeg (Debian's) is the peer of the review-media benchmark; OnePiece never runs it.
ffmpeg:
	@if ! command -v ffmpeg >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else echo "ffmpeg missing: install Debian's ffmpeg (sudo apt-get install ffmpeg)"; fi; \
	fi

demo: install
	$(BIN)/onepiece demo

# The README's pictures of both pages, taken by the browser test from the demo's data.
screenshots: install browser
	REFRESH_DOC_SCREENSHOTS=1 $(BIN)/pytest tests/e2e/test_demo_pages.py -q -p no:cacheprovider

bench: install ffmpeg
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(ASCMHL_VENV) $(ZOU_VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
