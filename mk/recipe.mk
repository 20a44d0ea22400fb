# Training recipes (weights_tools/recipes/*.toml, one per shipped model) run through
# weights_tools/recipe.py. `make -n <target>` shows the recipe's commands: the runner's line is
# run even then (the + prefix), with --dry-run, so it only prints them (also under -q and -t,
# which run + lines too).
RECIPE = $(VPY) -m moodrig.weights_tools.recipe
MAKE_SHORT_FLAGS = $(firstword -$(MAKEFLAGS))
RECIPE_DRY = $(if $(strip $(foreach f,n q t,$(findstring $(f),$(MAKE_SHORT_FLAGS)))),--dry-run)
# $(call recipe-run,RECIPE_FILE,[RUN ...] [--ship]): train what is missing (and ship).
recipe-run = +$(RECIPE) run $(1) $(2) --python $(VPY) $(RECIPE_DRY)
# $(call recipe-export,RECIPE_FILE,RUN [--step N]): a run's export manifest path.
recipe-export = $(shell $(RECIPE) export $(1) $(2))
# $(call recipe-step,RECIPE_FILE,RUN): the step that run exports last.
recipe-step = $(shell $(RECIPE) step $(1) $(2))
