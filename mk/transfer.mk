# Style-consistent transfer: training, ablation, regressor, shipping and the report.
# CPU-only; one thread per process, niced (the 2 cores are shared). The runs and their flags are
# weights_tools/recipes/style_transfer.toml (docs/models/style_transfer.md). `make
# transfer-eval` regenerates docs/transfer_eval.md; runs/ is not committed, so missing exports,
# the regressor and the London analysis are produced first (the London photos are read from
# ../shared/data and never copied).
TRANSFER_RECIPE := weights_tools/recipes/style_transfer.toml
TRANSFER_ABL_STEPS ?= 1000
TRANSFER_DATA ?= ../shared/data
TRANSFER_RUN := OMP_NUM_THREADS=1 nice -n 10 $(VPY) -m moodrig.weights_tools
TRANSFER_REG := runs/transfer/detail_regressor.manifest.json
TRANSFER_FACES := runs/transfer/london_faces.npz

.PHONY: transfer-train transfer-ablations transfer-regressor transfer-ship transfer-eval

$(TRANSFER_REG):
	$(TRANSFER_RUN).regressor --target detail --out runs/transfer/detail_regressor

$(TRANSFER_FACES):
	$(TRANSFER_RUN).transfer_faces --data $(TRANSFER_DATA) --out $(TRANSFER_FACES)

transfer-train: venv
	$(call recipe-run,$(TRANSFER_RECIPE),stage3)

# The first run's step-1000 export against the global-code-only run stopped at that step.
transfer-ablations: venv
	$(call recipe-run,$(TRANSFER_RECIPE),full global_only)

transfer-regressor: venv $(TRANSFER_REG)

transfer-ship: venv
	$(call recipe-run,$(TRANSFER_RECIPE),--ship)

TRANSFER_ABL_FULL = $(call recipe-export,$(TRANSFER_RECIPE),full --step $(TRANSFER_ABL_STEPS))
TRANSFER_ABL_GLOBAL = $(call recipe-export,$(TRANSFER_RECIPE),global_only)
TRANSFER_GLOBAL_STEP = $(call recipe-step,$(TRANSFER_RECIPE),global_only)
transfer-eval: venv transfer-ablations $(TRANSFER_REG) $(TRANSFER_FACES)
	$(TRANSFER_RUN).transfer_eval --out docs/transfer_eval.md --json runs/transfer/eval.json \
	  --regressor $(TRANSFER_REG) --ckpt runs/transfer/stage3 --faces $(TRANSFER_FACES) \
	  --data $(TRANSFER_DATA) --styles 32 --face-styles 8 --ft-styles 2 --ft-steps 200 \
	  --threads 1 --figure docs/images/transfer_examples.png \
	  --ablation "full model @$(TRANSFER_ABL_STEPS) steps=$(TRANSFER_ABL_FULL)" \
	  --ablation "global 8-d style code only @$(TRANSFER_GLOBAL_STEP) steps=$(TRANSFER_ABL_GLOBAL)"
