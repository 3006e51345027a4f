"""Golden files: fixed inputs → every graph's outputs and end-to-end results, for the engine to reproduce.

Layout (docs/model-pack.md, "Golden files"): `golden/golden.json` describes tensors stored back to back
in `golden/tensors.bin` (little-endian, C order, float32 / int64 / uint8), the per-graph cases, and end-to-end
cases (input image, prompt ids, kept patches, survivors, names, masks as COCO RLE).
"""
from __future__ import annotations

import json
import os
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from . import prompts as P
from .data import box_xyxy, damage_mask
from .masks import encode_rle, mask_bbox
from .model import RoseModel
from .pipeline import Pipeline, Thresholds, Trace
from .scenes import PRETRAIN_SHAPES, SceneConfig, generate_scene, scene_rng
from .tokenizer import Tokenizer

# Tolerance of the per-graph comparisons: |onnx − torch| ≤ atol + rtol·|torch|.
ATOL = 1e-4
RTOL = 1e-3


class _Store:
    """Accumulates tensors into one binary blob with a JSON index (identical arrays stored once)."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.index: Dict[str, dict] = {}
        self._by_bytes: Dict[Tuple[str, Tuple[int, ...], bytes], str] = {}

    def add(self, name: str, arr: np.ndarray) -> str:
        arr = np.ascontiguousarray(arr)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        dt = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64", np.dtype(np.uint8): "uint8"}[arr.dtype]
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        key = (dt, tuple(arr.shape), raw)
        if key in self._by_bytes:
            return self._by_bytes[key]
        pad = (-len(self.blob)) % 8
        self.blob += b"\0" * pad
        self.index[name] = {"dtype": dt, "shape": list(arr.shape), "offset": len(self.blob), "byte_length": len(raw)}
        self.blob += raw
        self._by_bytes[key] = name
        return name


def golden_scenes(image_size: int) -> List[np.ndarray]:
    """Two fixed scenes: one square, one non-square (exercises letterboxing and padding)."""
    cfg = SceneConfig(size=image_size, shapes=PRETRAIN_SHAPES)
    out, i = [], 0
    want_square = True
    while len(out) < 2:
        sc = generate_scene(scene_rng(0, "golden", i), cfg)
        i += 1
        square = sc.height == sc.width
        if square == want_square and 3 <= len(sc.segments) <= 7:
            out.append(sc)
            want_square = False
    return out


def write_golden(model: RoseModel, tok: Tokenizer, th: Thresholds, pack_dir: str) -> dict:
    """Run the fixed inputs through the PyTorch pipeline and write golden/ into `pack_dir`."""
    pipe = Pipeline(model, tok, th)
    cfg = model.cfg
    store = _Store()
    cases: List[dict] = []
    e2e: List[dict] = []
    scenes = golden_scenes(cfg.image_size)

    def case(graph: str, inputs: Dict[str, np.ndarray], outputs: Dict[str, np.ndarray],
             slices: Optional[Dict[str, dict]] = None, note: str = "") -> None:
        c = {"graph": graph, "note": note, "atol": ATOL, "rtol": RTOL,
             "inputs": {k: store.add(f"{graph}.{len(cases)}.in.{k}", v) for k, v in inputs.items()},
             "outputs": {}}
        for k, v in outputs.items():
            entry = {"tensor": store.add(f"{graph}.{len(cases)}.out.{k}", v)}
            if slices and k in slices:
                entry["slice"] = slices[k]
            c["outputs"][k] = entry
        cases.append(c)

    with torch.no_grad():
        for si, sc in enumerate(scenes):
            tr = Trace()
            insts = pipe.dense(sc.image, trace=tr)
            t = tr.tensors
            e2e.append({
                "name": f"scene{si}", "task": "dense", "image": store.add(f"scene{si}.image", sc.image),
                "image_layout": "uint8 [H, W, 3] RGB",
                "user_prompt": P.DENSE[0], "prompt_text": P.chat(P.DENSE[0]),
                "input_ids": t["prompt.input_ids"][0].tolist(),
                "kept_patches": t["dense.kept_patches"].tolist(),
                "kept_scores": [float(torch.sigmoid(torch.tensor(t["analyzer.objectness_logits"][0, p]))) for p in
                                t["dense.kept_patches"].tolist()],
                "survivors": t.get("dense.survivors", np.zeros(0, np.int64)).tolist(),
                "instances": [{"patch": i.patch, "score": i.score, "name": i.name, "name_ids": i.name_ids,
                               "bbox": list(mask_bbox(i.mask)), "area": int(i.mask.sum()),
                               "rle": encode_rle(i.mask)} for i in insts],
                "ground_truth": [{"name": s.name, "kind": s.kind, "rle": encode_rle(s.mask)} for s in sc.segments],
            })
            if si > 0:
                continue
            # Per-graph cases from the first scene's trace.
            case("vision_encoder", {"pixel_values": t["vision.pixel_values"]}, {"image_embeds": t["vision.image_embeds"]})
            ids = t["prompt.input_ids"]
            case("embed_tokens", {"input_ids": ids}, {"inputs_embeds": model.llm.embed(torch.from_numpy(ids)).numpy()})
            emb = torch.from_numpy(t["llm.inputs_embeds"])
            am = torch.from_numpy(t["llm.attention_mask"])
            pos = torch.from_numpy(t["llm.position_ids"])
            hidden, presents = model.llm(emb, am, pos)
            logits = model.llm.logits(hidden)
            empty = np.zeros((1, cfg.llm_kv_heads, 0, cfg.head_dim), dtype=np.float32)
            pin = {"inputs_embeds": t["llm.inputs_embeds"], "attention_mask": t["llm.attention_mask"],
                   "position_ids": t["llm.position_ids"]}
            for i in range(cfg.llm_layers):
                pin[f"past_key_values.{i}.key"] = empty
                pin[f"past_key_values.{i}.value"] = empty
            T = emb.shape[1]
            pout = {"last_hidden_state": hidden.numpy(), "logits": logits[:, T - 1:].numpy()}
            # The cache the prefill leaves is what every later decode step reads: compared too.
            for i, (k, v) in enumerate(presents):
                pout[f"present.{i}.key"] = k.numpy()
                pout[f"present.{i}.value"] = v.numpy()
            case("llm_decoder", pin, pout, slices={"logits": {"axis": 1, "start": T - 1, "end": T}},
                 note="image prefill with an empty cache (past length 0); logits compared at the last position")
            # A decode step with a real cache: the category prompt for two objects, then one token each.
            cat = torch.from_numpy(t["analyzer.category_embeddings"][0, :2])
            cids = tok.encode(P.category_prompt())
            from .sequence import assemble
            seq = assemble(model.llm, [cids] * 2, tok.category_id, [c[None] for c in cat], None,
                           cfg.llm_attention == "prefix")
            h1, past = model.llm(seq.inputs_embeds, seq.attention_mask, seq.position_ids)
            nxt = model.llm.logits(h1[:, -1]).argmax(-1)
            e1 = model.llm.embed(nxt[:, None])
            am2 = torch.cat([seq.attention_mask, torch.ones(2, 1, dtype=torch.long)], 1)
            pos2 = torch.full((2, 1), seq.inputs_embeds.shape[1], dtype=torch.long)
            h2, pres2 = model.llm(e1, am2, pos2, past)
            din = {"inputs_embeds": e1.numpy(), "attention_mask": am2.numpy(), "position_ids": pos2.numpy()}
            dout = {"logits": model.llm.logits(h2).numpy(), "last_hidden_state": h2.numpy()}
            for i, (k, v) in enumerate(past):
                din[f"past_key_values.{i}.key"] = k.numpy()
                din[f"past_key_values.{i}.value"] = v.numpy()
            for i, (k, v) in enumerate(pres2):
                dout[f"present.{i}.key"] = k.numpy()
                dout[f"present.{i}.value"] = v.numpy()
            case("llm_decoder", din, dout, note="one decode step of the category prompt for 2 objects with a KV cache")
            case("patch_analyzer", {"hidden_states": t["analyzer.hidden_states"]},
                 {"objectness_logits": t["analyzer.objectness_logits"], "mask_embeddings": t["analyzer.mask_embeddings"],
                  "category_embeddings": t["analyzer.category_embeddings"],
                  "siglip_embeddings": t["analyzer.siglip_embeddings"]})
            case("sam_encoder", {"pixel_values": t["sam.pixel_values"]}, {"image_embeddings": t["sam.image_embeddings"]})
            # Decoder: the three highest-objectness patches (fixed choice, independent of thresholds), then
            # box, point and mask_input prompts.
            obj = t["analyzer.objectness_logits"][0]
            top = np.asarray(sorted(range(len(obj)), key=lambda i: (-obj[i], i))[:3], dtype=np.int64)
            pe = t["analyzer.mask_embeddings"][0, top]
            b = len(top)
            r = cfg.sam_mask_size
            dec_in = {"image_embeddings": t["sam.image_embeddings"], "point_coords": np.zeros((b, 1, 2), np.float32),
                      "point_labels": -np.ones((b, 1), np.float32), "mask_input": np.zeros((b, 1, r, r), np.float32),
                      "has_mask_input": np.zeros(b, np.float32), "prompt_embedding": pe.astype(np.float32),
                      "has_prompt_embedding": np.ones(b, np.float32)}

            def run_dec(d: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
                iou, low = model.sam_decoder(*(torch.from_numpy(d[k]) for k in (
                    "image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input",
                    "prompt_embedding", "has_prompt_embedding")))
                return {"iou_predictions": iou.numpy(), "low_res_masks": low.numpy()}

            rose_out = run_dec(dec_in)
            case("sam_decoder", dec_in, rose_out, note="ROSE mask-embedding prompts of the top-3 patches")
            thing = next(s for s in sc.segments if s.kind == "thing")
            x1, y1, x2, y2 = box_xyxy(thing.mask)
            ys, xs = np.nonzero(thing.mask)
            bad = damage_mask(thing.mask, np.random.default_rng(5))
            from .data import letterbox_mask
            mi = np.where(letterbox_mask(bad, cfg.sam_image_size), 4.0, -4.0).astype(np.float32)[None, None]
            if mi.shape[-1] != r:
                mi = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(mi), r).numpy()
            box_in = {"image_embeddings": t["sam.image_embeddings"],
                      "point_coords": np.asarray([[[x1, y1], [x2, y2]], [[xs[0] + 0.5, ys[0] + 0.5], [0, 0]]], np.float32),
                      "point_labels": np.asarray([[2, 3], [1, -1]], np.float32),
                      "mask_input": np.concatenate([mi, np.zeros_like(mi)]), "has_mask_input": np.asarray([1, 0], np.float32),
                      "prompt_embedding": np.zeros((2, cfg.sam_dim), np.float32),
                      "has_prompt_embedding": np.zeros(2, np.float32)}
            case("sam_decoder", box_in, run_dec(box_in), note="box prompt with mask_input, and a point prompt")
            if model.adapter is not None:
                ad_in = {"category_embeddings": t["analyzer.category_embeddings"][0, top],
                         "low_res_masks": rose_out["low_res_masks"], "pixel_values": t["sam.pixel_values"]}
                ad_out = model.adapter(*(torch.from_numpy(ad_in[k]) for k in ad_in)).numpy()
                case("category_adapter", ad_in, {"adapted_category_embeddings": ad_out})
            names = sorted({s.name for s in sc.segments})
            tid_list = [tok.encode(n)[: cfg.text_max_len] for n in names]
            tl = max(len(x) for x in tid_list)
            tid = np.full((len(names), tl), tok.pad_id, np.int64)
            tam = np.zeros((len(names), tl), np.int64)
            for i, x in enumerate(tid_list):
                tid[i, : len(x)] = x
                tam[i, : len(x)] = 1
            case("text_encoder", {"input_ids": tid, "attention_mask": tam},
                 {"text_embeds": model.text_encoder(torch.from_numpy(tid), torch.from_numpy(tam)).numpy()},
                 note="names: " + ", ".join(names))

            # Box prompt and refinement end to end on the same scene.
            masks = pipe.box_prompt(sc.image, [(x1, y1, x2, y2)])
            e2e.append({"name": "scene0-box", "task": "box_prompt", "image": f"scene0.image", "box_xyxy": [x1, y1, x2, y2],
                        "rle": encode_rle(masks[0])})
            out = pipe.refine(sc.image, "mask", mask=bad)
            e2e.append({"name": "scene0-refine-mask", "task": "refine_mask", "image": "scene0.image",
                        "mask_rle": encode_rle(bad), "user_prompt": P.REFINE_MASK[0], "patch": out.patch,
                        "name_out": out.name, "rle": encode_rle(out.mask)})

    gdir = os.path.join(pack_dir, "golden")
    os.makedirs(gdir, exist_ok=True)
    with open(os.path.join(gdir, "tensors.bin"), "wb") as f:
        f.write(bytes(store.blob))
    doc = {"format": "rose-golden-1", "tensors_file": "tensors.bin", "tolerance": {"atol": ATOL, "rtol": RTOL},
           "tensors": store.index, "graph_cases": cases, "end_to_end": e2e}
    with open(os.path.join(gdir, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    return doc
