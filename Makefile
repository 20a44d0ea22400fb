# moodrig: every target bootstraps what it needs. Two commands matter: `make demo`, `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.moodrig-installed

.PHONY: venv demo test test-fast addon lint typecheck clean system-deps bench

venv: $(STAMP)

# torch==2.13.0 first: pip then takes the CPU wheel on disk, and the later `torch>=2.1`
# requirement is already satisfied, so no multi-GB CUDA build is ever downloaded.
$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q torch==2.13.0
	$(VPY) -m pip install -q -e '.[dev,train,ray]'
	@touch $(STAMP)

# Debian's blender (3.4, GUI tests) and xvfb/xdotool: installed when missing, and said so.
system-deps:
	@missing=""; \
	command -v blender >/dev/null || missing="$$missing blender"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; \
	command -v xdotool >/dev/null || missing="$$missing xdotool"; \
	if [ -n "$$missing" ]; then \
	  echo "moodrig: installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

addon: venv
	$(VPY) build_addon.py

lint: venv
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .

typecheck: venv
	$(VPY) -m mypy core

# Test tiers (tests/README.md): tests/conftest.py marks each test blender, gui, parity, shared,
# reliability or slow from what it uses. `make test` runs them all (CI); TIER narrows it to a
# pytest -m expression, e.g. `make test TIER=blender`. `make test-fast` runs the pure-core unit
# tests: no bpy, no Debian packages, no parity venv, nothing listed slow.
TIER ?=
FAST_TIER := not blender and not gui and not parity and not reliability and not slow

test: venv system-deps parity-venv
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy core
	$(VPY) build_addon.py
	$(VPY) -m pytest -q $(if $(TIER),-m "$(TIER)") tests

test-fast: venv
	$(VPY) -m pytest -q -m "$(FAST_TIER)" tests

demo: venv
	$(VPY) examples/demo.py --out out

clean:
	rm -rf dist build out artifacts .pytest_cache .mypy_cache .ruff_cache

-include mk/*.mk
