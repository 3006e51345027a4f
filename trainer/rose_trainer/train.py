"""Training: the per-batch forward with all losses, the optimisation loop, checkpoints and SIGTERM handling."""
from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import prompts as P
from .config import TrainConfig
from .errors import UserError
from .data import Sample, box_mask_input, build_sample, choose_task
from .losses import info_nce, mask_losses, name_probe_ce, objectness_bce, text_ce
from .model import RoseModel
from .scenes import Scene
from .sequence import assemble
from .tokenizer import Tokenizer


def emit(event: str, **fields: object) -> None:
    """Print one JSON progress line on stdout (the app's trainer runner parses these)."""
    sys.stdout.write(json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------------------------ forward

@dataclass
class _Prompt:
    """One SAM-decoder prompt in the batch."""

    image: int
    target: np.ndarray  # bool [Ls, Ls]
    kind: str  # "rose", "box", "point"
    patch: int = -1
    coords: Tuple[Tuple[float, float], ...] = ()
    labels: Tuple[float, ...] = ()
    mask_input: Optional[np.ndarray] = None


def _mask_target(masks: Sequence[np.ndarray], size: int) -> torch.Tensor:
    t = torch.from_numpy(np.stack(masks).astype(np.float32))
    if t.shape[-1] != size:
        # Soft targets when the decoder's mask grid is coarser than the SAM frame (e.g. SAM's 256 vs 1024).
        t = torch.nn.functional.adaptive_avg_pool2d(t[:, None], size)[:, 0]
    return t


def _run_decoder(model: RoseModel, sam_emb: torch.Tensor, prompts: List[_Prompt], mask_emb: torch.Tensor
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    cfg = model.cfg
    n = len(prompts)
    img_idx = torch.tensor([p.image for p in prompts])
    p_len = len(prompts[0].coords)
    coords = torch.tensor([p.coords for p in prompts], dtype=torch.float32).reshape(n, p_len, 2)
    labels = torch.tensor([p.labels for p in prompts], dtype=torch.float32).reshape(n, p_len)
    r = cfg.sam_mask_size
    mask_in = torch.zeros(n, 1, r, r)
    has_mask = torch.zeros(n)
    for i, p in enumerate(prompts):
        if p.mask_input is not None:
            mask_in[i, 0] = torch.from_numpy(p.mask_input)
            has_mask[i] = 1.0
    if prompts[0].kind == "rose":
        pe = torch.stack([mask_emb[p.image, p.patch] for p in prompts])
        has_pe = torch.ones(n)
    else:
        pe = torch.zeros(n, cfg.sam_dim)
        has_pe = torch.zeros(n)
    # index_select, not sam_emb[img_idx]: the backward of advanced indexing with repeated indices
    # accumulates in a thread-dependent order, which breaks bitwise determinism across runs.
    iou, masks = model.sam_decoder(torch.index_select(sam_emb, 0, img_idx), coords, labels, mask_in, has_mask, pe, has_pe,
                                   skip_mask_input=not bool(has_mask.any()))
    return iou[:, 0], masks[:, 0]


def forward_losses(model: RoseModel, samples: Sequence[Sample], tok: Tokenizer, tcfg: TrainConfig,
                   rng: np.random.Generator, all_names: Sequence[str]) -> Dict[str, torch.Tensor]:
    """All losses of one batch; the dict's "total" is what is optimised."""
    cfg = model.cfg
    b = len(samples)
    prefix = cfg.llm_attention == "prefix"
    pv = torch.from_numpy(np.stack([s.pixel_values for s in samples]))
    img_emb = model.vision(pv)
    seq = assemble(model.llm, [s.prompt_ids for s in samples], tok.image_id, list(img_emb),
                   [s.answer_ids for s in samples], prefix)
    hidden, _ = model.llm(seq.inputs_embeds, seq.attention_mask, seq.position_ids)

    # Counting / named answers: hidden at t-1 predicts token t.
    rows, cols, tgts = [], [], []
    for i, s in enumerate(samples):
        for j, t in enumerate(s.answer_ids):
            rows.append(i)
            cols.append(seq.prompt_len[i] - 1 + j)
            tgts.append(t)
    l_text = text_ce(model.llm.logits(hidden[rows, cols]), torch.tensor(tgts))

    starts = torch.tensor(seq.placeholder_start)
    idx = starts[:, None] + torch.arange(cfg.num_patches)[None]
    patch_h = hidden[torch.arange(b)[:, None], idx]
    obj_logits, mask_emb, cat_emb, sig_emb = model.analyzer(patch_h)

    labels = torch.from_numpy(np.stack([s.objectness for s in samples]))
    if tcfg.negative_fraction < 1.0:
        selected = (labels > 0.5) | torch.from_numpy(rng.random(labels.shape) < tcfg.negative_fraction)
    else:
        selected = torch.ones_like(labels, dtype=torch.bool)
    l_obj = objectness_bce(obj_logits, labels, selected)

    sam_pv = torch.from_numpy(np.stack([s.sam_pixel_values for s in samples]))
    sam_emb = model.sam_encoder(sam_pv)

    rose: List[_Prompt] = []
    named: List[Tuple[int, int, int]] = []  # (sample, patch, index into rose prompts)
    named_targets = []
    for i, s in enumerate(samples):
        budget = tcfg.max_mask_prompts_per_image
        order = rng.permutation(len(s.targets))
        extra: List[_Prompt] = []
        for ti in order:
            t = s.targets[ti]
            if not t.positives or budget <= 0:
                continue
            p = int(rng.choice(t.positives))
            named.append((i, p, len(rose)))
            named_targets.append(t)
            rose.append(_Prompt(i, t.mask_sam, "rose", patch=p, coords=((0.0, 0.0),), labels=(-1.0,)))
            budget -= 1
            others = [q for q in t.positives if q != p]
            if others:
                extra.append(_Prompt(i, t.mask_sam, "rose", patch=int(rng.choice(others)), coords=((0.0, 0.0),),
                                     labels=(-1.0,)))
        rose.extend(extra[:max(0, budget)])

    boxes: List[_Prompt] = []
    points: List[_Prompt] = []
    r = cfg.sam_mask_size
    for i, s in enumerate(samples):
        if not s.prompt_masks:
            continue
        for k in rng.permutation(len(s.prompt_masks))[: tcfg.box_prompts_per_image]:
            m = s.prompt_masks[k]
            x1, y1, x2, y2 = s.prompt_boxes[k]
            side = max(x2 - x1, y2 - y1)
            j = rng.normal(0, 0.06 * side, 4).clip(-0.15 * side, 0.15 * side)
            box = ((x1 + j[0], y1 + j[1]), (x2 + j[2], y2 + j[3]))
            mi = box_mask_input([box[0][0], box[0][1], box[1][0], box[1][1]], r, model.cfg.sam_image_size)
            boxes.append(_Prompt(i, m, "box", coords=box, labels=(2.0, 3.0), mask_input=mi))
        for k in rng.permutation(len(s.prompt_masks))[: tcfg.point_prompts_per_image]:
            m = s.prompt_masks[k]
            ys, xs = np.nonzero(m)
            q = int(rng.integers(len(ys)))
            points.append(_Prompt(i, m, "point", coords=((xs[q] + 0.5, ys[q] + 0.5), (0.0, 0.0)), labels=(1.0, -1.0)))

    all_logits, all_targets, all_iou = [], [], []
    rose_logits = None
    for group in (rose, boxes, points):
        if not group:
            continue
        iou, logits = _run_decoder(model, sam_emb, group, mask_emb)
        if group is rose:
            rose_logits = logits
        all_logits.append(logits)
        all_iou.append(iou)
        all_targets.append(_mask_target([p.target for p in group], r))
    zero = obj_logits.sum() * 0
    if all_logits:
        l_bce, l_dice, l_iou = mask_losses(torch.cat(all_logits), torch.cat(all_targets), torch.cat(all_iou))
    else:
        l_bce = l_dice = l_iou = zero

    l_cat = l_sig = l_probe = zero
    if named:
        if len(named) > tcfg.max_named_per_batch:
            keep = sorted(rng.choice(len(named), tcfg.max_named_per_batch, replace=False).tolist())
            named = [named[k] for k in keep]
            named_targets = [named_targets[k] for k in keep]
        si = torch.tensor([n[0] for n in named])
        pi = torch.tensor([n[1] for n in named])
        cats = cat_emb[si, pi]
        if model.adapter is not None and rose_logits is not None:
            lowres = rose_logits[[n[2] for n in named]].detach()[:, None]
            tgt = _mask_target([t.mask_sam for t in named_targets], r)
            # While predicted masks are still poor, name from the true mask so the adapter learns shapes early.
            bad = (((lowres[:, 0] > 0) & (tgt > 0.5)).flatten(1).sum(1).float() /
                   (((lowres[:, 0] > 0) | (tgt > 0.5)).flatten(1).sum(1).float().clamp(min=1))) < 0.5
            lowres = torch.where(bad[:, None, None, None], (tgt[:, None] * 2 - 1) * 8.0, lowres)
            cats = model.adapter(cats, lowres, sam_pv[si])
        l_probe = name_probe_ce(model.name_probe(cats), [tok.encode(" " + t.name) for t in named_targets])
        cprompt = tok.encode(P.category_prompt())
        cseq = assemble(model.llm, [cprompt] * len(named), tok.category_id, [c[None] for c in cats],
                        [t.name_ids for t in named_targets], prefix)
        ch, _ = model.llm(cseq.inputs_embeds, cseq.attention_mask, cseq.position_ids)
        rows, cols, tgts = [], [], []
        for i, t in enumerate(named_targets):
            for j, tid in enumerate(t.name_ids):
                rows.append(i)
                cols.append(cseq.prompt_len[i] - 1 + j)
                tgts.append(tid)
        l_cat = text_ce(model.llm.logits(ch[rows, cols]), torch.tensor(tgts))

        # SigLIP-space InfoNCE against the text encoder, with the batch's names plus random distractors.
        names = sorted({t.name for t in named_targets})
        extra = [n for n in rng.permutation(list(all_names)).tolist() if n not in names][: max(0, 32 - len(names))]
        keys_names = names + extra
        ids = [tok.encode(n)[: cfg.text_max_len] for n in keys_names]
        tl = max(len(x) for x in ids)
        tid = torch.full((len(ids), tl), tok.pad_id, dtype=torch.long)
        tam = torch.zeros(len(ids), tl, dtype=torch.long)
        for i, x in enumerate(ids):
            tid[i, : len(x)] = torch.tensor(x)
            tam[i, : len(x)] = 1
        keys = model.text_encoder(tid, tam)
        target = torch.tensor([keys_names.index(t.name) for t in named_targets])
        l_sig = info_nce(sig_emb[si, pi], keys, target, model.text_encoder.logit_scale)

    total = (tcfg.w_text * l_text + tcfg.w_category * l_cat + tcfg.w_mask_bce * l_bce + tcfg.w_mask_dice * l_dice
             + tcfg.w_objectness * l_obj + tcfg.w_siglip * l_sig + tcfg.w_iou * l_iou + tcfg.w_name_probe * l_probe)
    return {"total": total, "text": l_text, "category": l_cat, "mask_bce": l_bce, "mask_dice": l_dice,
            "objectness": l_obj, "siglip": l_sig, "iou": l_iou, "name_probe": l_probe}


# --------------------------------------------------------------------------------------------- loop

class SceneSource:
    """Deterministic stream of training scenes: scene(i) depends only on i and the seed."""

    def __init__(self, fn: Callable[[int], Scene], description: Dict[str, object]) -> None:
        self.fn = fn
        self.description = description

    def scene(self, index: int) -> Scene:
        """The index-th scene of the stream."""
        return self.fn(index)


def lr_at(step: int, tcfg: TrainConfig, progress: Optional[float] = None) -> float:
    """Linear warm-up then cosine decay to min_lr_frac·lr; `progress` (0..1) overrides step/steps for the decay."""
    if step < tcfg.warmup_steps:
        return tcfg.lr * (step + 1) / tcfg.warmup_steps
    t = (step - tcfg.warmup_steps) / max(1, tcfg.steps - tcfg.warmup_steps)
    if progress is not None:
        t = max(t, progress)
    t = min(1.0, t)
    return tcfg.lr * (tcfg.min_lr_frac + (1 - tcfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))


def save_checkpoint(path: str, model: RoseModel, opt: Optional[torch.optim.Optimizer], step: int,
                    tcfg: TrainConfig, tok: Tokenizer, extra: Dict[str, object]) -> None:
    """Write a checkpoint atomically (temp file + rename), so a kill never leaves a torn file."""
    state = {
        "format": "rose-trainer-checkpoint-1",
        "model_config": model.cfg.to_dict(),
        "train_config": tcfg.to_dict(),
        "model": model.state_dict(),
        "optimizer": opt.state_dict() if opt is not None else None,
        "step": step,
        "tokenizer": tok.to_json(),
        "torch_rng": torch.get_rng_state(),
        "extra": extra,
    }
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by `save_checkpoint`; UserError (one line) if it is missing or unreadable."""
    if not os.path.isfile(path):
        raise UserError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises pickle, zip and runtime errors for damaged files
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"unreadable checkpoint {path}: {first}") from None
    missing = [k for k in ("model_config", "train_config", "model", "tokenizer", "step") if not isinstance(state, dict) or k not in state]
    if missing:
        raise UserError(f"unreadable checkpoint {path}: not a rose_trainer checkpoint (no {', '.join(missing)})")
    return state


@contextlib.contextmanager
def signals_deferred() -> Iterator["_StopFlag"]:
    """SIGTERM/SIGINT are only noted inside (the work finishes, e.g. an export); `.signal` names one that came."""
    flag = _StopFlag()
    old = {s: signal.signal(s, flag) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield flag
    finally:
        for s, h in old.items():
            signal.signal(s, h)


class _StopFlag:
    def __init__(self) -> None:
        self.signal: Optional[str] = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.signal = signal.Signals(signum).name


def train_loop(phase: str, run_dir: str, model: RoseModel, tok: Tokenizer, tcfg: TrainConfig, source: SceneSource,
               all_names: Sequence[str], start_step: int = 0, optimizer_state: Optional[dict] = None,
               time_budget_s: Optional[float] = None, extra: Optional[Dict[str, object]] = None) -> str:
    """Optimise until tcfg.steps (or SIGTERM/SIGINT, or the time budget); returns the checkpoint path.

    With a time budget the learning-rate decay follows whichever is further along, steps or wall time,
    so a run on a busy machine still anneals before it stops; such runs are not bitwise reproducible.
    """
    os.makedirs(run_dir, exist_ok=True)
    ckpt = os.path.join(run_dir, "checkpoint.pt")
    extra = dict(extra or {})
    extra["data"] = source.description
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay, betas=(0.9, 0.98))
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    stop = _StopFlag()
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    emit("start", phase=phase, run_dir=run_dir, step=start_step, total_steps=tcfg.steps,
         params=sum(p.numel() for p in model.parameters()), batch_size=tcfg.batch_size, seed=tcfg.seed)
    t0 = time.time()
    last_ckpt = t0
    step = start_step
    spent = float(extra.get("elapsed_s", 0.0))  # wall time of earlier sessions of this run

    def eta(per_step: float) -> float:
        by_steps = per_step * (tcfg.steps - step)
        if time_budget_s is None:
            return by_steps
        return min(by_steps, max(0.0, time_budget_s - spent - (time.time() - t0)))

    def progress() -> Optional[float]:
        if time_budget_s is None:
            return None
        return (spent + time.time() - t0) / time_budget_s
    window: List[float] = []
    try:
        model.train()
        while step < tcfg.steps:
            if stop.signal:
                break
            if time_budget_s is not None and (progress() or 0.0) >= 1.0:
                stop.signal = "time_budget"
                break
            ts = time.time()
            rng = np.random.default_rng([tcfg.seed, 7, step])
            samples = []
            for k in range(tcfg.batch_size):
                index = step * tcfg.batch_size + k
                task = choose_task(rng, tcfg.task_mix)
                samples.append(build_sample(source.scene(index), task, rng, tok, model.cfg, all_names))
            lr = lr_at(step, tcfg, progress())
            for g in opt.param_groups:
                g["lr"] = lr
            losses = forward_losses(model, samples, tok, tcfg, rng, all_names)
            opt.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
            opt.step()
            step += 1
            window.append(time.time() - ts)
            window = window[-50:]
            if step % tcfg.log_every == 0 or step == tcfg.steps:
                per_step = sum(window) / len(window)
                emit("progress", phase=phase, step=step, total_steps=tcfg.steps,
                     losses={k: round(float(v), 5) for k, v in losses.items()}, lr=round(lr, 7),
                     images_per_s=round(tcfg.batch_size / per_step, 3),
                     eta_s=round(eta(per_step), 1), elapsed_s=round(spent + time.time() - t0, 1))
            if time.time() - last_ckpt > tcfg.checkpoint_every_s:
                extra["elapsed_s"] = spent + time.time() - t0
                save_checkpoint(ckpt, model, opt, step, tcfg, tok, extra)
                emit("checkpoint", phase=phase, step=step, path=ckpt)
                last_ckpt = time.time()
        # The last checkpoint is written while SIGTERM/SIGINT are still only noted, so a signal that
        # arrives now cannot kill the process between the last step and its checkpoint.
        stopped_by = stop.signal
        extra["elapsed_s"] = spent + time.time() - t0
        save_checkpoint(ckpt, model, opt, step, tcfg, tok, extra)
        stop.signal = stopped_by
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if stop.signal == "time_budget":
        emit("done", phase=phase, step=step, total_steps=tcfg.steps, checkpoint=ckpt, reason="time_budget",
             elapsed_s=round(extra["elapsed_s"], 1))
    elif stop.signal:
        emit("stopped", phase=phase, reason=stop.signal, step=step, total_steps=tcfg.steps, checkpoint=ckpt,
             resumable=True)
    else:
        emit("done", phase=phase, step=step, total_steps=tcfg.steps, checkpoint=ckpt,
             elapsed_s=round(time.time() - t0, 1))
    return ckpt
