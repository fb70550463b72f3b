# twistcoach: every set-up step lives here, so `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
# Debian packages: Chromium (browser tests), PostgreSQL (database tests), espeak-ng (speech),
# ffmpeg (fake camera files), libosmesa6 (offscreen rendering for the ground-truth generator),
# xvfb (a virtual screen for the coach window test).
APT_PACKAGES := chromium postgresql espeak-ng ffmpeg libosmesa6 xvfb fonts-dejavu-core

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

# MediaPipe's heavy pose model, for recorded videos (estimator.RECORDED_MODEL): the npm
# package's file (pinned with its integrity hash in package-lock.json; its full model is
# byte for byte the wheel's), put where mediapipe 0.10.14 looks, so it never downloads it.
# The target is the file itself, so a deleted one comes back; the check after the copy
# fails the set-up if the path is not where the estimator looks or the file is not the
# pinned one (the estimator checks its SHA-256 before use, too).
HEAVY_MODEL := $(VENV)/lib/python3.11/site-packages/mediapipe/modules/pose_landmark/pose_landmark_heavy.tflite
$(HEAVY_MODEL): $(STAMP) $(FRONTEND_STAMP)
	cp frontend/node_modules/@mediapipe/pose/pose_landmark_heavy.tflite $@
	$(BIN)/python -c 'import twistcoach.estimator as e; e.check_heavy_model()'

setup: $(STAMP) frontend $(HEAVY_MODEL)

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

run: setup
	$(BIN)/twistcoach serve --host 127.0.0.1 --port 8000

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

# The suite on one worker a core, at most 4 (pytest-xdist); a test file stays on one
# worker (its module fixtures are made once). On this project's 2-core machine the whole
# suite took 663 s on one worker and 454 s on two (2026-12-07, load 1.3-1.7 before).
# PYTEST_WORKERS= runs it on one worker.
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadfile

pytest: setup system
	$(BIN)/pytest $(PYTEST_WORKERS)

test: setup system lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# --- Ground truth and accuracy (issue 6): a separate venv with torch + anny + pyrender ---
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
GT_ENV := PYTHONPATH=bench PYOPENGL_PLATFORM=osmesa

.PHONY: bench-venv bench-test groundtruth accuracy cues

# torch goes FIRST with its exact pin: pip then takes the local CPU build (an unpinned
# torch, even one pulled in by anny, downloads a multi-GB CUDA build).
$(BENCH_STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet torch==2.13.0
	$(BENCH_VENV)/bin/pip install --quiet -r requirements.lock
	$(BENCH_VENV)/bin/pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

bench-venv: $(BENCH_STAMP)

# The generator still runs (a slow test, outside `make test`: it needs the bench extra).
bench-test: bench-venv system
	$(GT_ENV) $(BENCH_VENV)/bin/pytest -q -p no:cacheprovider bench/test_generator.py

# Render the stills and clips the benchmark measures (the wider set's 18 bodies and their drop
# clips, plan.WIDE) into .cache/groundtruth (cached: a rerun renders nothing).
groundtruth: bench-venv system
	$(GT_ENV) $(BENCH_VENV)/bin/python -m groundtruth.generate stills --wide-only
	$(GT_ENV) $(BENCH_VENV)/bin/python -m groundtruth.generate sequences --wide-only

# Run the real pipeline on the renders, with each landmark model: bench/ACCURACY.md (recorded
# videos, heavy), bench/ACCURACY_LIVE.md (the live coach, full) and their plots in bench/img/.
accuracy: setup bench-test groundtruth
	PYTHONPATH=bench $(BIN)/python bench/accuracy.py --model recorded
	PYTHONPATH=bench $(BIN)/python bench/photo_flat.py
	PYTHONPATH=bench $(BIN)/python bench/accuracy.py --model live

# The coach's cues, measured (issue 22): render the scripted sessions (cached in .cache/cues),
# MediaPipe once per clip (landmarks.npz, cached), then replay every clip through the live
# session; writes bench/CUES.md and bench/img/cues_*.png. `bench/cues.py ci` refreshes the
# committed CI set (tests/cues/) from the cache.
cues: setup bench-venv system
	$(GT_ENV) $(BENCH_VENV)/bin/python -m cuebench.render
	PYTHONPATH=bench $(BIN)/python bench/cues.py landmarks
	PYTHONPATH=bench $(BIN)/python bench/cues.py run
