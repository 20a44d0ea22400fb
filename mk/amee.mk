# AMEE-GAN (issue #3): training, ablations, shipping and the evaluation report.
# CPU-only; one thread per process (the 2 cores are shared; oversubscribed OpenMP threads spin).
# Recipe (docs/amee.md): stage 1 = all METHOD losses for AMEE_ABL_STEPS steps (the ablations
# stop at the same step of the same schedule); stage 2 = from stage 1's export, the paired L1
# and mask BCE weighted toward the pixels an edit must change, AMEE_STEPS more steps; shipped.
# `make amee-eval` regenerates docs/amee_eval.md (runs/ is not committed: missing exports are
# trained first).
AMEE_STEPS ?= 1800
AMEE_ABL_STEPS ?= 600
AMEE_TRAIN := $(VPY) -m moodrig.weights_tools.amee_train --threads 1
pad6 = $(shell printf %06d $(1))
AMEE_STAGE1 := runs/amee/full/export/amee_gan_step$(call pad6,$(AMEE_ABL_STEPS)).manifest.json
AMEE_STAGE2 := runs/amee/full_stage2/export/amee_gan_step$(call pad6,$(AMEE_STEPS)).manifest.json
AMEE_NO_MASK := runs/amee/no_mask/export/amee_gan_step$(call pad6,$(AMEE_ABL_STEPS)).manifest.json
AMEE_NO_MAG := runs/amee/no_mag/export/amee_gan_step$(call pad6,$(AMEE_ABL_STEPS)).manifest.json

.PHONY: amee-train amee-ablations amee-regressor amee-ship amee-eval

$(AMEE_STAGE1):
	$(AMEE_TRAIN) --out runs/amee/full --steps 1800 --stop-at $(AMEE_ABL_STEPS)

$(AMEE_STAGE2): $(AMEE_STAGE1)
	$(AMEE_TRAIN) --out runs/amee/full_stage2 --init-from $(AMEE_STAGE1) --steps $(AMEE_STEPS) \
	  --changed-weight 10 --mask-pos-weight 5

$(AMEE_NO_MASK):
	$(AMEE_TRAIN) --out runs/amee/no_mask --no-mask --steps 1800 --stop-at $(AMEE_ABL_STEPS)

$(AMEE_NO_MAG):
	$(AMEE_TRAIN) --out runs/amee/no_mag --no-magnitude --steps 1800 --stop-at $(AMEE_ABL_STEPS)

amee-regressor: venv
	$(VPY) -m moodrig.weights_tools.amee_regressor --out weights/amee/expression_regressor

amee-ship: venv $(AMEE_STAGE2)
	$(VPY) -m moodrig.weights_tools.amee_ship --from $(AMEE_STAGE2)

amee-train: venv amee-ship amee-ablations

amee-ablations: venv $(AMEE_STAGE1) $(AMEE_NO_MASK) $(AMEE_NO_MAG)

amee-eval: venv amee-ablations
	$(VPY) -m moodrig.weights_tools.amee_eval --out docs/amee_eval.md --json runs/amee/eval.json --styles 32 --ft-styles 2 --ft-steps 200 --threads 1 \
	  --ablation "full model, stage 1 @$(AMEE_ABL_STEPS) steps=$(AMEE_STAGE1)" \
	  --ablation "no mask @$(AMEE_ABL_STEPS) steps=$(AMEE_NO_MASK)" \
	  --ablation "no magnitude head @$(AMEE_ABL_STEPS) steps=$(AMEE_NO_MAG)"
