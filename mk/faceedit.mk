# The face editor (AMEE-GAN with field heads) and its locator: the evaluation report.
# CPU-only, as the other reports. Its training runs and their settings are in
# docs/models/face_editor.md and in the shipped manifests' training records.

.PHONY: faceedit-eval

# Regenerates docs/faceedit_eval.md and docs/images/face_editor_samples.png from the shipped
# weights (weights/appearance/), with AMEE-GAN scored on the same face regions side by side.
faceedit-eval: venv
	$(VPY) -m moodrig.weights_tools.faceedit_eval --atlas 512 1024 2048 --styles 4 --mixed 2 \
	  --negatives 40 --threads 1 --baseline amee --ft-steps 100 --ft-atlas 1024 \
	  --json runs/faceedit/eval.json \
	  --out docs/faceedit_eval.md --sheet docs/images/face_editor_samples.png
