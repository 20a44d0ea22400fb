"""What every texture editor shares (AMEE-GAN, the transfer model): pure torch / numpy, never bpy.

Modules: ``device`` (device and precision choice), ``batch`` (input checks, the vector
vocabularies), ``composite`` (model-resolution edit → full-resolution texture),
``weights_io`` (one model's weights format: safetensors + manifest, vocabulary checks, content
id), ``editor`` (:class:`ModelEditor`, the base both editors configure), ``finetune`` (the
per-character training loop on an expression sheet) and ``sheet`` (reading the sheet).
"""
