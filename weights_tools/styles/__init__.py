"""Face-style families and texture atlases: training and evaluation data for locating feature
points and editing expressions on any painted face.

Families (see :data:`FAMILIES`): ``painter`` (moodrig's own painter), ``pixel`` (pixel art),
``anime``, ``flat`` (vector cartoon with thick outlines) and ``painterly`` (soft, textured,
semi-realistic), each independent drawing code. Feature points follow :data:`FEATURE_NAMES`
(documented in ``base.py``). None of this ships in the add-on.
"""

from .atlas import AtlasSample, atlas_content, px_to_uv, synthesize_atlas, uv_to_px
from .base import FEATURE_NAMES, FaceSample, Family, Size
from .dataset import (
    ATLAS_SIZES,
    FacePair,
    random_expression,
    random_face_size,
    random_family,
    sample_atlas,
    sample_pair,
)
from .families import FAMILIES, FAMILY_NAMES, get_family

__all__ = [
    "ATLAS_SIZES",
    "FAMILIES",
    "FAMILY_NAMES",
    "FEATURE_NAMES",
    "AtlasSample",
    "FacePair",
    "FaceSample",
    "Family",
    "Size",
    "atlas_content",
    "get_family",
    "px_to_uv",
    "random_expression",
    "random_face_size",
    "random_family",
    "sample_atlas",
    "sample_pair",
    "synthesize_atlas",
    "uv_to_px",
]
