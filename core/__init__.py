"""moodrig.core: everything that does not need Blender.

Face analysis, the toon-face painter, AMEE-GAN inference, the BPFA and sync metrics.
Nothing under this package imports ``bpy``; it runs (and is tested) in any Python 3.11.
"""
