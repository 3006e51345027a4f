"""Inference exactly as the engine runs a pack (docs/model-pack.md, "Pipelines"), on the PyTorch modules.

Each stage corresponds to one ONNX graph call, so golden files produced from here are what the
TypeScript engine must reproduce.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import prompts as P
from .data import box_mask_input, sam_input, vision_input
from .masks import Letterbox, box_to_text, logits_to_image_mask, remove_fragments
from .model import RoseModel
from .sequence import assemble
from .tokenizer import Tokenizer


@dataclass(frozen=True)
class Thresholds:
    """Inference defaults written to the manifest's `inference` object."""

    top_n: int = 64
    objectness_threshold: float = 0.5
    mask_threshold: float = 0.0
    nms_iou: float = 0.5
    nms_containment: float = 1.01  # > 1 disables the containment test
    min_component_fraction: float = 1.0  # keep components ≥ this × the largest; 1 = largest only, 0 = off
    min_mask_area: int = 4
    category_max_new_tokens: int = 8


@dataclass
class Instance:
    """One output object."""

    patch: int
    score: float
    mask: np.ndarray  # bool, original image size
    name: str = ""
    low_res: Optional[np.ndarray] = None  # mask logits on the SAM mask grid
    category_embedding: Optional[torch.Tensor] = None
    siglip_embedding: Optional[np.ndarray] = None
    name_ids: List[int] = field(default_factory=list)


@dataclass
class Trace:
    """Intermediate tensors of one dense run (written to golden files)."""

    tensors: Dict[str, np.ndarray] = field(default_factory=dict)


class Pipeline:
    """The engine's pipelines (dense/instance, box prompt, refinement, referring, naming) in PyTorch."""

    def __init__(self, model: RoseModel, tok: Tokenizer, thresholds: Thresholds = Thresholds()) -> None:
        self.model = model.eval()
        self.tok = tok
        self.cfg = model.cfg
        self.th = thresholds
        self.prefix = self.cfg.llm_attention == "prefix"
        self.known_names: List[str] = []
        self.sig_keys: Optional[Tuple[List[str], np.ndarray]] = None

    @torch.no_grad()
    def set_vocabulary(self, names: Sequence[str]) -> None:
        """Names used for wrong-category prompts and SigLIP-space retrieval (text encoder embeddings)."""
        self.known_names = list(names)
        self.sig_keys = (self.known_names, self.text_embed(self.known_names).numpy()) if names else None

    @torch.no_grad()
    def text_embed(self, names: Sequence[str]) -> torch.Tensor:
        """Text encoder on names: ids without special tokens, right-padded, truncated to text_max_len."""
        ids = [self.tok.encode(n)[: self.cfg.text_max_len] for n in names]
        t = max(len(x) for x in ids)
        tid = torch.full((len(ids), t), self.tok.pad_id, dtype=torch.long)
        am = torch.zeros(len(ids), t, dtype=torch.long)
        for i, x in enumerate(ids):
            tid[i, : len(x)] = torch.tensor(x)
            am[i, : len(x)] = 1
        return self.model.text_encoder(tid, am)

    # --------------------------------------------------------------------------------- stages
    @torch.no_grad()
    def patch_outputs(self, image: np.ndarray, user: str, mask: Optional[np.ndarray] = None,
                      trace: Optional[Trace] = None) -> Dict[str, torch.Tensor]:
        """Vision encoder → prompt assembly → LLM prefill → patch analyzer, for one image and user turn."""
        pv = torch.from_numpy(vision_input(image, mask, self.cfg))[None]
        img_emb = self.model.vision(pv)
        ids = self.tok.encode(P.chat(user))
        seq = assemble(self.model.llm, [ids], self.tok.image_id, [img_emb[0]], None, self.prefix)
        hidden, _ = self.model.llm(seq.inputs_embeds, seq.attention_mask, seq.position_ids)
        s = seq.placeholder_start[0]
        ph = hidden[:, s:s + self.cfg.num_patches]
        obj, msk, cat, sig = self.model.analyzer(ph)
        if trace is not None:
            trace.tensors.update({
                "vision.pixel_values": pv.numpy(), "vision.image_embeds": img_emb.numpy(),
                "prompt.input_ids": np.asarray([ids], dtype=np.int64),
                "llm.inputs_embeds": seq.inputs_embeds.numpy(), "llm.attention_mask": seq.attention_mask.numpy(),
                "llm.position_ids": seq.position_ids.numpy(), "llm.last_hidden_state": hidden.numpy(),
                "analyzer.hidden_states": ph.numpy(), "analyzer.objectness_logits": obj.numpy(),
                "analyzer.mask_embeddings": msk.numpy(), "analyzer.category_embeddings": cat.numpy(),
                "analyzer.siglip_embeddings": sig.numpy()})
        return {"objectness_logits": obj[0], "mask_embeddings": msk[0], "category_embeddings": cat[0],
                "siglip_embeddings": sig[0]}

    @torch.no_grad()
    def sam_embed(self, image: np.ndarray) -> Tuple[torch.Tensor, torch.Tensor]:
        """SAM encoder: (pixel_values [1, 3, Ls, Ls], image_embeddings [1, C, h, w])."""
        spv = torch.from_numpy(sam_input(image, self.cfg))[None]
        return spv, self.model.sam_encoder(spv)

    @torch.no_grad()
    def decode(self, sam_emb: torch.Tensor, prompt_embeddings: Optional[torch.Tensor] = None,
               points: Optional[np.ndarray] = None, labels: Optional[np.ndarray] = None,
               mask_input: Optional[np.ndarray] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """SAM decoder for a batch of prompts: ROSE embeddings [B, E], or points [B, P, 2] with labels [B, P]."""
        cfg = self.cfg
        if prompt_embeddings is not None:
            b = prompt_embeddings.shape[0]
            coords = torch.zeros(b, 1, 2)
            labs = -torch.ones(b, 1)
            pe, has_pe = prompt_embeddings, torch.ones(b)
        else:
            assert points is not None and labels is not None
            b = points.shape[0]
            coords = torch.from_numpy(points.astype(np.float32))
            labs = torch.from_numpy(labels.astype(np.float32))
            pe, has_pe = torch.zeros(b, cfg.sam_dim), torch.zeros(b)
        r = cfg.sam_mask_size
        mi = torch.zeros(b, 1, r, r) if mask_input is None else torch.from_numpy(mask_input.astype(np.float32))
        has_mi = torch.zeros(b) if mask_input is None else torch.ones(b)
        iou, masks = self.model.sam_decoder(sam_emb, coords, labs, mi, has_mi, pe, has_pe)
        return iou, self.clean(masks)

    def clean(self, low: torch.Tensor) -> torch.Tensor:
        """Fragment removal on decoded mask logits [B, M, r, r] (docs/model-pack.md, "Fragments").

        Patches other than an object's own often decode its mask plus stray blobs elsewhere; the blobs
        inflate the mask's box (the category adapter then crops a scene, not the object) and lower IoU.
        """
        if self.th.min_component_fraction <= 0:
            return low
        arr = low.numpy()
        out = np.stack([[remove_fragments(arr[i, j], self.th.mask_threshold, self.th.min_component_fraction)
                         for j in range(arr.shape[1])] for i in range(arr.shape[0])])
        return torch.from_numpy(out.astype(np.float32))

    @torch.no_grad()
    def adapt(self, cat: torch.Tensor, low_res: torch.Tensor, sam_pv: torch.Tensor) -> torch.Tensor:
        """Category adapter (identity when the pack has none)."""
        if self.model.adapter is None:
            return cat
        return self.model.adapter(cat, low_res, sam_pv)

    @torch.no_grad()
    def name(self, category_embeddings: torch.Tensor, trace: Optional[Trace] = None) -> Tuple[List[str], List[List[int]]]:
        """Greedy decoding of the category prompt for all K embeddings at once, with the KV cache."""
        k = category_embeddings.shape[0]
        if k == 0:
            return [], []
        llm = self.model.llm
        ids = self.tok.encode(P.category_prompt())
        seq = assemble(llm, [ids] * k, self.tok.category_id, [c[None] for c in category_embeddings], None,
                       self.prefix)
        hidden, past = llm(seq.inputs_embeds, seq.attention_mask, seq.position_ids)
        logits = llm.logits(hidden[:, -1])
        if trace is not None:
            trace.tensors.update({"category.input_ids": np.asarray([ids], dtype=np.int64),
                                  "category.inputs_embeds": seq.inputs_embeds.numpy(),
                                  "category.attention_mask": seq.attention_mask.numpy(),
                                  "category.position_ids": seq.position_ids.numpy(),
                                  "category.prefill_last_logits": logits.numpy()})
        am = seq.attention_mask
        t = seq.inputs_embeds.shape[1]
        out: List[List[int]] = [[] for _ in range(k)]
        done = np.zeros(k, dtype=bool)
        for step in range(self.th.category_max_new_tokens):
            nxt = logits.argmax(-1)
            for i in range(k):
                if not done[i]:
                    if int(nxt[i]) == self.tok.eos_id:
                        done[i] = True
                    else:
                        out[i].append(int(nxt[i]))
            if done.all() or step == self.th.category_max_new_tokens - 1:
                break
            emb = llm.embed(nxt[:, None])
            am = torch.cat([am, torch.ones(k, 1, dtype=torch.long)], dim=1)
            pos = torch.full((k, 1), t + step, dtype=torch.long)
            hidden, past = llm(emb, am, pos, past)
            logits = llm.logits(hidden[:, -1])
        return [clean_name(self.tok.decode(o)) for o in out], out

    # ------------------------------------------------------------------------------ pipelines
    @torch.no_grad()
    def dense(self, image: np.ndarray, task: str = "dense", trace: Optional[Trace] = None,
              with_names: bool = True) -> List[Instance]:
        """Automatic prediction: top-N patches → threshold → SAM masks → NMS → names (skippable for tuning)."""
        user = (P.DENSE if task == "dense" else P.INSTANCE)[0]
        po = self.patch_outputs(image, user, trace=trace)
        scores = torch.sigmoid(po["objectness_logits"])
        # Stable order: score descending, then patch index ascending.
        order = sorted(range(scores.shape[0]), key=lambda i: (-float(scores[i]), i))[: self.th.top_n]
        kept = [i for i in order if float(scores[i]) >= self.th.objectness_threshold]
        spv, sam_emb = self.sam_embed(image)
        if trace is not None:
            trace.tensors.update({"sam.pixel_values": spv.numpy(), "sam.image_embeddings": sam_emb.numpy(),
                                  "dense.kept_patches": np.asarray(kept, dtype=np.int64)})
        if not kept:
            return []
        idx = torch.tensor(kept)
        iou, low = self.decode(sam_emb, po["mask_embeddings"][idx])
        if trace is not None:
            trace.tensors.update({"dense.low_res_masks": low.numpy(), "dense.iou_predictions": iou.numpy()})
        h0, w0 = image.shape[:2]
        survivors = self._nms(low[:, 0].numpy(), h0, w0)
        insts: List[Instance] = []
        for j in survivors:
            m = logits_to_image_mask(low[j, 0].numpy(), h0, w0, self.cfg.sam_image_size, self.th.mask_threshold)
            insts.append(Instance(patch=kept[j], score=float(scores[kept[j]]), mask=m, low_res=low[j, 0].numpy(),
                                  siglip_embedding=po["siglip_embeddings"][kept[j]].numpy()))
        if insts and with_names:
            sel = torch.tensor(survivors)
            cat = self.adapt(po["category_embeddings"][idx[sel]], low[sel], spv)
            names, ids = self.name(cat, trace)
            if trace is not None:
                trace.tensors["dense.adapted_category_embeddings"] = cat.numpy()
                trace.tensors["dense.survivors"] = np.asarray(survivors, dtype=np.int64)
            for inst, n, i in zip(insts, names, ids):
                inst.name, inst.name_ids = n, i
        return insts

    def _nms(self, low: np.ndarray, h0: int, w0: int) -> List[int]:
        """Greedy mask NMS on the low-res grid inside the image's content area; inputs are in score order."""
        r = low.shape[-1]
        lb = Letterbox(self.cfg.sam_image_size, h0, w0)
        ch = int(np.ceil(lb.content_h * r / self.cfg.sam_image_size))
        cw = int(np.ceil(lb.content_w * r / self.cfg.sam_image_size))
        bins = low[:, :ch, :cw] > self.th.mask_threshold
        areas = bins.reshape(len(bins), -1).sum(1)
        keep: List[int] = []
        for j in range(len(bins)):
            if areas[j] < self.th.min_mask_area:
                continue
            ok = True
            for k in keep:
                inter = np.logical_and(bins[j], bins[k]).sum()
                union = areas[j] + areas[k] - inter
                # A fragment lying mostly inside a better-scored mask is a duplicate even at low IoU.
                if (union > 0 and inter / union > self.th.nms_iou) or inter / areas[j] > self.th.nms_containment:
                    ok = False
                    break
            if ok:
                keep.append(j)
        return keep

    @torch.no_grad()
    def box_prompt(self, image: np.ndarray, boxes_xyxy: Sequence[Sequence[float]]) -> List[np.ndarray]:
        """Masks for boxes given in original pixels (SAM convention: corners labelled 2 and 3)."""
        if not boxes_xyxy:
            return []
        h0, w0 = image.shape[:2]
        s = Letterbox(self.cfg.sam_image_size, h0, w0).scale
        pts = np.asarray([[[b[0] * s, b[1] * s], [b[2] * s, b[3] * s]] for b in boxes_xyxy], dtype=np.float32)
        labels = np.tile(np.asarray([[2.0, 3.0]], dtype=np.float32), (len(boxes_xyxy), 1))
        _spv, emb = self.sam_embed(image)
        r = self.cfg.sam_mask_size
        mi = np.stack([box_mask_input(p.reshape(-1), r, self.cfg.sam_image_size) for p in pts])[:, None]
        _iou, low = self.decode(emb, points=pts, labels=labels, mask_input=mi)
        return [logits_to_image_mask(low[i, 0].numpy(), h0, w0, self.cfg.sam_image_size, self.th.mask_threshold)
                for i in range(len(boxes_xyxy))]

    @torch.no_grad()
    def single(self, image: np.ndarray, user: str, mask: Optional[np.ndarray] = None) -> Instance:
        """Refinement / referring: the top-1 patch under this instruction → its mask and name."""
        po = self.patch_outputs(image, user, mask)
        p = int(torch.argmax(po["objectness_logits"]))
        spv, emb = self.sam_embed(image)
        _iou, low = self.decode(emb, po["mask_embeddings"][p:p + 1])
        h0, w0 = image.shape[:2]
        m = logits_to_image_mask(low[0, 0].numpy(), h0, w0, self.cfg.sam_image_size, self.th.mask_threshold)
        cat = self.adapt(po["category_embeddings"][p:p + 1], low, spv)
        names, ids = self.name(cat)
        return Instance(patch=p, score=float(torch.sigmoid(po["objectness_logits"][p])), mask=m, name=names[0],
                        low_res=low[0, 0].numpy(), name_ids=ids[0])

    def refine(self, image: np.ndarray, situation: str, mask: Optional[np.ndarray] = None,
               wrong_name: Optional[str] = None, box: Optional[Sequence[float]] = None, phrasing: int = 0) -> Instance:
        """Conversation-based refinement (sec. 3.4): situation is "mask", "category" or "missed"."""
        h0, w0 = image.shape[:2]
        box_text = box_to_text(box, h0, w0) if box is not None else ""
        template = {"mask": P.REFINE_MASK, "category": P.REFINE_CATEGORY, "missed": P.REFINE_MISSED}[situation][phrasing]
        user = template.format(box=box_text, category=wrong_name or "")
        return self.single(image, user, mask if situation != "missed" else None)

    def referring(self, image: np.ndarray, description: str) -> Instance:
        """Referring segmentation with the paper's prompt."""
        return self.single(image, P.REFERRING[0].format(description=description))


def clean_name(text: str) -> str:
    """Generated text → category name: trim whitespace and one trailing period."""
    t = text.strip()
    if t.endswith("."):
        t = t[:-1].rstrip()
    return t
