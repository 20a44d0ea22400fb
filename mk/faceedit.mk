# The face editor (AMEE-GAN with field heads) and its locator: training recipes and the
# evaluation report. CPU-only, as the other reports. The runs and their settings are in
# weights_tools/recipes/face_editor.toml and face_locator.toml, docs/models/face_editor.md and
# the shipped manifests' training records.

FACEEDIT_RECIPE := weights_tools/recipes/face_editor.toml
LOCATOR_RECIPE := weights_tools/recipes/face_locator.toml

.PHONY: faceedit-ship faceedit-eval

# Trains what is missing of both recipes (runs/faceedit/), then copies the shipped runs'
# exports into weights/appearance/.
faceedit-ship: venv
	$(call recipe-run,$(LOCATOR_RECIPE),--ship)
	$(call recipe-run,$(FACEEDIT_RECIPE),--ship)

# Regenerates docs/faceedit_eval.md and docs/images/face_editor_samples.png from the shipped
# weights (weights/appearance/), with AMEE-GAN scored on the same face regions side by side.
faceedit-eval: venv
	$(VPY) -m moodrig.weights_tools.faceedit_eval --atlas 512 1024 2048 --styles 4 --mixed 2 \
	  --negatives 40 --threads 1 --baseline amee --ft-steps 100 --ft-atlas 1024 \
	  --native-styles 8 \
	  --json runs/faceedit/eval.json \
	  --out docs/faceedit_eval.md --sheet docs/images/face_editor_samples.png
