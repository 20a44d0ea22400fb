# Benchmarks: `make bench` runs tests/bench/run_all.py (each figure in its own
# process, baselines side by side) and writes bench/results.json + bench/RESULTS.md.
# mediapipe 0.10.21 (the Face Mesh baseline) lives in its own throwaway venv, never in .venv.
# BENCH_ARGS: e.g. `make bench BENCH_ARGS="--quick"` (smoke test) or `--only amee bpfa`.
BENCH_MP_VENV := .venv-bench-mp
BENCH_MP_PY := $(BENCH_MP_VENV)/bin/python
BENCH_MP_STAMP := $(BENCH_MP_VENV)/.moodrig-bench-mp-installed
BENCH_ARGS ?=

.PHONY: bench-mp-venv bench-clips

bench-mp-venv: $(BENCH_MP_STAMP)

$(BENCH_MP_STAMP): mk/bench.mk
	@test -x $(BENCH_MP_PY) || $(PY) -m venv $(BENCH_MP_VENV)
	$(BENCH_MP_PY) -m pip install -q $$( [ -d build/mediapipe ] && echo --find-links build/mediapipe ) 'mediapipe==0.10.21' 'numpy<2'
	@touch $(BENCH_MP_STAMP)

bench-clips: venv
	PYTHONPATH=tests/bench $(VPY) tests/bench/make_clips.py

bench: venv bench-mp-venv
	PYTHONPATH=tests/bench $(VPY) tests/bench/run_all.py $(BENCH_ARGS)
