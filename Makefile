# twistcoach: every set-up step lives here, so `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
# Debian packages: Chromium (browser tests), PostgreSQL (database tests), espeak-ng (speech),
# ffmpeg (fake camera files), libosmesa6 (offscreen rendering for the ground-truth generator).
APT_PACKAGES := chromium postgresql espeak-ng ffmpeg libosmesa6

.PHONY: run test setup system lint typecheck pytest clean frontend

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The browser coach's MediaPipe Pose assets, from the npm registry (served by the app at /mp/).
FRONTEND_STAMP := frontend/node_modules/.stamp-installed
$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(FRONTEND_STAMP)

frontend: $(FRONTEND_STAMP)

setup: $(STAMP) frontend

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

run: setup
	$(BIN)/twistcoach demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup system
	$(BIN)/pytest

test: setup system lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
