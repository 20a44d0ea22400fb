"""Architecture and loss weights of the style-consistent transfer model (docs/method.md §2).

``TransferConfig`` is everything needed to rebuild the networks from a weights manifest;
``LossWeights`` holds the α weights of eqs. 2–7 plus the terms the painter's exact ground
truth makes possible (the same recipe as AMEE-GAN's training).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..editing.arch import (
    MAX_BLOCKS,
    MAX_STAGES,
    MAX_WIDTH,
    ArchitectureConfig,
    check_activation,
    check_int,
    check_resolution,
    check_widths,
)


@dataclass(frozen=True)
class TransferConfig(ArchitectureConfig):
    """Content encoder K_t, style encoder K_s, decoder J and the two-scale discriminator."""

    resolution: int = 64
    """Side of the square images the model works at, pixels; a multiple of 16."""
    channels: tuple[int, int, int] = (16, 32, 64)
    """Widths at R, R/2 and R/4 (content encoder, style encoder trunk, decoder)."""
    n_residual: int = 2
    """Residual blocks at R/4: InstanceNorm in K_t, AdaIN (from the style code) in J."""
    style_dim: int = 8
    """Length of the global style code (METHOD: 8-d)."""
    mlp_dim: int = 64
    """Hidden width of the MLP that turns the style code into AdaIN parameters."""
    spatial_style: bool = True
    """Also give J the style encoder's feature maps at R, R/2 and R/4 (the character's own
    colours and feature positions). False: the global 8-d code only (the METHOD ablation)."""
    use_mask: bool = True
    """Foreground-mask head: final = M·J(...) + (1 − M)·reference. False: M = 1 (ablation)."""
    disc_channels: tuple[int, ...] = (32, 64, 128)
    """Each discriminator scale: 4x4 stride-2 convs with these widths, then a 3x3 patch head."""

    def __post_init__(self) -> None:
        # Every number bounded, as AmeeConfig's: a manifest cannot ask for a network that
        # does not fit in memory.
        check_resolution("TransferConfig", self.resolution)
        check_widths("TransferConfig", "channels", self.channels, (3, 3))
        check_int("TransferConfig", "n_residual", self.n_residual, 0, MAX_BLOCKS)
        check_int("TransferConfig", "style_dim", self.style_dim, 1, MAX_WIDTH)
        check_int("TransferConfig", "mlp_dim", self.mlp_dim, 1, MAX_WIDTH)
        check_widths("TransferConfig", "disc_channels", self.disc_channels, (1, MAX_STAGES))
        check_activation("TransferConfig", self.resolution, (*self.channels, *self.disc_channels))


@dataclass(frozen=True)
class LossWeights:
    """Weights of the training objective (images in [-1, 1]).

    METHOD eqs. 2–7: the generator's LSGAN term φ, the reconstructions L_1 (eq. 4) and L_2
    (eq. 5) combined as L' = α₁L_1 + α₂L_2 (eq. 7), and MUNIT's latent reconstructions. Ours:
    a paired L1 against the painter's exact ground truth and the mask terms (AMEE's recipe).
    """

    alpha_gan: float = 1.0
    """φ, eq. 2 (generator) and φ_s, eq. 3 (discriminator), both scales."""
    alpha_1: float = 10.0
    """α₁: L_1 = ‖x − J(K_t(x), K_s(z))‖₁, the content drawing rebuilt in its own style
    (eq. 4, 6)."""
    alpha_2: float = 10.0
    """α₂: L_2 = ‖x − J(K_t(ff), K_s(z))‖₁, the drawing recovered from the generated texture
    (eq. 5, 6)."""
    alpha_style: float = 1.0
    """‖K_s(ff) − K_s(ground truth)‖₁: the output has the style code of the character's true
    expression render (MUNIT's style term; the reference's own code would reward copying it)."""
    alpha_content: float = 1.0
    """‖K_t(ff) − K_t(x)‖₁: the output keeps the drawing's content code (MUNIT's content term)."""
    pair: float = 100.0
    """Paired L1 of the final texture against the painter's ground truth for the same geometry."""
    raw_pair: float = 20.0
    """The same paired L1 on J's image before the mask. Without it a closed mask starves J of
    gradient (the composite then ignores J) and stays closed: measured, the first run's mask
    collapsed to mean 1e-4 by step 400."""
    changed_weight: float = 5.0
    """Per-pixel weight 1 + changed_weight·changed in the paired L1 (changed ≈ 5 % of pixels)."""
    mask: float = 0.1
    """Mask sparsity: mean(M)."""
    mask_tv: float = 1e-3
    """Total variation of the mask."""
    mask_sup: float = 1.0
    """BCE of M against the exact change map (reference vs ground truth, dilated 1 px)."""
    mask_pos_weight: float = 5.0
    """Weight of the changed pixels inside the mask BCE."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) >= 0.0:
                raise ValueError(f"LossWeights.{f.name} must be >= 0")
