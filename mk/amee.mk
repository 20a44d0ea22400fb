# AMEE-GAN: training, ablations, the regressor, shipping and the evaluation report.
# CPU-only; one thread per process (the 2 cores are shared; oversubscribed OpenMP threads spin).
# The runs and their flags are weights_tools/recipes/amee_gan.toml (docs/models/amee_gan.md);
# runs/ is not committed, so what is missing is trained first.
AMEE_RECIPE := weights_tools/recipes/amee_gan.toml
AMEE_REGRESSOR := weights_tools/weights/expression_regressor

.PHONY: amee-train amee-ablations amee-regressor amee-ship amee-eval

# Every run of the recipe, the shipped weights copied in after their run.
amee-train: venv
	$(call recipe-run,$(AMEE_RECIPE),full no_mask no_mag --ship)

amee-ship: venv
	$(call recipe-run,$(AMEE_RECIPE),--ship)

# The first run and its two ablations stop at the same step of the same schedule.
amee-ablations: venv
	$(call recipe-run,$(AMEE_RECIPE),full no_mask no_mag)

# The independent regressor: its own painter split ('regressor'), its own training; committed
# under weights_tools/weights/ (not in the add-on zip) because the evaluation needs it and
# runs/ is not committed.
amee-regressor: venv
	$(VPY) -m moodrig.weights_tools.regressor --target expression --out $(AMEE_REGRESSOR) \
	  --steps 5000 --threads 1

# $(call amee-ablation,RUN,LABEL): the report's --ablation "LABEL @STEP steps=EXPORT".
amee-run-step = $(call recipe-step,$(AMEE_RECIPE),$(1))
amee-run-export = $(call recipe-export,$(AMEE_RECIPE),$(1))
amee-ablation = "$(2) @$(call amee-run-step,$(1)) steps=$(call amee-run-export,$(1))"
# Regenerates docs/amee_eval.md and docs/images/amee_samples.png.
amee-eval: venv amee-ablations
	$(VPY) -m moodrig.weights_tools.amee_eval --out docs/amee_eval.md --json runs/amee/eval.json \
	  --styles 96 --ft-styles 2 --ft-steps 200 --threads 1 --speed-threads 2 \
	  --sheet docs/images/amee_samples.png --regressor $(AMEE_REGRESSOR).manifest.json \
	  --ablation $(call amee-ablation,full,full model) \
	  --ablation $(call amee-ablation,no_mask,no mask) \
	  --ablation $(call amee-ablation,no_mag,no magnitude head)
