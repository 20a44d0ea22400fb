# Style-consistent transfer (issue #9): training, ablation, regressor, shipping and the report.
# CPU-only; one thread per process, niced (the 2 cores are shared). Recipe: docs/transfer.md:
# stage 1 = 2500 steps from scratch, stage 2 = 1500 more from its export, stage 3 = 2000 more
# from stage 2's with the same settings (shipped); the
# ablation stops at step 1000 of stage 1's schedule and is compared with stage 1's step-1000 export.
# `make transfer-eval` regenerates docs/transfer_eval.md; runs/ is not committed, so missing
# exports, the regressor and the London analysis are produced first (the London photos are
# read from ../shared/data and never copied).
pad6 ?= $(shell printf %06d $(1))
TRANSFER_STEPS ?= 2500
TRANSFER_STAGE2_STEPS ?= 1500
TRANSFER_STAGE3_STEPS ?= 2000
TRANSFER_ABL_STEPS ?= 1000
TRANSFER_DATA ?= ../shared/data
TRANSFER_RUN := OMP_NUM_THREADS=1 nice -n 10 $(VPY) -m moodrig.weights_tools
TRANSFER_FULL := runs/transfer/full/export/style_transfer_step$(call pad6,$(TRANSFER_STEPS)).manifest.json
TRANSFER_STAGE2 := runs/transfer/stage2/export/style_transfer_step$(call pad6,$(TRANSFER_STAGE2_STEPS)).manifest.json
TRANSFER_STAGE3 := runs/transfer/stage3/export/style_transfer_step$(call pad6,$(TRANSFER_STAGE3_STEPS)).manifest.json
TRANSFER_FULL_ABL := runs/transfer/full/export/style_transfer_step$(call pad6,$(TRANSFER_ABL_STEPS)).manifest.json
TRANSFER_GLOBAL := runs/transfer/global_only/export/style_transfer_step$(call pad6,$(TRANSFER_ABL_STEPS)).manifest.json
TRANSFER_REG := runs/transfer/detail_regressor.manifest.json
TRANSFER_FACES := runs/transfer/london_faces.npz
TRANSFER_SHIPPED := weights/transfer/style_transfer.manifest.json

.PHONY: transfer-train transfer-ablations transfer-regressor transfer-ship transfer-eval

$(TRANSFER_FULL):
	$(TRANSFER_RUN).transfer_train --threads 1 --out runs/transfer/full --steps $(TRANSFER_STEPS) --export-at $(TRANSFER_ABL_STEPS)

$(TRANSFER_FULL_ABL): $(TRANSFER_FULL)

# Stage 2: from stage 1's export, fresh discriminator and optimisers, half the
# learning rates, decay from 30 % of its steps.
$(TRANSFER_STAGE2): $(TRANSFER_FULL)
	$(TRANSFER_RUN).transfer_train --threads 1 --out runs/transfer/stage2 --init-from $(TRANSFER_FULL) \
	  --steps $(TRANSFER_STAGE2_STEPS) --lr-g 2e-4 --lr-d 1e-4 --lr-decay-from 0.3

$(TRANSFER_STAGE3): $(TRANSFER_STAGE2)
	$(TRANSFER_RUN).transfer_train --threads 1 --out runs/transfer/stage3 --init-from $(TRANSFER_STAGE2) \
	  --steps $(TRANSFER_STAGE3_STEPS) --lr-g 2e-4 --lr-d 1e-4 --lr-decay-from 0.3

$(TRANSFER_GLOBAL):
	$(TRANSFER_RUN).transfer_train --threads 1 --out runs/transfer/global_only --no-spatial-style \
	  --steps $(TRANSFER_STEPS) --stop-at $(TRANSFER_ABL_STEPS)

$(TRANSFER_REG):
	$(TRANSFER_RUN).regressor --target detail --out runs/transfer/detail_regressor

$(TRANSFER_FACES):
	$(TRANSFER_RUN).transfer_faces --data $(TRANSFER_DATA) --out $(TRANSFER_FACES)

transfer-train: venv $(TRANSFER_STAGE3)

transfer-ablations: venv $(TRANSFER_FULL_ABL) $(TRANSFER_GLOBAL)

transfer-regressor: venv $(TRANSFER_REG)

transfer-ship: venv $(TRANSFER_STAGE3)
	$(VPY) -m moodrig.weights_tools.ship --model transfer --from $(TRANSFER_STAGE3)

transfer-eval: venv transfer-ablations $(TRANSFER_REG) $(TRANSFER_FACES)
	$(TRANSFER_RUN).transfer_eval --out docs/transfer_eval.md --json runs/transfer/eval.json \
	  --regressor $(TRANSFER_REG) --ckpt runs/transfer/stage3 --faces $(TRANSFER_FACES) --data $(TRANSFER_DATA) \
	  --styles 32 --face-styles 8 --ft-styles 2 --ft-steps 200 --threads 1 --figure docs/images/transfer_examples.png \
	  --ablation "full model @$(TRANSFER_ABL_STEPS) steps=$(TRANSFER_FULL_ABL)" \
	  --ablation "global 8-d style code only @$(TRANSFER_ABL_STEPS) steps=$(TRANSFER_GLOBAL)"
