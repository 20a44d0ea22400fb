"""AMEE-GAN expression editing (METHOD.md §3): pure torch / numpy, never bpy.

Modules: ``config`` (architecture dataclass), ``model`` (generator + mask head, discriminator),
``composite`` (low-res edit → full-res texture), ``fold`` (BatchNorm folded into the convs for
inference), ``weights_io`` (safetensors + manifest),
``infer`` (:class:`AmeeEditor`, the public API), ``finetune`` (per-character adaptation),
``regressor`` (independent expression regressor used only for evaluation).
"""
