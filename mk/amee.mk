# AMEE-GAN (issue #3): training, ablations, shipping and the evaluation report.
# CPU-only; every run uses one thread per process (the build machine's 2 cores are shared).
# `make amee-eval` regenerates docs/amee_eval.md from the shipped weights, the committed
# regressor and the ablation exports (trained first when missing: runs/ is not committed).
AMEE_STEPS ?= 1800
AMEE_ABL_STEPS ?= 600
AMEE_FULL := runs/amee/full/export/amee_gan_step$(shell printf %06d $(AMEE_STEPS)).manifest.json
AMEE_FULL_ABL := runs/amee/full/export/amee_gan_step$(shell printf %06d $(AMEE_ABL_STEPS)).manifest.json
AMEE_NO_MASK := runs/amee/no_mask/export/amee_gan_step$(shell printf %06d $(AMEE_ABL_STEPS)).manifest.json
AMEE_NO_MAG := runs/amee/no_mag/export/amee_gan_step$(shell printf %06d $(AMEE_ABL_STEPS)).manifest.json
AMEE_REG := weights/amee/expression_regressor.manifest.json

.PHONY: amee-train amee-ablations amee-regressor amee-ship amee-eval

$(AMEE_FULL) $(AMEE_FULL_ABL):
	$(VPY) -m moodrig.weights_tools.amee_train --out runs/amee/full --steps $(AMEE_STEPS) --export-at $(AMEE_ABL_STEPS) --threads 1

$(AMEE_NO_MASK):
	$(VPY) -m moodrig.weights_tools.amee_train --out runs/amee/no_mask --no-mask --steps $(AMEE_STEPS) --stop-at $(AMEE_ABL_STEPS) --threads 1

$(AMEE_NO_MAG):
	$(VPY) -m moodrig.weights_tools.amee_train --out runs/amee/no_mag --no-magnitude --steps $(AMEE_STEPS) --stop-at $(AMEE_ABL_STEPS) --threads 1

amee-regressor: venv
	$(VPY) -m moodrig.weights_tools.amee_regressor --out weights/amee/expression_regressor

amee-ship: venv $(AMEE_FULL)
	$(VPY) -m moodrig.weights_tools.amee_ship --from $(AMEE_FULL)

amee-train: venv amee-ship amee-ablations

amee-ablations: venv $(AMEE_FULL_ABL) $(AMEE_NO_MASK) $(AMEE_NO_MAG)

amee-eval: venv amee-ablations
	$(VPY) -m moodrig.weights_tools.amee_eval --out docs/amee_eval.md --json runs/amee/eval.json \
	  --ablation "full model @$(AMEE_ABL_STEPS) steps=$(AMEE_FULL_ABL)" \
	  --ablation "no mask @$(AMEE_ABL_STEPS) steps=$(AMEE_NO_MASK)" \
	  --ablation "no magnitude head @$(AMEE_ABL_STEPS) steps=$(AMEE_NO_MAG)"
