"""Style-consistent expression transfer (docs/method.md §2): content and style encoders.

A real face's detailed geometry (``core/detail.py``: per-side smile, frown and brow raise) is
drawn as a domain-neutral line drawing (``content.py``), encoded by K_t, and decoded by J in the
style K_s reads from the character's own neutral texture. Layout:

* ``config.py``: architecture and loss weights;
* ``model.py``: K_t, K_s, J, the two-scale discriminator;
* ``losses.py``: METHOD eqs. 2–7 plus the paired and mask terms;
* ``content.py``: the canonical line drawing of a detail vector;
* ``geometry.py``: per-side measurements of real faces → detail vectors;
* ``weights_io.py``, ``infer.py``: the weights format and the inference API;
* ``finetune.py``: per-character adaptation from an expression sheet.

What it shares with AMEE-GAN (device choice, compositing, the editor base class, weights I/O,
the fine-tuning loop, the sheet) lives in ``core/editing``.

Never imports bpy.
"""
