"""The paper's objectives (sec. 3.5): text CE, mask BCE + Dice, objectness BCE, SigLIP-space InfoNCE."""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
import torch.nn.functional as F


def text_ce(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean token cross-entropy; logits [..., V], targets [...] with `ignore_index` for unsupervised positions."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=ignore_index)


def mask_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pixel BCE averaged over pixels and masks; logits/target [N, H, W]."""
    return F.binary_cross_entropy_with_logits(logits, target)


def dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """1 − soft Dice per mask, averaged over masks."""
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    num = 2 * (p * t).sum(1) + smooth
    den = p.sum(1) + t.sum(1) + smooth
    return (1 - num / den).mean()


def objectness_bce(logits: torch.Tensor, labels: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    """Balanced BCE over the selected patches: mean over positives + mean over sampled negatives.

    Positives are a handful among hundreds of patches; averaging the two groups separately keeps the
    rare positives from being drowned (the paper only says "BCE with extra-picked negatives").
    """
    loss = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    pos = (labels > 0.5) & selected
    neg = (labels <= 0.5) & selected
    lp = loss[pos].mean() if pos.any() else logits.sum() * 0
    ln = loss[neg].mean() if neg.any() else logits.sum() * 0
    return lp + ln


def info_nce(query: torch.Tensor, keys: torch.Tensor, target: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """InfoNCE of unit query vectors [N, E] against unit keys [K, E]; `target` [N] indexes the matching key."""
    scale = logit_scale.exp().clamp(max=100.0)
    return F.cross_entropy(scale * query @ keys.t(), target)


def name_probe_ce(logits: torch.Tensor, token_seqs: Sequence[Sequence[int]]) -> torch.Tensor:
    """Position-wise in-batch classification of a name's tokens from one vector per object.

    `logits` [K, V] come from a linear probe on the (adapted) category embeddings; for every token
    position j, object k must pick its own token among the distinct tokens the batch's names have at
    position j (e.g. the colours at j = 0, the shapes at j = 1). This is an auxiliary training loss:
    through the LLM alone the shape signal reaching the category adapter was too weak to learn
    (names stayed at chance for shapes), while a direct classifier on the same crops learns them in
    ~60 steps; a full-vocabulary softmax with all targets at once collapsed to a constant instead.
    """
    terms = []
    longest = max((len(s) for s in token_seqs), default=0)
    for j in range(longest):
        rows = [i for i, s in enumerate(token_seqs) if len(s) > j]
        cand = sorted({token_seqs[i][j] for i in rows})
        if len(cand) < 2:
            continue
        target = torch.tensor([cand.index(token_seqs[i][j]) for i in rows])
        terms.append(F.cross_entropy(logits[rows][:, cand], target))
    return torch.stack(terms).mean() if terms else logits.sum() * 0


def hard_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of (logits > 0) with a binary target, per mask [N]."""
    p = (logits > 0).to(torch.float32).flatten(1)
    t = (target > 0.5).to(torch.float32).flatten(1)
    inter = (p * t).sum(1)
    union = p.sum(1) + t.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp(min=1.0), torch.zeros_like(union))


def mask_losses(logits: torch.Tensor, target: torch.Tensor, iou_pred: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(BCE, Dice, IoU-head MSE) for predicted masks [N, H, W] against targets, as in SAM/LISA."""
    iou = hard_iou(logits.detach(), target)
    return mask_bce(logits, target), dice_loss(logits, target), F.mse_loss(iou_pred, iou)
