"""``moodrig batch``, Blender-free: job files, their checks, the worker pool, Ray and the status.

``jobs``: parse and check a CSV/JSON job file (every row before anything runs). ``outputs``:
where a job writes, and how its outputs appear complete (temporary names, then renames).
``status``: ``batch_status.json``. ``worker``: one job in one fresh process. ``local`` and
``ray_engine``: the two ways to run the workers. ``run``: the batch itself (skip what is done,
progress bar, summary). The Blender side (opening scenes, baking) is
``blender_addon/batch.py``.
"""
