# Face analysis: the throwaway parity venv, the MediaPipe weight converter and the evaluation
# report (weights_tools/face_eval.py).
# .venv-parity holds tflite + ai-edge-litert only; moodrig's .venv never imports them.
PARITY_VENV := .venv-parity
PARITY_PY := $(PARITY_VENV)/bin/python
PARITY_STAMP := $(PARITY_VENV)/.moodrig-parity-installed

.PHONY: parity-venv face-weights face-eval

parity-venv: $(PARITY_STAMP)

$(PARITY_STAMP): mk/face.mk
	@test -x $(PARITY_PY) || $(PY) -m venv $(PARITY_VENV)
	$(PARITY_PY) -m pip install -q --upgrade pip
	$(PARITY_PY) -m pip install -q 'numpy==1.26.4' 'tflite==2.18.0' 'ai-edge-litert==2.3.0' 'opencv-python-headless==4.11.0.86'
	@mkdir -p build/mediapipe
	@ls build/mediapipe/mediapipe-0.10.21-*.whl >/dev/null 2>&1 || \
	  $(PARITY_PY) -m pip download -q --no-deps 'mediapipe==0.10.21' -d build/mediapipe
	@touch $(PARITY_STAMP)

face-weights: venv parity-venv
	$(VPY) -m moodrig.weights_tools.convert_mediapipe --parity-python $(PARITY_PY)

face-eval: venv
	$(VPY) -m moodrig.weights_tools.face_eval --out docs/face_eval.md

# Throwaway venv with mediapipe itself, only to time its own Face Mesh next to moodrig's
# (docs/face_eval.md). Never a dependency of moodrig; `make face-eval` uses it when present.
MP_VENV := .venv-mp
.PHONY: mediapipe-bench-venv
mediapipe-bench-venv:
	@test -x $(MP_VENV)/bin/python || $(PY) -m venv $(MP_VENV)
	$(MP_VENV)/bin/python -m pip install -q 'mediapipe==0.10.21'
