"""Export a trained model to a model pack (docs/model-pack.md): ONNX graphs, weights, tokenizer, manifest.

Graphs are exported with constant folding off, so every initializer is a named model parameter; their
data is then moved into the pack's single `weights.safetensors` as ONNX external data. All graphs and
the trainer (for fine-tuning) share that one copy, which keeps the pack small.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import external_data_helper, numpy_helper

from . import PACK_FORMAT_VERSION
from . import prompts as P
from . import safetensors
from .assign import ROLE_LAYOUT, SCALE_THRESHOLDS
from .config import ModelConfig
from .data import SAM_MEAN, SAM_STD, VISION_MEAN, VISION_STD
from .errors import UserError
from .model import RoseModel
from .pipeline import Thresholds
from .tokenizer import Tokenizer

OPSET = 17
WEIGHTS_FILE = "weights.safetensors"


# --------------------------------------------------------------------------------------- wrappers

class _Graph(nn.Module):
    """One exported graph: `body(model, *inputs)` with the model held as `self.model`.

    Holding the whole model under one attribute names every initializer `model.<state_dict key>`,
    which is how `_externalize` finds its bytes in weights.safetensors.
    """

    def __init__(self, model: RoseModel, body: Callable[..., object]) -> None:
        super().__init__()
        self.model = model
        self.body = body

    def forward(self, *inputs: torch.Tensor) -> object:
        """Run the graph body."""
        return self.body(self.model, *inputs)


def _llm_body(m: RoseModel, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
              *past_flat: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
    hidden, presents = m.llm(inputs_embeds, attention_mask, position_ids, past)
    out: List[torch.Tensor] = [m.llm.logits(hidden), hidden]
    for k, v in presents:
        out += [k, v]
    return tuple(out)


_BODIES: Dict[str, Callable[..., object]] = {
    "vision_encoder": lambda m, x: m.vision(x),
    "embed_tokens": lambda m, ids: m.llm.embed(ids),
    "llm_decoder": _llm_body,
    "patch_analyzer": lambda m, h: m.analyzer(h),
    "sam_encoder": lambda m, x: m.sam_encoder(x),
    "sam_decoder": lambda m, *a: m.sam_decoder(*a),
    "category_adapter": lambda m, c, low, x: m.adapter(c, low, x),
    "text_encoder": lambda m, ids, am: m.text_encoder(ids, am),
}


def graph_specs(cfg: ModelConfig) -> Dict[str, dict]:
    """Name, I/O (name → [dtype, symbolic shape]) of every graph; the manifest's `graphs` object."""
    d, e, es, v = cfg.hidden_size, cfg.sam_dim, cfg.siglip_dim, cfg.vocab_size
    L, ls, h, r, m = cfg.image_size, cfg.sam_image_size, cfg.sam_embed_size, cfg.sam_mask_size, cfg.sam_num_mask_outputs
    hkv, hd = cfg.llm_kv_heads, cfg.head_dim
    llm_in = {"inputs_embeds": ["float32", ["batch", "sequence", d]],
              "attention_mask": ["int64", ["batch", "past_sequence + sequence"]],
              "position_ids": ["int64", ["batch", "sequence"]]}
    llm_out = {"logits": ["float32", ["batch", "sequence", v]], "last_hidden_state": ["float32", ["batch", "sequence", d]]}
    for i in range(cfg.llm_layers):
        llm_in[f"past_key_values.{i}.key"] = ["float32", ["batch", hkv, "past_sequence", hd]]
        llm_in[f"past_key_values.{i}.value"] = ["float32", ["batch", hkv, "past_sequence", hd]]
        llm_out[f"present.{i}.key"] = ["float32", ["batch", hkv, "past_sequence + sequence", hd]]
        llm_out[f"present.{i}.value"] = ["float32", ["batch", hkv, "past_sequence + sequence", hd]]
    specs = {
        "vision_encoder": {"inputs": {"pixel_values": ["float32", ["batch", cfg.in_channels, L, L]]},
                           "outputs": {"image_embeds": ["float32", ["batch", cfg.num_patches, d]]}},
        "embed_tokens": {"inputs": {"input_ids": ["int64", ["batch", "sequence"]]},
                         "outputs": {"inputs_embeds": ["float32", ["batch", "sequence", d]]}},
        "llm_decoder": {"inputs": llm_in, "outputs": llm_out},
        "patch_analyzer": {"inputs": {"hidden_states": ["float32", ["batch", "patches", d]]},
                           "outputs": {"objectness_logits": ["float32", ["batch", "patches"]],
                                       "mask_embeddings": ["float32", ["batch", "patches", e]],
                                       "category_embeddings": ["float32", ["batch", "patches", d]],
                                       "siglip_embeddings": ["float32", ["batch", "patches", es]]}},
        "sam_encoder": {"inputs": {"pixel_values": ["float32", [1, 3, ls, ls]]},
                        "outputs": {"image_embeddings": ["float32", [1, e, h, h]]}},
        "sam_decoder": {"inputs": {"image_embeddings": ["float32", [1, e, h, h]],
                                   "point_coords": ["float32", ["prompts", "points", 2]],
                                   "point_labels": ["float32", ["prompts", "points"]],
                                   "mask_input": ["float32", ["prompts", 1, r, r]],
                                   "has_mask_input": ["float32", ["prompts"]],
                                   "prompt_embedding": ["float32", ["prompts", e]],
                                   "has_prompt_embedding": ["float32", ["prompts"]]},
                        "outputs": {"iou_predictions": ["float32", ["prompts", m]],
                                    "low_res_masks": ["float32", ["prompts", m, r, r]]}},
        "text_encoder": {"inputs": {"input_ids": ["int64", ["batch", "sequence"]],
                                    "attention_mask": ["int64", ["batch", "sequence"]]},
                         "outputs": {"text_embeds": ["float32", ["batch", es]]}},
    }
    if cfg.use_category_adapter:
        specs["category_adapter"] = {
            "inputs": {"category_embeddings": ["float32", ["objects", d]],
                       "low_res_masks": ["float32", ["objects", 1, r, r]],
                       "pixel_values": ["float32", [1, 3, ls, ls]]},
            "outputs": {"adapted_category_embeddings": ["float32", ["objects", d]]}}
    return specs


def _example_inputs(cfg: ModelConfig, graph: str) -> Tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    d, e, r = cfg.hidden_size, cfg.sam_dim, cfg.sam_mask_size
    if graph == "vision_encoder":
        return (torch.randn(1, cfg.in_channels, cfg.image_size, cfg.image_size, generator=g),)
    if graph == "embed_tokens":
        return (torch.randint(0, cfg.vocab_size, (2, 5), generator=g),)
    if graph == "llm_decoder":
        b, t, p = 2, 3, 4
        past = []
        for _ in range(cfg.llm_layers):
            past += [torch.randn(b, cfg.llm_kv_heads, p, cfg.head_dim, generator=g) for _ in range(2)]
        am = torch.ones(b, p + t, dtype=torch.long)
        am[:, :p] = 2
        return (torch.randn(b, t, d, generator=g), am, torch.arange(p, p + t)[None].expand(b, t).contiguous(), *past)
    if graph == "patch_analyzer":
        return (torch.randn(1, cfg.num_patches, d, generator=g),)
    if graph == "sam_encoder":
        return (torch.randn(1, 3, cfg.sam_image_size, cfg.sam_image_size, generator=g),)
    if graph == "sam_decoder":
        b = 3
        return (torch.randn(1, e, cfg.sam_embed_size, cfg.sam_embed_size, generator=g),
                torch.rand(b, 2, 2, generator=g) * cfg.sam_image_size, torch.tensor([[2.0, 3.0]] * b),
                torch.randn(b, 1, r, r, generator=g), torch.tensor([1.0, 0.0, 1.0]), torch.randn(b, e, generator=g),
                torch.tensor([1.0, 1.0, 0.0]))
    if graph == "category_adapter":
        return (torch.randn(3, d, generator=g), torch.randn(3, 1, r, r, generator=g),
                torch.randn(1, 3, cfg.sam_image_size, cfg.sam_image_size, generator=g))
    if graph == "text_encoder":
        """Graph body."""
        return (torch.randint(4, cfg.vocab_size, (2, 4), generator=g), torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]))
    raise KeyError(graph)


def _dynamic_axes(spec: dict) -> Dict[str, Dict[int, str]]:
    out: Dict[str, Dict[int, str]] = {}
    for section in ("inputs", "outputs"):
        for name, (_dt, shape) in spec[section].items():
            axes = {i: (s if s != "past_sequence + sequence" else "total_sequence") for i, s in enumerate(shape)
                    if isinstance(s, str)}
            if axes:
                out[name] = axes
    return out


def export_graph(model: RoseModel, graph: str, path: str) -> None:
    """torch.onnx.export one graph with the contract's names and dynamic axes."""
    spec = graph_specs(model.cfg)[graph]
    wrapper = _Graph(model, _BODIES[graph]).eval()
    torch.onnx.export(wrapper, _example_inputs(model.cfg, graph), path, opset_version=OPSET,
                      input_names=list(spec["inputs"]), output_names=list(spec["outputs"]),
                      dynamic_axes=_dynamic_axes(spec), do_constant_folding=False, export_params=True)


def _externalize(onnx_path: str, offsets: Dict[str, Tuple[int, int]], weights: Dict[str, np.ndarray]) -> int:
    """Point initializers that are model parameters at weights.safetensors; returns bytes moved out.

    float16 weights become float16 initializers renamed `<name>.fp16` plus a `Cast` to float32 named
    `<name>` at the top of the graph, so every node still reads float32 (onnxruntime folds the casts
    when it loads the graph).
    """
    m = onnx.load(onnx_path)
    moved = 0
    casts = []
    for init in m.graph.initializer:
        key = init.name[len("model."):] if init.name.startswith("model.") else None
        if key is None or key not in offsets:
            continue
        arr = numpy_helper.to_array(init)
        stored = weights[key]
        if arr.shape != stored.shape or not np.array_equal(arr, stored.astype(arr.dtype)):
            continue
        off, length = offsets[key]
        if stored.dtype == np.float16 and arr.dtype == np.float32:
            original = init.name
            init.name = original + ".fp16"
            init.data_type = onnx.TensorProto.FLOAT16
            init.raw_data = stored.astype("<f2").tobytes()
            del init.float_data[:]
            casts.append(onnx.helper.make_node("Cast", [init.name], [original], to=onnx.TensorProto.FLOAT,
                                               name=original + ".cast"))
        elif not init.HasField("raw_data"):
            init.raw_data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            del init.float_data[:]
        external_data_helper.set_external_data(init, location=WEIGHTS_FILE, offset=off, length=length)
        init.data_location = onnx.TensorProto.EXTERNAL
        init.ClearField("raw_data")
        moved += length
    for i, node in enumerate(casts):
        m.graph.node.insert(i, node)
    onnx.save(m, onnx_path)
    return moved


def sha256_file(path: str) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_document(cfg: ModelConfig, name: str, version: str, thresholds: Thresholds, training: dict,
                      parent: Optional[dict], metrics: Optional[dict], description: str) -> dict:
    """manifest.json without `files` (filled in once every file is written)."""
    graphs = {}
    for g, spec in graph_specs(cfg).items():
        graphs[g] = {"file": f"{g}.onnx",
                     "inputs": {k: {"dtype": v[0], "shape": v[1]} for k, v in spec["inputs"].items()},
                     "outputs": {k: {"dtype": v[0], "shape": v[1]} for k, v in spec["outputs"].items()}}
    if "category_adapter" not in graphs:
        graphs["category_adapter"] = None
    return {
        "format": "rose-model-pack",
        "format_version": PACK_FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": description,
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "opset": OPSET,
        "sizes": {
            "image_size": cfg.image_size, "patch_size": cfg.patch_size, "grid": cfg.grid,
            "num_patches": cfg.num_patches, "hidden_size": cfg.hidden_size, "vocab_size": cfg.vocab_size,
            "llm_layers": cfg.llm_layers, "llm_heads": cfg.llm_heads, "llm_kv_heads": cfg.llm_kv_heads,
            "llm_head_dim": cfg.head_dim, "mask_embedding_dim": cfg.sam_dim,
            "category_embedding_dim": cfg.hidden_size, "siglip_dim": cfg.siglip_dim,
            "sam_image_size": cfg.sam_image_size, "sam_embedding_size": cfg.sam_embed_size,
            "sam_embedding_channels": cfg.sam_dim, "sam_mask_size": cfg.sam_mask_size,
            "sam_num_mask_outputs": cfg.sam_num_mask_outputs, "sam_mask_output_index": 0,
            "text_max_len": cfg.text_max_len,
        },
        "preprocessing": {
            "vision": {"size": cfg.image_size, "resize": "letterbox", "resample": "bilinear", "pad": "bottom-right",
                       "pad_value": 0.0, "rescale": 1.0 / 255.0, "mean": list(VISION_MEAN), "std": list(VISION_STD),
                       "channels": ["R", "G", "B", "mask"], "layout": "NCHW",
                       "mask_channel": {"index": 3, "values": [0.0, 1.0], "resample": "nearest", "absent": 0.0}},
            "sam": {"size": cfg.sam_image_size, "resize": "letterbox", "resample": "bilinear", "pad": "bottom-right",
                    "pad_value": 0.0, "rescale": 1.0, "mean": list(SAM_MEAN), "std": list(SAM_STD),
                    "channels": ["R", "G", "B"], "layout": "NCHW"},
        },
        "tokenizer": {"file": "tokenizer.json", "type": "byte-level-bpe", "bos_token": None,
                      "eos_token": "</s>", "eos_token_id": 1, "pad_token": "<pad>", "pad_token_id": 0,
                      "image_token": "<image>", "image_token_id": 2, "category_token": "<category>",
                      "category_token_id": 3},
        "llm": {"attention": cfg.llm_attention, "attention_mask_values": {"0": "padding", "1": "causal",
                                                                          "2": "prefix (bidirectional prompt)"},
                "rope_theta": cfg.rope_theta, "kv_cache_dtype": "float32"},
        "text_encoder": {"tokenizer": "tokenizer.json", "max_length": cfg.text_max_len, "pad_to_max_length": False,
                         "add_special_tokens": False, "normalized_output": True,
                         "input": "the category name as generated (no template)"},
        "prompts": P.manifest_prompts(),
        "super_patch": {"size": 3, "layout": [list(r) for r in ROLE_LAYOUT],
                        "role_of_patch": "layout[row % 3][col % 3]",
                        "roles": {"small": 4, "medium": 3, "large": 1, "stuff": 1},
                        "scale_thresholds": dict(SCALE_THRESHOLDS),
                        "scale_measure": "sqrt(visible mask area in the vision frame) / image_size"},
        "inference": {"top_n": thresholds.top_n, "objectness_threshold": thresholds.objectness_threshold,
                      "mask_threshold": thresholds.mask_threshold, "nms_iou": thresholds.nms_iou,
                      "nms_containment": thresholds.nms_containment,
                      "min_component_fraction": thresholds.min_component_fraction,
                      "min_mask_area": thresholds.min_mask_area,
                      "category_max_new_tokens": thresholds.category_max_new_tokens, "refine_top_k": 1,
                      "box_prompt_mask_input": "rectangle"},
        "graphs": graphs,
        "weights": {"file": WEIGHTS_FILE, "format": "safetensors", "dtype": "float32",
                    "onnx_external_data": True, "trainable": True},
        "parent": parent,
        "training": training,
        "metrics": metrics,
    }


def write_pack(model: RoseModel, tok: Tokenizer, out_dir: str, name: str, version: str, thresholds: Thresholds,
               training: dict, parent: Optional[dict] = None, metrics: Optional[dict] = None,
               description: str = "", force: bool = False,
               golden: Optional[Callable[[str], object]] = None, weights_dtype: str = "float32") -> dict:
    """Write a complete pack to `out_dir` atomically: built in a sibling temp folder, checked, then renamed.

    `golden(tmp_dir)` may add golden files before the hashes are taken. With weights_dtype "float16" the
    model's parameters are rounded to float16 in place (halves the pack; graphs still compute in float32).
    """
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not force:
        raise UserError(f"output folder already exists: {out_dir} (pass --force to replace it)")
    parent_dir = os.path.dirname(out_dir)
    os.makedirs(parent_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent_dir)
    try:
        model = model.eval()
        if weights_dtype == "float16":
            # Round the model itself, so that golden outputs and metrics describe exactly what is stored.
            with torch.no_grad():
                for t in model.state_dict().values():
                    if t.dtype == torch.float32:
                        t.copy_(t.half().float())
        elif weights_dtype != "float32":
            raise UserError(f"unsupported weights dtype {weights_dtype!r} (float32 or float16)")
        state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
        if weights_dtype == "float16":
            state = {k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in state.items()}
        offsets = safetensors.save(state, os.path.join(tmp, WEIGHTS_FILE),
                                   {"format": "rose-model-pack", "model_config": json.dumps(model.cfg.to_dict())})
        for g in graph_specs(model.cfg):
            path = os.path.join(tmp, f"{g}.onnx")
            export_graph(model, g, path)
            _externalize(path, offsets, state)
            onnx.checker.check_model(path)
        tok.save(os.path.join(tmp, "tokenizer.json"))
        doc = manifest_document(model.cfg, name, version, thresholds, training, parent, metrics, description)
        doc["weights"]["dtype"] = weights_dtype
        if golden is not None:
            golden(tmp)
        doc["files"] = {}
        for root, _dirs, files in os.walk(tmp):
            for fn in sorted(files):
                p = os.path.join(root, fn)
                rel = os.path.relpath(p, tmp).replace(os.sep, "/")
                doc["files"][rel] = {"sha256": sha256_file(p), "bytes": os.path.getsize(p)}
        doc["files"] = dict(sorted(doc["files"].items()))
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        if os.path.exists(out_dir):
            old = out_dir + ".old-" + str(os.getpid())
            os.rename(out_dir, old)
            os.rename(tmp, out_dir)
            shutil.rmtree(old)
        else:
            os.rename(tmp, out_dir)
        return doc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest_sha256(pack_dir: str) -> str:
    """sha256 of a pack's manifest.json (identifies a parent pack)."""
    return sha256_file(os.path.join(pack_dir, "manifest.json"))


def update_manifest(pack_dir: str, **fields: object) -> dict:
    """Replace top-level manifest fields (e.g. metrics, inference) atomically; file hashes are unaffected."""
    path = os.path.join(pack_dir, "manifest.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc.update(fields)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return doc
