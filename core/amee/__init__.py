"""AMEE-GAN expression editing (docs/method.md §3): pure torch / numpy, never bpy.

Modules: ``config`` (architecture dataclass), ``model`` (generator + mask head, discriminator),
``fold`` (BatchNorm folded into the convs for inference), ``weights_io`` (the weights format),
``infer`` (:class:`AmeeEditor`, the public API), ``finetune`` (per-character adaptation).
What AMEE-GAN shares with the transfer model (device choice, compositing, the editor base
class, weights I/O, the fine-tuning loop, the expression sheet) lives in ``core/editing``.
"""
