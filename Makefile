# moodrig: every target bootstraps what it needs. Two commands matter: `make demo`, `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.moodrig-installed

.PHONY: venv demo test addon lint typecheck clean system-deps bench

venv: $(STAMP)

# torch==2.13.0 first: pip then takes the CPU wheel on disk, and the later `torch>=2.1`
# requirement is already satisfied, so no multi-GB CUDA build is ever downloaded.
$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q torch==2.13.0
	$(VPY) -m pip install -q -e '.[dev,train]'
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

typecheck: venv
	$(VPY) -m mypy core

test: venv system-deps parity-venv
	$(VPY) -m ruff check .
	$(VPY) -m mypy core
	$(VPY) build_addon.py
	$(VPY) -m pytest -q tests

demo: venv
	$(VPY) examples/demo.py --out out

clean:
	rm -rf dist build out artifacts .pytest_cache .mypy_cache .ruff_cache

-include mk/*.mk
