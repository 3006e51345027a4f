"""Held-out evaluation: COCO-style mask AP, recall/precision at IoU 0.5, names, box prompts, refinement."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .data import box_xyxy, damage_mask
from .masks import iou_matrix, mask_iou
from .pipeline import Instance, Pipeline
from .scenes import Scene

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


@dataclass
class _Det:
    image: int
    score: float
    label: str
    mask: np.ndarray


def _ap_101(tp: np.ndarray, n_gt: int) -> float:
    """COCO's 101-point interpolated average precision from score-sorted TP flags."""
    if n_gt == 0:
        return float("nan")
    if len(tp) == 0:
        return 0.0
    ctp = np.cumsum(tp)
    cfp = np.cumsum(1 - tp)
    rec = ctp / n_gt
    prec = ctp / np.maximum(ctp + cfp, 1e-9)
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    out = 0.0
    for r in np.linspace(0, 1, 101):
        k = np.searchsorted(rec, r, side="left")
        out += prec[k] if k < len(prec) else 0.0
    return out / 101


def coco_ap(dets: Sequence[_Det], gts: Dict[int, List[Tuple[str, np.ndarray]]], class_aware: bool,
            max_dets: int = 100) -> Tuple[float, float]:
    """(AP@[.5:.95], AP50) with COCO's matching: detections in score order take the best unmatched GT."""
    labels = sorted({g[0] for v in gts.values() for g in v}) if class_aware else [None]
    per_t: Dict[float, List[float]] = {float(t): [] for t in IOU_THRESHOLDS}
    by_image: Dict[int, List[_Det]] = {}
    for d in dets:
        by_image.setdefault(d.image, []).append(d)
    for img in by_image:
        by_image[img] = sorted(by_image[img], key=lambda d: -d.score)[:max_dets]
    for lab in labels:
        cand = [d for v in by_image.values() for d in v if lab is None or d.label == lab]
        cand.sort(key=lambda d: -d.score)
        gt_by_img = {i: [g[1] for g in v if lab is None or g[0] == lab] for i, v in gts.items()}
        n_gt = sum(len(v) for v in gt_by_img.values())
        ious = {}
        for i in set(d.image for d in cand):
            ds = [d for d in cand if d.image == i]
            ious[i] = (ds, iou_matrix([d.mask for d in ds], gt_by_img.get(i, [])))
        for t in IOU_THRESHOLDS:
            tp = np.zeros(len(cand))
            used = {i: np.zeros(len(gt_by_img.get(i, [])), dtype=bool) for i in gt_by_img}
            pos = {i: 0 for i in ious}
            for k, d in enumerate(cand):
                ds, m = ious[d.image]
                row = pos[d.image]
                pos[d.image] += 1
                if m.shape[1] == 0:
                    continue
                cand_iou = np.where(used[d.image], -1.0, m[row])
                j = int(np.argmax(cand_iou))
                if cand_iou[j] >= t:
                    used[d.image][j] = True
                    tp[k] = 1
            per_t[float(t)].append(_ap_101(tp, n_gt))
    ap = [np.nanmean(v) for v in per_t.values()]
    return float(np.mean(ap)), float(ap[0])


def match_greedy(preds: Sequence[Instance], gts: Sequence[Tuple[str, np.ndarray]], thr: float = 0.5
                 ) -> List[Tuple[int, int, float]]:
    """One-to-one matches (pred, gt, iou) at IoU ≥ thr, predictions taken in score order."""
    if not preds or not gts:
        return []
    m = iou_matrix([p.mask for p in preds], [g[1] for g in gts])
    used = np.zeros(len(gts), dtype=bool)
    out = []
    for i in sorted(range(len(preds)), key=lambda i: -preds[i].score):
        row = np.where(used, -1.0, m[i])
        j = int(np.argmax(row))
        if row[j] >= thr:
            used[j] = True
            out.append((i, j, float(row[j])))
    return out


def evaluate(pipe: Pipeline, scenes: Sequence[Scene], seed: int = 0, refine_per_scene: int = 2,
             progress: Optional[Callable[[int, int], None]] = None) -> Dict[str, object]:
    """All held-out figures of a model on `scenes` (see docs/model-pack.md, "Metrics")."""
    t0 = time.time()
    rng = np.random.default_rng([seed, 99])
    dets: List[_Det] = []
    gts: Dict[int, List[Tuple[str, np.ndarray]]] = {}
    n_gt = n_pred = n_match = n_name = 0
    kinds = {"thing": [0, 0, 0], "stuff": [0, 0, 0]}  # gt, matched, named right
    heads: Dict[str, List[int]] = {}  # the same per head noun (last word of the true name), e.g. "heart"
    box_ious: List[float] = []
    ref = {"mask": [[], [], []], "category": [[], [], []], "missed": [[], [], []]}  # before, after, name ok
    referring: List[float] = []
    sig_hits: List[float] = []
    for si, sc in enumerate(scenes):
        gt = [(s.name, s.mask) for s in sc.segments]
        gts[si] = gt
        preds = pipe.dense(sc.image)
        for p in preds:
            dets.append(_Det(si, p.score, p.name, p.mask))
        matches = match_greedy(preds, gt)
        n_gt += len(gt)
        n_pred += len(preds)
        n_match += len(matches)
        for s in sc.segments:
            kinds[s.kind][0] += 1
            heads.setdefault(s.name.split(" ")[-1], [0, 0, 0])[0] += 1
        for pi, gi, _ in matches:
            ok = preds[pi].name == gt[gi][0]
            n_name += ok
            kinds[sc.segments[gi].kind][1] += 1
            kinds[sc.segments[gi].kind][2] += ok
            heads[gt[gi][0].split(" ")[-1]][1] += 1
            heads[gt[gi][0].split(" ")[-1]][2] += ok
            if pipe.sig_keys is not None and preds[pi].siglip_embedding is not None:
                names, keys = pipe.sig_keys
                sims = keys @ preds[pi].siglip_embedding
                sig_hits.append(float(names[int(np.argmax(sims))] == gt[gi][0]))

        things = [s for s in sc.segments if s.kind == "thing"]
        if things:
            masks = pipe.box_prompt(sc.image, [box_xyxy(s.mask) for s in things])
            box_ious.extend(mask_iou(m, s.mask) for m, s in zip(masks, things))
        order = rng.permutation(len(things))[:refine_per_scene]
        for k in order:
            s = things[int(k)]
            bad = damage_mask(s.mask, rng)
            out = pipe.refine(sc.image, "mask", mask=bad)
            ref["mask"][0].append(mask_iou(bad, s.mask))
            ref["mask"][1].append(mask_iou(out.mask, s.mask))
            ref["mask"][2].append(float(out.name == s.name))
            others = [n for n in pipe.known_names if n != s.name]
            wrong = str(rng.choice(others)) if others else "object"
            out = pipe.refine(sc.image, "category", mask=bad, wrong_name=wrong)
            ref["category"][0].append(mask_iou(bad, s.mask))
            ref["category"][1].append(mask_iou(out.mask, s.mask))
            ref["category"][2].append(float(out.name == s.name))
            out = pipe.refine(sc.image, "missed", box=box_xyxy(s.mask))
            ref["missed"][0].append(0.0)
            ref["missed"][1].append(mask_iou(out.mask, s.mask))
            ref["missed"][2].append(float(out.name == s.name))
        counts: Dict[str, int] = {}
        for s in sc.segments:
            counts[s.name] = counts.get(s.name, 0) + 1
        uniq = [s for s in things if counts[s.name] == 1]
        if uniq:
            s = uniq[int(rng.integers(len(uniq)))]
            referring.append(mask_iou(pipe.referring(sc.image, f"the {s.name}").mask, s.mask))
        if progress:
            progress(si + 1, len(scenes))

    ap, ap50 = coco_ap(dets, gts, class_aware=False)
    ap_named, ap50_named = coco_ap(dets, gts, class_aware=True)

    def mean(v: Sequence[float]) -> float:
        return float(np.mean(v)) if len(v) else float("nan")

    res: Dict[str, object] = {
        "scenes": len(scenes),
        "objects": n_gt,
        "predictions": n_pred,
        "mask_ap": round(ap, 4),
        "mask_ap50": round(ap50, 4),
        "mask_ap_named": round(ap_named, 4),
        "mask_ap50_named": round(ap50_named, 4),
        "recall_at_0.5": round(n_match / max(n_gt, 1), 4),
        "precision_at_0.5": round(n_match / max(n_pred, 1), 4),
        "name_exact_match": round(n_name / max(n_match, 1), 4),
        "by_kind": {k: {"objects": v[0], "recall_at_0.5": round(v[1] / max(v[0], 1), 4),
                        "name_exact_match": round(v[2] / max(v[1], 1), 4)} for k, v in kinds.items()},
        "by_head_noun": {k: {"objects": v[0], "recall_at_0.5": round(v[1] / max(v[0], 1), 4),
                             "name_exact_match": round(v[2] / max(v[1], 1), 4)} for k, v in sorted(heads.items())},
        "box_prompt_miou": round(mean(box_ious), 4),
        "box_prompts": len(box_ious),
        "refinement": {k: {"cases": len(v[0]), "iou_before": round(mean(v[0]), 4), "iou_after": round(mean(v[1]), 4),
                           "gain": round(mean(v[1]) - mean(v[0]), 4), "name_exact_match": round(mean(v[2]), 4)}
                       for k, v in ref.items()},
        "referring_miou": round(mean(referring), 4),
        "siglip_top1": round(mean(sig_hits), 4),
        "thresholds": {"objectness": pipe.th.objectness_threshold, "nms_iou": pipe.th.nms_iou,
                       "nms_containment": pipe.th.nms_containment, "top_n": pipe.th.top_n},
        "seconds": round(time.time() - t0, 1),
    }
    return res


def tune_thresholds(pipe: Pipeline, scenes: Sequence[Scene],
                    thresholds: Sequence[float] = tuple(np.round(np.arange(0.2, 0.91, 0.05), 2)),
                    containments: Sequence[float] = (1.01, 0.9, 0.8, 0.7, 0.6, 0.5)
                    ) -> Tuple[Tuple[float, float], Dict[str, Dict[str, float]]]:
    """(objectness_threshold, nms_containment) maximising F1 at IoU 0.5 on validation scenes, and the table."""
    saved = pipe.th
    table: Dict[str, Dict[str, float]] = {}
    try:
        for cont in containments:
            pipe.th = replace(saved, objectness_threshold=min(thresholds), nms_containment=cont)
            runs = [(pipe.dense(sc.image, with_names=False), [(s.name, s.mask) for s in sc.segments]) for sc in scenes]
            for c in thresholds:
                m = g = p = 0
                for preds, gt in runs:
                    # NMS is greedy in score order, so dropping low scores afterwards equals thresholding first.
                    kept = [x for x in preds if x.score >= c]
                    m += len(match_greedy(kept, gt))
                    g += len(gt)
                    p += len(kept)
                rec, prec = m / max(g, 1), m / max(p, 1)
                table[f"{c:.2f}/{cont:.2f}"] = {"f1": round(2 * rec * prec / max(rec + prec, 1e-9), 4),
                                                "recall": round(rec, 4), "precision": round(prec, 4)}
    finally:
        pipe.th = saved
    best = max(table.items(), key=lambda kv: (kv[1]["f1"], -abs(float(kv[0].split("/")[0]) - 0.5)))[0]
    thr, cont = (float(x) for x in best.split("/"))
    return (thr, cont), table
