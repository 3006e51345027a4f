"""Command line: `python3 -m rose_trainer pretrain|finetune|export|evaluate|scenes` (see trainer/README.md).

Progress is JSON lines on stdout. Bad input ends with one line on stderr ("rose_trainer: error: ..."),
a JSON `error` event on stdout and exit status 2, before anything is written to the output folder.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shlex
import sys
import time
from typing import Optional, Sequence

# Debian's torch uses OpenBLAS; its own threads fight torch's (findings: 3.4 s → 0.9 s per step).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# libgomp spins while waiting; on a shared 2-core machine a spinning thread steals the core its peer
# needs, and a step took 2-5x longer with 2 threads than with 1. Passive waiting removes that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from . import __version__  # noqa: E402
from .config import PRESETS, ModelConfig, TrainConfig  # noqa: E402
from .errors import UserError  # noqa: E402

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def _setup_torch(threads: int) -> None:
    torch.set_num_threads(threads)
    # oneDNN is off: see model.Conv2d (it corrupts memory in this build); nothing else here needs it.
    torch.backends.mkldnn.enabled = False


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


# ----------------------------------------------------------------------------------------- commands

def cmd_pretrain(a: argparse.Namespace) -> int:
    """Pre-train on procedural scenes (the held-out shape excluded)."""
    from .data import all_category_names, build_tokenizer
    from .model import RoseModel
    from .scenes import HELD_OUT_SHAPE, PRETRAIN_SHAPES, SceneConfig, generate_scene, scene_rng
    from .tokenizer import Tokenizer
    from .train import SceneSource, emit, load_checkpoint, train_loop

    ckpt_path = os.path.join(a.run_dir, "checkpoint.pt")
    if a.config not in PRESETS:
        raise UserError(f"unknown config {a.config!r} (known: {', '.join(PRESETS)})")
    if a.resume:
        if not os.path.isfile(ckpt_path):
            raise UserError(f"--resume: no checkpoint in {a.run_dir}")
        state = load_checkpoint(ckpt_path)
        cfg = ModelConfig.from_dict(state["model_config"])
        tcfg = TrainConfig.from_dict(state["train_config"])
        if a.steps is not None:
            tcfg = dataclasses.replace(tcfg, steps=a.steps)
        tok = Tokenizer.from_json(state["tokenizer"])
        model = RoseModel(cfg)
        model.load_state_dict(state["model"])
        torch.set_rng_state(state["torch_rng"])
        start, opt_state, extra = int(state["step"]), state["optimizer"], state["extra"]
    else:
        if os.path.exists(ckpt_path):
            raise UserError(f"{a.run_dir} already holds a checkpoint: pass --resume or choose another --run-dir")
        tok = build_tokenizer(a.vocab_size)
        cfg = dataclasses.replace(PRESETS[a.config], vocab_size=tok.vocab_size)
        overrides = {k: v for k, v in {"steps": a.steps, "batch_size": a.batch_size, "lr": a.lr,
                                       "seed": a.seed}.items() if v is not None}
        tcfg = dataclasses.replace(TrainConfig(), **overrides)
        torch.manual_seed(tcfg.seed)
        model = RoseModel(cfg)
        start, opt_state = 0, None
        extra = {"phase": "pretrain", "started": _now(), "command": " ".join(shlex.quote(x) for x in sys.argv),
                 "held_out_class": HELD_OUT_SHAPE, "parent": None}
    scfg = SceneConfig(size=cfg.image_size, shapes=PRETRAIN_SHAPES)
    source = SceneSource(lambda i: generate_scene(scene_rng(tcfg.seed, "train", i), scfg),
                         {"kind": "procedural", "split": "train", "seed": tcfg.seed, "shapes": list(PRETRAIN_SHAPES),
                          "held_out_shapes": [HELD_OUT_SHAPE]})
    train_loop("pretrain", a.run_dir, model, tok, tcfg, source, all_category_names(PRETRAIN_SHAPES), start, opt_state,
               a.time_budget_s, extra)
    return 0


def _load_parent(path: str):
    """(model, tokenizer, parent record, known names) from a pack folder or a checkpoint file."""
    from .export import manifest_sha256
    from .model import RoseModel
    from .pack import load_pack
    from .tokenizer import Tokenizer
    from .train import load_checkpoint

    if os.path.isdir(path):
        model, tok, doc = load_pack(path)
        parent = {"name": doc.get("name"), "version": doc.get("version"), "manifest_sha256": manifest_sha256(path)}
        return model, tok, parent, doc
    if not os.path.isfile(path):
        raise UserError(f"parent not found: {path} (give a model pack folder or a checkpoint.pt)")
    try:
        state = load_checkpoint(path)
        cfg = ModelConfig.from_dict(state["model_config"])
        model = RoseModel(cfg)
        model.load_state_dict(state["model"])
        tok = Tokenizer.from_json(state["tokenizer"])
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"unreadable checkpoint {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return model, tok, {"checkpoint": os.path.abspath(path), "step": state.get("step")}, None


def cmd_finetune(a: argparse.Namespace) -> int:
    """Fine-tune a pack (or checkpoint) on a COCO dataset; optionally export the result as a pack."""
    from .coco import coco_scene, load_coco
    from .data import GENERAL_NAMES
    from .train import SceneSource, load_checkpoint, signals_deferred, train_loop

    ckpt_path = os.path.join(a.run_dir, "checkpoint.pt")
    if not a.resume and os.path.exists(ckpt_path):
        raise UserError(f"{a.run_dir} already holds a checkpoint: pass --resume or choose another --run-dir")
    if a.pack_out and os.path.exists(a.pack_out) and not a.force:
        raise UserError(f"output folder already exists: {a.pack_out} (pass --force to replace it)")
    images = load_coco(a.coco, a.images)
    model, tok, parent, parent_doc = _load_parent(a.parent)
    names = sorted({an.name for im in images for an in im.annotations})
    distractors = names + [n for n in GENERAL_NAMES.split() if n not in names]
    seed = a.seed if a.seed is not None else 0
    if a.resume:
        if not os.path.isfile(ckpt_path):
            raise UserError(f"--resume: no checkpoint in {a.run_dir}")
        state = load_checkpoint(ckpt_path)
        model.load_state_dict(state["model"])
        tcfg = TrainConfig.from_dict(state["train_config"])
        torch.set_rng_state(state["torch_rng"])
        start, opt_state, extra = int(state["step"]), state["optimizer"], state["extra"]
    else:
        tcfg = dataclasses.replace(TrainConfig(), steps=a.steps, lr=a.lr, seed=seed, warmup_steps=min(50, a.steps // 5),
                                   batch_size=a.batch_size or TrainConfig().batch_size)
        torch.manual_seed(seed)
        start, opt_state = 0, None
        extra = {"phase": "finetune", "started": _now(), "command": " ".join(shlex.quote(x) for x in sys.argv),
                 "parent": parent, "dataset": {"coco": os.path.abspath(a.coco), "images": len(images),
                                               "annotations": sum(len(i.annotations) for i in images),
                                               "categories": names}}
    perms: dict = {}

    def scene(i: int):
        epoch, k = divmod(i, len(images))
        if epoch not in perms:
            perms[epoch] = np.random.default_rng([tcfg.seed, 11, epoch]).permutation(len(images))
        return coco_scene(images[int(perms[epoch][k])])

    source = SceneSource(scene, {"kind": "coco", "coco": os.path.abspath(a.coco), "images": len(images)})
    ckpt = train_loop("finetune", a.run_dir, model, tok, tcfg, source, distractors, start, opt_state, a.time_budget_s,
                      extra)
    if a.pack_out:
        state = load_checkpoint(ckpt)
        if state["step"] < tcfg.steps:
            return 0  # stopped early: the checkpoint is there to resume; no half-trained pack is exported
        # A few seconds: a SIGTERM meanwhile lets the pack be finished (and its temporary folder renamed)
        # rather than leaving a half-built sibling folder behind.
        with signals_deferred():
            _export(model, tok, state, a.pack_out, a.pack_name, a.pack_version, a.force, parent=parent,
                    inference=(parent_doc or {}).get("inference"), golden=False)
    return 0


def _export(model, tok, state: dict, out: str, name: str, version: str, force: bool, parent: Optional[dict],
            inference: Optional[dict], golden: bool, metrics: Optional[dict] = None,
            weights_dtype: str = "float16") -> dict:
    from .export import write_pack
    from .golden import write_golden
    from .pack import thresholds_from_manifest
    from .pipeline import Thresholds
    from .train import emit

    extra = state.get("extra") or {}
    training = {
        "trainer": f"rose_trainer {__version__}", "torch": torch.__version__, "phase": extra.get("phase"),
        "steps": state.get("step"), "train_config": state.get("train_config"), "model_config": model.cfg.to_dict(),
        "data": extra.get("data"), "held_out_class": extra.get("held_out_class"), "dataset": extra.get("dataset"),
        "started": extra.get("started"), "exported": _now(), "command": extra.get("command"),
    }
    th = thresholds_from_manifest({"inference": inference}) if inference else Thresholds()
    doc = write_pack(model, tok, out, name, version, th, training, parent=parent, metrics=metrics,
                     description=f"{name}: ROSE model pack exported by rose_trainer {__version__}", force=force,
                     golden=(lambda d: write_golden(model, tok, th, d)) if golden else None,
                     weights_dtype=weights_dtype)
    emit("exported", pack=os.path.abspath(out), files=len(doc["files"]),
         bytes=sum(f["bytes"] for f in doc["files"].values()))
    return doc


def cmd_export(a: argparse.Namespace) -> int:
    """Export a checkpoint to a pack (ONNX graphs checked with onnx.checker)."""
    from .model import RoseModel
    from .tokenizer import Tokenizer
    from .train import load_checkpoint

    if os.path.exists(a.out) and not a.force:
        raise UserError(f"output folder already exists: {a.out} (pass --force to replace it)")
    if not os.path.isfile(a.checkpoint):
        raise UserError(f"checkpoint not found: {a.checkpoint}")
    try:
        state = load_checkpoint(a.checkpoint)
        model = RoseModel(ModelConfig.from_dict(state["model_config"]))
        model.load_state_dict(state["model"])
        tok = Tokenizer.from_json(state["tokenizer"])
    except Exception as e:
        raise UserError(f"unreadable checkpoint {a.checkpoint}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    inference = None
    if a.inference_from:
        from .pack import read_manifest
        inference = read_manifest(a.inference_from).get("inference")
    parent = (state.get("extra") or {}).get("parent")
    _export(model, tok, state, a.out, a.name, a.version, a.force, parent, inference, a.golden,
            weights_dtype=a.weights_dtype)
    return 0


def _eval_scenes(a: argparse.Namespace, cfg: ModelConfig, split: str, count: int):
    from .coco import coco_scene, load_coco
    from .scenes import PRETRAIN_SHAPES, SHAPES, SceneConfig, generate_scene, scene_rng

    if a.coco:
        if not a.images:
            raise UserError("--coco needs --images")
        imgs = load_coco(a.coco, a.images)
        return [coco_scene(im) for im in imgs[:count]], {"kind": "coco", "coco": os.path.abspath(a.coco)}
    shapes = SHAPES if a.include_held_out else PRETRAIN_SHAPES
    scfg = SceneConfig(size=cfg.image_size, shapes=shapes)
    scenes = [generate_scene(scene_rng(a.seed, split, i), scfg) for i in range(count)]
    return scenes, {"kind": "procedural", "split": split, "seed": a.seed, "count": count, "shapes": list(shapes)}


def cmd_evaluate(a: argparse.Namespace) -> int:
    """Evaluate a pack or checkpoint on held-out scenes; optionally tune the threshold and record metrics."""
    from .data import all_category_names
    from .evaluate import evaluate, tune_thresholds
    from .export import update_manifest
    from .model import RoseModel
    from .pack import load_pack, thresholds_from_manifest
    from .pipeline import Pipeline, Thresholds
    from .scenes import PRETRAIN_SHAPES, SHAPES
    from .tokenizer import Tokenizer
    from .train import emit, load_checkpoint

    if bool(a.pack) == bool(a.checkpoint):
        raise UserError("give exactly one of --pack or --checkpoint")
    if a.write_manifest and not a.pack:
        raise UserError("--write-manifest needs --pack")
    if a.pack:
        model, tok, doc = load_pack(a.pack)
        th = thresholds_from_manifest(doc)
    else:
        if not os.path.isfile(a.checkpoint):
            raise UserError(f"checkpoint not found: {a.checkpoint}")
        state = load_checkpoint(a.checkpoint)
        model = RoseModel(ModelConfig.from_dict(state["model_config"]))
        model.load_state_dict(state["model"])
        tok = Tokenizer.from_json(state["tokenizer"])
        th = Thresholds()
    if a.objectness_threshold is not None:
        th = dataclasses.replace(th, objectness_threshold=a.objectness_threshold)
    pipe = Pipeline(model, tok, th)
    pipe.set_vocabulary(all_category_names(SHAPES if a.include_held_out else PRETRAIN_SHAPES))
    tuned = None
    if a.tune_threshold:
        val, _ = _eval_scenes(a, model.cfg, "val", a.tune_scenes)
        (best, cont), table = tune_thresholds(pipe, val)
        tuned = {"objectness_threshold": best, "nms_containment": cont, "val_scenes": len(val),
                 "by_threshold_and_containment": table}
        emit("tuned", **tuned)
        pipe.th = th = dataclasses.replace(th, objectness_threshold=best, nms_containment=cont)
    scenes, data = _eval_scenes(a, model.cfg, a.split, a.scenes)
    t0 = time.time()

    def progress(i: int, n: int) -> None:
        if i % 10 == 0 or i == n:
            el = time.time() - t0
            emit("progress", phase="evaluate", step=i, total_steps=n, eta_s=round(el / i * (n - i), 1),
                 elapsed_s=round(el, 1))

    metrics = evaluate(pipe, scenes, seed=a.seed, progress=progress)
    metrics["data"] = data
    if tuned:
        metrics["threshold_tuning"] = {k: tuned[k] for k in ("objectness_threshold", "nms_containment", "val_scenes")}
    emit("metrics", **metrics)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
    if a.write_manifest:
        inf = dict(doc.get("inference") or {})
        inf["objectness_threshold"] = th.objectness_threshold
        inf["nms_containment"] = th.nms_containment
        update_manifest(a.pack, metrics=metrics, inference=inf)
        emit("manifest_updated", pack=os.path.abspath(a.pack))
    return 0


def cmd_scenes(a: argparse.Namespace) -> int:
    """Write procedural scenes as a COCO dataset (images + instances.json with RLE)."""
    from .coco import write_coco
    from .scenes import PRETRAIN_SHAPES, SHAPES, SceneConfig, generate_scene, scene_rng
    from .train import emit

    if a.count <= 0:
        raise UserError("--count must be positive")
    if os.path.exists(a.out):
        raise UserError(f"output folder already exists: {a.out}")
    shapes = SHAPES if a.include_held_out else PRETRAIN_SHAPES
    scfg = SceneConfig(size=a.size, shapes=shapes)
    scenes = [generate_scene(scene_rng(a.seed, a.split, i), scfg) for i in range(a.count)]
    if a.only_shape:
        keep = [s for s in scenes if any(seg.name.endswith(" " + a.only_shape) for seg in s.segments)]
        scenes = keep or scenes
    tmp = a.out.rstrip("/") + f".tmp-{os.getpid()}"
    path = write_coco(scenes, tmp)
    os.rename(tmp, a.out)
    emit("scenes", out=os.path.abspath(a.out), images=len(scenes), annotations=os.path.join(a.out, os.path.basename(path)))
    return 0


# ----------------------------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    p = _Parser(prog="rose_trainer", description="Train, evaluate and export ROSE model packs.")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("pretrain", help="pre-train on procedural scenes")
    s.add_argument("--run-dir", required=True)
    s.add_argument("--config", default="tiny", help=f"model size preset: {', '.join(PRESETS)}")
    s.add_argument("--steps", type=int)
    s.add_argument("--batch-size", type=int)
    s.add_argument("--lr", type=float)
    s.add_argument("--seed", type=int)
    s.add_argument("--vocab-size", type=int, default=1024)
    s.add_argument("--resume", action="store_true")
    s.add_argument("--time-budget-s", type=float, help="stop (with a checkpoint) after this many seconds")
    s.set_defaults(fn=cmd_pretrain)

    s = sub.add_parser("finetune", help="fine-tune a pack or checkpoint on a COCO dataset")
    s.add_argument("--parent", required=True, help="model pack folder or checkpoint.pt")
    s.add_argument("--coco", required=True, help="COCO instances JSON")
    s.add_argument("--images", required=True, help="folder the file_name entries are relative to")
    s.add_argument("--run-dir", required=True)
    s.add_argument("--steps", type=int, default=300)
    s.add_argument("--batch-size", type=int)
    s.add_argument("--lr", type=float, default=5e-4)
    s.add_argument("--seed", type=int)
    s.add_argument("--resume", action="store_true")
    s.add_argument("--time-budget-s", type=float)
    s.add_argument("--pack-out", help="export the fine-tuned model to this pack folder")
    s.add_argument("--pack-name", default="rose-finetuned")
    s.add_argument("--pack-version", default="1.0.0")
    s.add_argument("--force", action="store_true", help="replace an existing --pack-out")
    s.set_defaults(fn=cmd_finetune)

    s = sub.add_parser("export", help="export a checkpoint to a model pack")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--name", default="rose-tiny")
    s.add_argument("--version", default="1.0.0")
    s.add_argument("--golden", action="store_true", help="also write golden files (golden/)")
    s.add_argument("--inference-from", help="copy the inference thresholds of this pack")
    s.add_argument("--weights-dtype", default="float16", choices=["float16", "float32"],
                   help="storage of weights.safetensors (graphs always compute in float32)")
    s.add_argument("--force", action="store_true", help="replace an existing output folder")
    s.set_defaults(fn=cmd_export)

    s = sub.add_parser("evaluate", help="held-out metrics of a pack or checkpoint")
    s.add_argument("--pack")
    s.add_argument("--checkpoint")
    s.add_argument("--scenes", type=int, default=200)
    s.add_argument("--split", default="test", choices=["test", "val", "finetune"])
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--include-held-out", action="store_true", help="scenes may contain the held-out shape")
    s.add_argument("--coco", help="evaluate on a COCO dataset instead of procedural scenes")
    s.add_argument("--images")
    s.add_argument("--objectness-threshold", type=float)
    s.add_argument("--tune-threshold", action="store_true", help="pick the objectness threshold on val scenes")
    s.add_argument("--tune-scenes", type=int, default=100)
    s.add_argument("--write-manifest", action="store_true", help="record metrics (and threshold) in the pack")
    s.add_argument("--out", help="also write the metrics JSON here")
    s.set_defaults(fn=cmd_evaluate)

    s = sub.add_parser("scenes", help="write procedural scenes as a COCO dataset")
    s.add_argument("--out", required=True)
    s.add_argument("--count", type=int, default=100)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--split", default="finetune", choices=["train", "val", "test", "finetune"])
    s.add_argument("--size", type=int, default=128)
    s.add_argument("--include-held-out", action="store_true")
    s.add_argument("--only-shape", help="keep only scenes containing this shape")
    s.set_defaults(fn=cmd_scenes)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit status."""
    from .train import emit

    try:
        args = build_parser().parse_args(argv)
        _setup_torch(args.threads)
        return int(args.fn(args))
    except UserError as e:
        emit("error", message=str(e))
        sys.stderr.write(f"rose_trainer: error: {e}\n")
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
