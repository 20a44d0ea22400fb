"""moodrig.core: everything that does not need Blender.

Face analysis, the toon-face painter, AMEE-GAN inference, the BPFA and sync metrics.
Nothing under this package imports ``bpy``; it runs (and is tested) in any Python 3.11.
"""

from .cpu import passive_openmp

# Before anything imports torch: idle OpenMP threads sleep instead of spinning (core/cpu.py).
passive_openmp()
