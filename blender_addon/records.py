"""Keys of the JSON records a bake leaves on the scene (and its action), read by the panels.

No imports: the panels read these while the dependencies may still be missing.
"""

SYNC_PROP = "moodrig_sync"
"""The sync figures (``api.write_bake``: behavior, shape keys, texture, and the verdict)."""
SUMMARY_PROP = "moodrig_bake_summary"
"""The last bake's figures for the artist (``api.summary``)."""
