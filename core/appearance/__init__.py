"""The appearance track: editing a painted face at full resolution, inside its region of the
texture, and keeping the edited textures on disk.

- :func:`edit_face` (``api.py``): a texture and an expression in, the edited texture out; also
  ``python -m moodrig.core.appearance edit ...`` (``__main__.py``); :func:`find_region`: the
  face region of a whole atlas (``face_search.py``).
- ``region.py`` (the face region in UV), ``align.py`` (the canonical face frame and the feature
  points), ``locator.py`` (finding the points), ``model.py`` (AMEE-GAN with field heads),
  ``fields.py`` (applying its edit fields at the texture's resolution), ``editor.py``
  (:class:`FaceEditor`), ``finetune.py`` (per-character fine-tuning), ``bake_editor.py`` (the
  editor a bake runs), ``cache.py`` (the content-addressed texture cache and image sequence).

Importing this package loads no torch: the names below are imported when first used, so the
add-on can register before its dependencies are installed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FaceEditor", "edit_face", "find_region"]


def __getattr__(name: str) -> Any:
    if name == "edit_face":
        from .api import edit_face

        return edit_face
    if name == "find_region":
        from .api import find_region

        return find_region
    if name == "FaceEditor":
        from .editor import FaceEditor

        return FaceEditor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
