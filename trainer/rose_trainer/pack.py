"""Loading packs and checkpoints back into PyTorch (evaluation, fine-tuning from a parent pack)."""
from __future__ import annotations

import json
import os
from typing import Tuple

import numpy as np
import torch

from . import PACK_FORMAT_VERSION, safetensors
from .config import ModelConfig
from .errors import UserError
from .export import WEIGHTS_FILE, sha256_file
from .model import RoseModel
from .pipeline import Thresholds
from .tokenizer import Tokenizer


def read_manifest(pack_dir: str) -> dict:
    """manifest.json of a pack, checked for format and version; UserError if broken."""
    path = os.path.join(pack_dir, "manifest.json")
    if not os.path.isdir(pack_dir):
        raise UserError(f"model pack not found: {pack_dir}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise UserError(f"broken model pack {pack_dir}: no manifest.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"broken model pack {pack_dir}: manifest.json is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != "rose-model-pack":
        raise UserError(f"broken model pack {pack_dir}: manifest.json is not a rose-model-pack manifest")
    if doc.get("format_version") != PACK_FORMAT_VERSION:
        raise UserError(f"model pack {pack_dir} has format_version {doc.get('format_version')}, "
                        f"this trainer reads {PACK_FORMAT_VERSION}")
    return doc


def load_pack(pack_dir: str) -> Tuple[RoseModel, Tokenizer, dict]:
    """(model, tokenizer, manifest) of a trainable pack; weights and tokenizer are verified against their sha256."""
    doc = read_manifest(pack_dir)
    files = doc.get("files") or {}
    for fn in (WEIGHTS_FILE, "tokenizer.json"):
        p = os.path.join(pack_dir, fn)
        if not os.path.isfile(p):
            raise UserError(f"broken model pack {pack_dir}: missing {fn}")
        want = (files.get(fn) or {}).get("sha256")
        if want and sha256_file(p) != want:
            raise UserError(f"broken model pack {pack_dir}: {fn} does not match its sha256 in manifest.json")
    try:
        cfg = ModelConfig.from_dict(doc["training"]["model_config"])
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"model pack {pack_dir} has no usable training.model_config ({e}); it cannot be fine-tuned") from None
    try:
        arrays, _meta = safetensors.load(os.path.join(pack_dir, WEIGHTS_FILE))
    except ValueError as e:
        raise UserError(f"broken model pack {pack_dir}: {e}") from None
    model = RoseModel(cfg)
    try:
        # float16 packs are widened to float32: training and the ONNX graphs compute in float32.
        model.load_state_dict({k: torch.from_numpy(v.astype(np.float32) if v.dtype == np.float16 else v)
                               for k, v in arrays.items()}, strict=True)
    except RuntimeError as e:
        raise UserError(f"broken model pack {pack_dir}: weights do not fit the model config ({str(e).splitlines()[0]})") from None
    tok = Tokenizer.load(os.path.join(pack_dir, "tokenizer.json"))
    return model, tok, doc


def thresholds_from_manifest(doc: dict) -> Thresholds:
    """Inference defaults of a pack."""
    inf = doc.get("inference") or {}
    base = Thresholds()
    return Thresholds(top_n=int(inf.get("top_n", base.top_n)),
                      objectness_threshold=float(inf.get("objectness_threshold", base.objectness_threshold)),
                      mask_threshold=float(inf.get("mask_threshold", base.mask_threshold)),
                      nms_iou=float(inf.get("nms_iou", base.nms_iou)),
                      nms_containment=float(inf.get("nms_containment", base.nms_containment)),
                      min_component_fraction=float(inf.get("min_component_fraction", base.min_component_fraction)),
                      min_mask_area=int(inf.get("min_mask_area", base.min_mask_area)),
                      category_max_new_tokens=int(inf.get("category_max_new_tokens", base.category_max_new_tokens)))
