"""Model and training configurations. Nothing outside this file hard-codes a size."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Dict, Tuple


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters of a ROSE model (all graphs of a pack derive from these)."""

    # Vision frame: the image letterboxed into image_size² and cut into (image_size/patch_size)² patches.
    image_size: int = 128
    patch_size: int = 8
    in_channels: int = 4  # RGB + refinement mask
    stem_channels: Tuple[int, ...] = (32, 64, 128)
    stem_res_dilations: Tuple[int, ...] = (1, 2)
    vision_width: int = 128
    vision_layers: int = 2
    vision_heads: int = 4
    # LLM
    hidden_size: int = 128
    llm_layers: int = 4
    llm_heads: int = 4
    llm_kv_heads: int = 4
    llm_mlp: int = 384
    rope_theta: float = 10000.0
    vocab_size: int = 1024
    # Patch analyzer heads
    head_hidden: int = 128
    siglip_dim: int = 64
    # SAM-style image encoder and mask decoder
    sam_image_size: int = 128
    sam_channels: Tuple[int, ...] = (32, 64)
    sam_res_dilations: Tuple[int, ...] = (1, 3)
    sam_dim: int = 64  # also the mask-embedding (prompt) width
    sam_decoder_depth: int = 2
    sam_decoder_heads: int = 4
    sam_decoder_mlp: int = 256
    sam_num_mask_outputs: int = 1
    # Text encoder (SigLIP-space stand-in)
    text_width: int = 96
    text_layers: int = 2
    text_heads: int = 4
    text_max_len: int = 16
    # Mask-aware category adapter (docs/model-pack.md, "Deviations")
    adapter_crop: int = 32
    adapter_channels: Tuple[int, ...] = (32, 64, 96, 128)
    adapter_margin: float = 1.25
    use_category_adapter: bool = True
    # Attention over the prompt in the LLM: "prefix" (bidirectional prompt) or "causal".
    llm_attention: str = "prefix"

    @property
    def grid(self) -> int:
        """S: patches per side of the vision frame."""
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        """S²: patch embeddings spliced in place of `<image>`."""
        return self.grid * self.grid

    @property
    def sam_embed_size(self) -> int:
        """Side of the SAM image-embedding grid (stride 4 for tiny; 64 for SAM ViT-H at 1024)."""
        return self.sam_image_size // (2 ** len(self.sam_channels))

    @property
    def sam_mask_size(self) -> int:
        """Side of low_res_masks (4× the embedding grid, as in SAM)."""
        return self.sam_embed_size * 4

    @property
    def head_dim(self) -> int:
        """Per-head width of the LLM attention."""
        return self.hidden_size // self.llm_heads

    def to_dict(self) -> Dict[str, object]:
        """JSON-serialisable form (written to checkpoints and to the manifest's `trainer.model_config`)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Dict[str, object]) -> "ModelConfig":
        """Inverse of `to_dict`; unknown keys are an error so that stale configs fail loudly."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(d) - set(names)
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}
        return cls(**kw)


PRESETS: Dict[str, ModelConfig] = {
    # Trains on a 2-core CPU in about two hours.
    "tiny": ModelConfig(),
    # For smoke tests: same graphs, a fraction of the compute.
    "micro": ModelConfig(
        image_size=64, patch_size=8, stem_channels=(16, 32, 32), stem_res_dilations=(1,), vision_width=32,
        vision_layers=1, vision_heads=2, hidden_size=32, llm_layers=1, llm_heads=2, llm_kv_heads=2, llm_mlp=64,
        head_hidden=32, siglip_dim=16, sam_image_size=64, sam_channels=(16, 16), sam_res_dilations=(1,),
        sam_dim=16, sam_decoder_depth=1, sam_decoder_heads=2, sam_decoder_mlp=32, text_width=16, text_layers=1,
        text_heads=2, adapter_crop=16, adapter_channels=(8, 16, 16, 16)),
}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, loss weights and the task mixture."""

    steps: int = 4500
    batch_size: int = 8
    lr: float = 1.5e-3
    min_lr_frac: float = 0.05
    warmup_steps: int = 200
    weight_decay: float = 0.02
    grad_clip: float = 1.0
    seed: int = 0
    # Loss weights; the paper's eq. 6 sums the four terms, the mask term itself is LISA's 2·BCE + 0.5·Dice.
    w_text: float = 0.5
    w_category: float = 1.0
    w_mask_bce: float = 2.0
    w_mask_dice: float = 1.0
    w_objectness: float = 1.0
    w_siglip: float = 0.25
    w_iou: float = 0.5
    w_name_probe: float = 1.0
    # Fraction of non-positive patches drawn as objectness negatives (the paper "randomly picks some").
    negative_fraction: float = 1.0
    max_mask_prompts_per_image: int = 6
    box_prompts_per_image: int = 2
    point_prompts_per_image: int = 1
    max_named_per_batch: int = 64
    task_mix: Tuple[Tuple[str, float], ...] = field(default=(
        ("dense", 0.45), ("instance", 0.12), ("refine_mask", 0.20), ("refine_category", 0.08),
        ("refine_missed", 0.08), ("referring", 0.07)))
    checkpoint_every_s: float = 300.0
    log_every: int = 10

    def to_dict(self) -> Dict[str, object]:
        """JSON-serialisable form."""
        d = dataclasses.asdict(self)
        d["task_mix"] = [list(t) for t in self.task_mix]
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, object]) -> "TrainConfig":
        """Inverse of `to_dict`."""
        kw = dict(d)
        if "task_mix" in kw:
            kw["task_mix"] = tuple((str(a), float(b)) for a, b in kw["task_mix"])  # type: ignore[union-attr]
        return cls(**kw)  # type: ignore[arg-type]
