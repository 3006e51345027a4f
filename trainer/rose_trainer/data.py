"""Training samples: image frames, prompts and answers, positives, refinement damage, batching.

Preprocessing here is the pack's binding preprocessing (docs/model-pack.md, "Preprocessing"): the
image is letterboxed (longest side → L, top-left, zero padding after normalisation) into the vision
frame and into the SAM frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from . import prompts as P
from .assign import assign_positives
from .config import ModelConfig
from .masks import Letterbox, box_to_text, mask_iou
from .scenes import SHAPES, STUFF, Scene, thing_names
from .tokenizer import Tokenizer, train_bpe

VISION_MEAN = (0.5, 0.5, 0.5)  # on 0..1, SigLIP's normalisation
VISION_STD = (0.5, 0.5, 0.5)
SAM_MEAN = (123.675, 116.28, 103.53)  # on 0..255, SAM's normalisation
SAM_STD = (58.395, 57.12, 57.375)

# Common category names (COCO things and frequent stuff) so that real fine-tuning names tokenize into
# sensible pieces instead of single bytes.
GENERAL_NAMES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic light fire hydrant stop sign parking meter "
    "bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie suitcase frisbee "
    "skis snowboard sports ball kite baseball bat baseball glove skateboard surfboard tennis racket bottle wine glass "
    "cup fork knife spoon bowl banana apple sandwich orange broccoli carrot hot dog pizza donut cake chair couch "
    "potted plant bed dining table toilet tv laptop mouse remote keyboard cell phone microwave oven toaster sink "
    "refrigerator book clock vase scissors teddy bear hair drier toothbrush wall floor ceiling road sidewalk building "
    "tree mountain river sea snow field fence rock window door table cabinet curtain rug pavement dirt leaves sky "
    "grass sand water brick plant box bag shelf lamp pole sign light wheel"
)


def tokenizer_corpus() -> List[str]:
    """Text the tokenizer is learnt from: every template, name, answer shape and box string."""
    corpus: List[str] = []
    for templates in P.TASKS.values():
        corpus.extend(P.chat(t) for t in templates)
    corpus.append(P.category_prompt())
    names = thing_names(SHAPES) + list(STUFF)
    for n in names:
        corpus.extend([f" {n}.", P.named_answer(n), P.count_answer([n, n])] * 3)
    for k in range(1, 20):
        corpus.append(P.count_answer([names[k % len(names)]] * k))
    for v in range(101):
        corpus.append(f"[{v}, {v}, {v}, {v}]")
    corpus.extend(GENERAL_NAMES.split())
    corpus.append(GENERAL_NAMES)
    return corpus


def build_tokenizer(vocab_size: int) -> Tokenizer:
    """The tokenizer of a new pack (fine-tunes inherit their parent's)."""
    return train_bpe(tokenizer_corpus(), vocab_size)


# ------------------------------------------------------------------------------------------- frames

def letterbox_image(image: np.ndarray, size: int, mean: Sequence[float], std: Sequence[float], scale255: bool
                    ) -> np.ndarray:
    """uint8 [H, W, 3] → float32 [3, size, size]: resize longest side to `size` (bilinear), normalise, pad 0."""
    lb = Letterbox(size, image.shape[0], image.shape[1])
    if (lb.content_h, lb.content_w) != image.shape[:2]:
        image = np.asarray(Image.fromarray(image).resize((lb.content_w, lb.content_h), Image.BILINEAR))
    x = image.astype(np.float32)
    if not scale255:
        x = x / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    out = np.zeros((3, size, size), dtype=np.float32)
    out[:, : lb.content_h, : lb.content_w] = x.transpose(2, 0, 1)
    return out


def letterbox_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """bool [H, W] → bool [size, size] with nearest-neighbour resizing and zero padding."""
    lb = Letterbox(size, mask.shape[0], mask.shape[1])
    if (lb.content_h, lb.content_w) != mask.shape:
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((lb.content_w, lb.content_h),
                                                                              Image.NEAREST)) > 127
    out = np.zeros((size, size), dtype=bool)
    out[: lb.content_h, : lb.content_w] = mask
    return out


def vision_input(image: np.ndarray, mask: Optional[np.ndarray], cfg: ModelConfig) -> np.ndarray:
    """The vision encoder's `pixel_values` [4, L, L]: normalised RGB plus the 0/1 mask channel."""
    rgb = letterbox_image(image, cfg.image_size, VISION_MEAN, VISION_STD, scale255=False)
    ch = np.zeros((1, cfg.image_size, cfg.image_size), dtype=np.float32)
    if mask is not None:
        ch[0] = letterbox_mask(mask, cfg.image_size)
    return np.concatenate([rgb, ch], axis=0)


def sam_input(image: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """The SAM encoder's `pixel_values` [3, Ls, Ls]."""
    return letterbox_image(image, cfg.sam_image_size, SAM_MEAN, SAM_STD, scale255=True)


def box_xyxy(mask: np.ndarray) -> Tuple[float, float, float, float]:
    """Tight box (x1, y1, x2, y2) with exclusive far edges, in pixels."""
    ys, xs = np.nonzero(mask)
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def box_mask_input(box: Sequence[float], r: int, frame_size: int) -> np.ndarray:
    """The dense form of a box prompt: an r×r logit map, +4 on cells whose centre is inside the box, −4 elsewhere.

    `box` is (x1, y1, x2, y2) in SAM-frame pixels. A decoder trained from scratch learns to segment the
    object inside a drawn rectangle far faster than from two corner tokens (findings: box mIoU 0.36
    with corner tokens only, ~0.9 with the box as a dense input), so packs that declare
    `inference.box_prompt_mask_input = "rectangle"` get both.
    """
    k = r / frame_size
    c = np.arange(r, dtype=np.float64) + 0.5
    inx = (c >= box[0] * k) & (c < box[2] * k)
    iny = (c >= box[1] * k) & (c < box[3] * k)
    return np.where(iny[:, None] & inx[None, :], 4.0, -4.0).astype(np.float32)


# ------------------------------------------------------------------------------------------- damage

def _shift(m: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(m)
    h, w = m.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = m[ys, xs]
    return out


def _morph(m: np.ndarray, k: int, grow: bool) -> np.ndarray:
    cur = m.copy()
    for _ in range(k):
        nb = [_shift(cur, 1, 0), _shift(cur, -1, 0), _shift(cur, 0, 1), _shift(cur, 0, -1)]
        if grow:
            for n in nb:
                cur = cur | n
        else:
            for n in nb:
                cur = cur & n
    return cur


def _discs(shape: Tuple[int, int], centres: Sequence[Tuple[float, float]], radii: Sequence[float]) -> np.ndarray:
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32) + 0.5
    out = np.zeros(shape, dtype=bool)
    for (cy, cx), r in zip(centres, radii):
        out |= (ys - cy) ** 2 + (xs - cx) ** 2 <= r * r
    return out


def damage_mask(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A deliberately wrong copy of `mask` (IoU with it in [0.3, 0.85]), as the paper's refinement data.

    Damages: holes and extra blobs (following CascadePSP), erosion/dilation, anisotropic shrinking or
    stretching about the centre, and shifts; one or two of them combined.
    """
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    rad = math.sqrt(mask.sum() / math.pi)
    for _ in range(20):
        out = mask.copy()
        for op in rng.choice(["holes", "extra", "erode", "dilate", "stretch", "shift"], size=rng.integers(1, 3),
                             replace=False):
            if op == "holes":
                k = int(rng.integers(1, 4))
                idx = rng.integers(0, len(ys), size=k)
                out &= ~_discs(mask.shape, [(ys[i] + 0.5, xs[i] + 0.5) for i in idx], rng.uniform(0.25, 0.5, k) * rad)
            elif op == "extra":
                k = int(rng.integers(1, 4))
                ang = rng.uniform(0, 2 * math.pi, k)
                cs = [(cy + math.sin(a) * rad * 1.1, cx + math.cos(a) * rad * 1.1) for a in ang]
                out |= _discs(mask.shape, cs, rng.uniform(0.3, 0.55, k) * rad)
            elif op in ("erode", "dilate"):
                out = _morph(out, max(1, int(round(rad * rng.uniform(0.15, 0.35)))), grow=op == "dilate")
            elif op == "stretch":
                sy, sx = (rng.uniform(0.6, 1.4), 1.0) if rng.random() < 0.5 else (1.0, rng.uniform(0.6, 1.4))
                gy, gx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
                sy_i = np.clip(((gy - cy) / sy + cy).astype(int), 0, h - 1)
                sx_i = np.clip(((gx - cx) / sx + cx).astype(int), 0, w - 1)
                out = out[sy_i, sx_i]
            else:
                d = max(1, int(round(rad * rng.uniform(0.2, 0.45))))
                a = rng.uniform(0, 2 * math.pi)
                out = _shift(out, int(round(d * math.sin(a))), int(round(d * math.cos(a))))
        iou = mask_iou(out, mask)
        if out.sum() > 4 and 0.3 <= iou <= 0.85:
            return out
    return _morph(mask, max(1, int(rad * 0.3)), grow=False) if rad > 4 else _morph(mask, 1, grow=True)


# ------------------------------------------------------------------------------------------ samples

@dataclass
class Target:
    """A segment the sample asks the model to output."""

    name: str
    name_ids: List[int]
    mask_sam: np.ndarray  # bool [Ls, Ls]
    positives: List[int]


@dataclass
class Sample:
    """One training example: inputs, text, and the supervision of every head."""

    task: str
    pixel_values: np.ndarray  # [4, L, L]
    sam_pixel_values: np.ndarray  # [3, Ls, Ls]
    prompt_ids: List[int]
    answer_ids: List[int]
    objectness: np.ndarray  # float [S²]: 1 positive, 0 negative
    targets: List[Target] = field(default_factory=list)
    prompt_masks: List[np.ndarray] = field(default_factory=list)  # things for box/point prompts, SAM frame
    prompt_boxes: List[Tuple[float, float, float, float]] = field(default_factory=list)  # SAM-frame xyxy


def name_ids(tok: Tokenizer, name: str) -> List[int]:
    """Target ids of a category decoding turn: " {name}." then EOS."""
    return tok.encode(" " + name + ".") + [tok.eos_id]


def _segments_in_frames(scene: Scene, cfg: ModelConfig) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    vis = [letterbox_mask(s.mask, cfg.image_size) for s in scene.segments]
    sam = vis if cfg.sam_image_size == cfg.image_size else [letterbox_mask(s.mask, cfg.sam_image_size)
                                                          for s in scene.segments]
    return vis, sam


def choose_task(rng: np.random.Generator, mix: Sequence[Tuple[str, float]]) -> str:
    """Draw a task name from the mixture."""
    names = [t for t, _ in mix]
    p = np.asarray([w for _, w in mix], dtype=np.float64)
    return str(rng.choice(names, p=p / p.sum()))


def build_sample(scene: Scene, task: str, rng: np.random.Generator, tok: Tokenizer, cfg: ModelConfig,
                 all_names: Sequence[str]) -> Sample:
    """Turn a scene into one example of `task` (dense, instance, referring or a refinement situation).

    Tasks that need a thing fall back to "dense" when the scene has none that fits.
    """
    segs = scene.segments
    things = [i for i, s in enumerate(segs) if s.kind == "thing"]
    vis_masks, sam_masks = _segments_in_frames(scene, cfg)
    h0, w0 = scene.height, scene.width
    if task in ("refine_mask", "refine_category", "refine_missed") and not segs:
        task = "dense"
    if task == "referring":
        counts: Dict[str, int] = {}
        for s in segs:
            counts[s.name] = counts.get(s.name, 0) + 1
        unique = [i for i in range(len(segs)) if counts[segs[i].name] == 1]
        if not unique:
            task = "dense"
    if task == "instance" and not things:
        task = "dense"

    mask_channel: Optional[np.ndarray] = None
    if task in ("dense", "instance"):
        chosen = list(range(len(segs))) if task == "dense" else things
        user = str(rng.choice(P.DENSE if task == "dense" else P.INSTANCE))
        answer = P.count_answer([segs[i].name for i in chosen])
    else:
        pool = unique if task == "referring" else (things if things and rng.random() < 0.85 else list(range(len(segs))))
        t = int(rng.choice(pool))
        chosen = [t]
        seg = segs[t]
        if task == "referring":
            user = str(rng.choice(P.REFERRING)).format(description=f"the {seg.name}")
        elif task == "refine_mask":
            mask_channel = damage_mask(seg.mask, rng)
            user = str(rng.choice(P.REFINE_MASK)).format(box=box_to_text(box_xyxy(mask_channel), h0, w0))
        elif task == "refine_category":
            mask_channel = damage_mask(seg.mask, rng) if rng.random() < 0.7 else seg.mask
            wrong = str(rng.choice([n for n in all_names if n != seg.name]))
            user = str(rng.choice(P.REFINE_CATEGORY)).format(
                category=wrong, box=box_to_text(box_xyxy(mask_channel), h0, w0))
        else:  # refine_missed: no mask; the (slightly loose) box is the only pointer
            x1, y1, x2, y2 = box_xyxy(seg.mask)
            j = 0.08 * max(x2 - x1, y2 - y1)
            jit = rng.uniform(-j, j, 4)
            loose = (max(0, x1 + jit[0]), max(0, y1 + jit[1]), min(w0, x2 + jit[2]), min(h0, y2 + jit[3]))
            user = str(rng.choice(P.REFINE_MISSED)).format(box=box_to_text(loose, h0, w0))
        answer = P.named_answer(seg.name)
    prompt_ids = tok.encode(P.chat(user))
    answer_ids = tok.encode(" " + answer) + [tok.eos_id]

    # Positives are assigned among all segments (so crowded patches resolve as in dense scenes), then
    # only the chosen segments keep theirs; every other patch is a negative for this prompt.
    asg = assign_positives(vis_masks, [s.kind for s in segs], cfg.grid, cfg.patch_size) if segs else None
    obj = np.zeros(cfg.num_patches, dtype=np.float32)
    targets: List[Target] = []
    for i in chosen:
        pos = asg.positives[i] if asg else []
        if not pos:
            # Lost every patch to neighbours: fall back to its own-role patches without conflict resolution.
            pos = assign_positives([vis_masks[i]], [segs[i].kind], cfg.grid, cfg.patch_size).positives[0]
        obj[pos] = 1.0
        targets.append(Target(name=segs[i].name, name_ids=name_ids(tok, segs[i].name), mask_sam=sam_masks[i],
                              positives=pos))
    pm = [sam_masks[i] for i in things if sam_masks[i].any()]
    pb = [box_xyxy(m) for m in pm]
    return Sample(task=task, pixel_values=vision_input(scene.image, mask_channel, cfg),
                  sam_pixel_values=sam_input(scene.image, cfg), prompt_ids=prompt_ids, answer_ids=answer_ids,
                  objectness=obj, targets=targets, prompt_masks=pm, prompt_boxes=pb)


def all_category_names(shapes: Sequence[str]) -> List[str]:
    """Names the generator can produce with these shapes (things then stuff)."""
    return thing_names(shapes) + list(STUFF)
