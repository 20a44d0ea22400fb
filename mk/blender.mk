# Every supported Blender. 5.0.1 is the bpy module in .venv and 3.4 is Debian's `blender`;
# the 4.2 LTS and 4.5 LTS bpy modules each get their own venv, with moodrig's runtime
# dependencies (torch==2.13.0 first, so the CPU wheel on disk is used) and moodrig (editable).
# The real-Blender tests run on every venv that exists (tests/bpy_versions.py).
BPY_VERSION_42 := 4.2.23
BPY_VERSION_45 := 4.5.15
BPY_VENVS := .venv-bpy42 .venv-bpy45

.PHONY: bpy-venvs wheelhouse test-wheelhouse

bpy-venvs: $(addsuffix /.moodrig-installed,$(BPY_VENVS))

.venv-bpy%/.moodrig-installed: mk/blender.mk pyproject.toml
	@test -x .venv-bpy$*/bin/python || $(PY) -m venv .venv-bpy$*
	.venv-bpy$*/bin/python -m pip install -q --upgrade pip
	.venv-bpy$*/bin/python -m pip install -q torch==2.13.0
	.venv-bpy$*/bin/python -m pip install -q 'bpy==$(BPY_VERSION_$*)' -e .
	@touch $@

# A folder of wheels that installs moodrig's dependencies with no network (Preferences →
# moodrig → Install from Folder…, or `pip install --no-index --find-links`). A studio runs
# it once per platform; PLATFORM: linux-x64 (default), windows-x64, macos-arm64, macos-x64.
# BUILD: the torch build (cpu by default; cu121, cu124, cu126, rocm6.2 for Linux GPUs).
# TORCH: the torch requirement (the version the tests use, so pip takes the CPU wheel on disk
# where there is one and never a CUDA build).
PLATFORM ?= linux-x64
BUILD ?= cpu
TORCH ?= torch==2.13.0
WHEELHOUSE ?= dist/wheelhouse-$(PLATFORM)-$(BUILD)

wheelhouse: venv
	$(VPY) wheelhouse.py --platform $(PLATFORM) --build $(BUILD) --torch '$(TORCH)' --out $(WHEELHOUSE)

# The wheelhouse the offline-install tests use (linux-x64, CPU): made once, remade when the
# requirements change.
TEST_WHEELHOUSE := build/wheelhouse-linux-x64-cpu
test-wheelhouse: $(TEST_WHEELHOUSE)/.moodrig-complete

$(TEST_WHEELHOUSE)/.moodrig-complete: pyproject.toml wheelhouse.py | $(STAMP)
	$(VPY) wheelhouse.py --platform linux-x64 --build cpu --torch '$(TORCH)' --out $(TEST_WHEELHOUSE)
	@touch $@

# `make test` also needs the other bpy versions and the offline wheelhouse.
test: bpy-venvs test-wheelhouse

# `make demo` also saves the scene in Blender 3.4's format (3.4 cannot open a file saved by
# 5.0): out/blender34/demo.blend, made by Debian's blender when it is installed.
DEMO34_OUT := out/blender34
.PHONY: demo-blender34
demo: demo-blender34

demo-blender34: venv
	@if command -v blender >/dev/null; then \
	  rm -rf build/demo34 && $(VPY) build_addon.py --out build/demo34 >/dev/null && \
	  profile=$$(mktemp -d) && \
	  BLENDER_USER_SCRIPTS=$$profile/scripts BLENDER_USER_CONFIG=$$profile/config \
	  PYTHONPATH=$$($(VPY) -c 'import site; print(site.getsitepackages()[0])') \
	  blender -b --factory-startup --python-exit-code 1 --python examples/demo_blender34.py -- \
	    build/demo34/moodrig-*.zip \
	    --out $(DEMO34_OUT); rc=$$?; rm -rf $$profile; exit $$rc; \
	else \
	  echo "moodrig: no Debian blender, so no Blender 3.4 scene; out/demo.blend opens in 5.0"; \
	fi
