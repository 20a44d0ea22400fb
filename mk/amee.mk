# AMEE-GAN (issue #3): training, ablations, shipping and the evaluation report.
# CPU-only; one thread per process (the 2 cores are shared; oversubscribed OpenMP threads spin).
# Recipe (docs/amee.md), both stages with the defaults of weights_tools/amee_train.py (change-
# weighted paired L1 on the final and the intermediate image, mask BCE against the exact change
# map, adversarial + magnitude terms ramped in over the first 1000 steps, generator EMA):
#  stage 1 = METHOD's magnitude weight for the generator (160), AMEE_S1_STEPS steps of an
#            AMEE_S1_SCHEDULE-step schedule (learning rates still constant); the ablations stop at
#            the same step of the same schedule, so the ablation table compares like with like;
#  stage 2 = from stage 1's export (fresh discriminator, optimisers and EMA), generator magnitude
#            weight 10, AMEE_STEPS steps (constant, then linear decay over the second half);
#  stage 3 = the same recipe again from stage 2's export, AMEE_S3_STEPS steps (the CPU had time
#            left once stage 2's schedule was fixed);
#  stage 4 = from stage 3's export, generator magnitude weight 30 (stage 3 under-drew strong
#            expressions), AMEE_S4_STEPS steps. Shipped.
# `make amee-eval` regenerates docs/amee_eval.md (runs/ is not committed: missing exports are
# trained first).
AMEE_STEPS ?= 4500
AMEE_S3_STEPS ?= 3000
AMEE_S4_STEPS ?= 3000
AMEE_S1_STEPS ?= 1500
AMEE_S1_SCHEDULE ?= 5000
AMEE_TRAIN := $(VPY) -m moodrig.weights_tools.amee_train --threads 1
AMEE_S1 := --steps $(AMEE_S1_SCHEDULE) --stop-at $(AMEE_S1_STEPS) --adv-ramp 1000 --lambda-mag-g 160
pad6 = $(shell printf %06d $(1))
AMEE_STAGE1 := runs/amee/full/export/amee_gan_step$(call pad6,$(AMEE_S1_STEPS)).manifest.json
AMEE_STAGE2 := runs/amee/full_stage2/export/amee_gan_step$(call pad6,$(AMEE_STEPS)).manifest.json
AMEE_STAGE3 := runs/amee/full_stage3/export/amee_gan_step$(call pad6,$(AMEE_S3_STEPS)).manifest.json
AMEE_STAGE4 := runs/amee/full_stage4/export/amee_gan_step$(call pad6,$(AMEE_S4_STEPS)).manifest.json
AMEE_NO_MASK := runs/amee/no_mask/export/amee_gan_step$(call pad6,$(AMEE_S1_STEPS)).manifest.json
AMEE_NO_MAG := runs/amee/no_mag/export/amee_gan_step$(call pad6,$(AMEE_S1_STEPS)).manifest.json
AMEE_REGRESSOR := weights/amee/expression_regressor

.PHONY: amee-train amee-ablations amee-regressor amee-ship amee-eval

$(AMEE_STAGE1):
	$(AMEE_TRAIN) --out runs/amee/full $(AMEE_S1)

$(AMEE_STAGE2): $(AMEE_STAGE1)
	$(AMEE_TRAIN) --out runs/amee/full_stage2 --init-from $(AMEE_STAGE1) --steps $(AMEE_STEPS) --adv-ramp 1000

$(AMEE_STAGE3): $(AMEE_STAGE2)
	$(AMEE_TRAIN) --out runs/amee/full_stage3 --init-from $(AMEE_STAGE2) --steps $(AMEE_S3_STEPS) --adv-ramp 1000

$(AMEE_STAGE4): $(AMEE_STAGE3)
	$(AMEE_TRAIN) --out runs/amee/full_stage4 --init-from $(AMEE_STAGE3) --steps $(AMEE_S4_STEPS) --adv-ramp 1000 \
	  --lambda-mag-g 30

$(AMEE_NO_MASK):
	$(AMEE_TRAIN) --out runs/amee/no_mask --no-mask $(AMEE_S1)

$(AMEE_NO_MAG):
	$(AMEE_TRAIN) --out runs/amee/no_mag --no-magnitude $(AMEE_S1)

# The independent regressor: its own painter split ('regressor'), its own training; shipped
# because the evaluation needs it (runs/ is not committed).
amee-regressor: venv
	$(VPY) -m moodrig.weights_tools.amee_regressor --out $(AMEE_REGRESSOR) --steps 5000 --threads 1

amee-ship: venv $(AMEE_STAGE4)
	$(VPY) -m moodrig.weights_tools.amee_ship --from $(AMEE_STAGE4)

amee-train: venv amee-ship amee-ablations

amee-ablations: venv $(AMEE_STAGE1) $(AMEE_NO_MASK) $(AMEE_NO_MAG)

amee-eval: venv amee-ablations
	$(VPY) -m moodrig.weights_tools.amee_eval --out docs/amee_eval.md --json runs/amee/eval.json --styles 32 --ft-styles 2 \
	  --ft-steps 200 --threads 1 --speed-threads 2 --sheet docs/images/amee_samples.png \
	  --regressor $(AMEE_REGRESSOR).manifest.json \
	  --ablation "full model, stage 1 @$(AMEE_S1_STEPS) steps=$(AMEE_STAGE1)" \
	  --ablation "no mask @$(AMEE_S1_STEPS) steps=$(AMEE_NO_MASK)" \
	  --ablation "no magnitude head @$(AMEE_S1_STEPS) steps=$(AMEE_NO_MAG)"
