"""COCO instances datasets (images + JSON with RLE or polygon masks), as the app exports them.

Everything is validated before training starts, so that a bad dataset fails in one line before any
output exists.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageOps

from .errors import UserError
from .masks import decode_rle, encode_rle, mask_from_polygons
from .scenes import Scene, Segment


@dataclass
class CocoAnnotation:
    """One instance: category name, kind and its segmentation as stored in the JSON."""

    name: str
    kind: str
    segmentation: object


@dataclass
class CocoImage:
    """One image file with its size and annotations."""

    path: str
    width: int
    height: int
    annotations: List[CocoAnnotation] = field(default_factory=list)


def _fail(ann_path: str, problem: str) -> UserError:
    return UserError(f"malformed COCO file {ann_path}: {problem}")


def _int_field(ann_path: str, obj: dict, key: str, where: str) -> int:
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise _fail(ann_path, f"{where} has no integer '{key}'")
    return v


def load_coco(ann_path: str, images_dir: str, check_images: bool = True) -> List[CocoImage]:
    """Parse and validate a COCO instances file; UserError (one line) on any problem.

    Crowd annotations (iscrowd=1) are skipped: they mark regions, not instances to name.
    """
    if not os.path.isfile(ann_path):
        raise UserError(f"COCO file not found: {ann_path}")
    if not os.path.isdir(images_dir):
        raise UserError(f"image folder not found: {images_dir}")
    try:
        with open(ann_path, encoding="utf-8") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _fail(ann_path, f"not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise _fail(ann_path, "top level is not an object")
    for key in ("images", "annotations", "categories"):
        if not isinstance(doc.get(key), list):
            raise _fail(ann_path, f"missing list '{key}'")

    cats: Dict[int, tuple] = {}
    for i, c in enumerate(doc["categories"]):
        if not isinstance(c, dict):
            raise _fail(ann_path, f"categories[{i}] is not an object")
        cid = _int_field(ann_path, c, "id", f"categories[{i}]")
        name = c.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(ann_path, f"category {cid} has no name")
        kind = "stuff" if c.get("isthing") == 0 else "thing"
        cats[cid] = (" ".join(name.split()), kind)

    images: Dict[int, CocoImage] = {}
    for i, im in enumerate(doc["images"]):
        if not isinstance(im, dict):
            raise _fail(ann_path, f"images[{i}] is not an object")
        iid = _int_field(ann_path, im, "id", f"images[{i}]")
        w = _int_field(ann_path, im, "width", f"image {iid}")
        h = _int_field(ann_path, im, "height", f"image {iid}")
        fn = im.get("file_name")
        if not isinstance(fn, str) or not fn:
            raise _fail(ann_path, f"image {iid} has no file_name")
        if w <= 0 or h <= 0:
            raise _fail(ann_path, f"image {iid} has size {w}x{h}")
        if iid in images:
            raise _fail(ann_path, f"duplicate image id {iid}")
        images[iid] = CocoImage(path=os.path.join(images_dir, fn), width=w, height=h)

    count = 0
    for i, a in enumerate(doc["annotations"]):
        if not isinstance(a, dict):
            raise _fail(ann_path, f"annotations[{i}] is not an object")
        iid = _int_field(ann_path, a, "image_id", f"annotations[{i}]")
        cid = _int_field(ann_path, a, "category_id", f"annotations[{i}]")
        if iid not in images:
            raise _fail(ann_path, f"annotations[{i}] refers to unknown image {iid}")
        if cid not in cats:
            raise _fail(ann_path, f"annotations[{i}] refers to unknown category {cid}")
        if a.get("iscrowd", 0) == 1:
            continue
        seg = a.get("segmentation")
        img = images[iid]
        try:
            _check_segmentation(seg, img.height, img.width)
        except ValueError as e:
            raise _fail(ann_path, f"annotations[{i}] segmentation: {e}") from None
        # A mask without a pixel teaches nothing (and would be a positive with no object); it is left out.
        if not segmentation_mask(seg, img.height, img.width).any():
            continue
        img.annotations.append(CocoAnnotation(name=cats[cid][0], kind=cats[cid][1], segmentation=seg))
        count += 1
    if count == 0:
        raise UserError(f"empty dataset: {ann_path} has no usable annotations (none that is not a crowd and has a non-empty mask)")

    used = [im for im in images.values()]
    if check_images:
        missing = [im.path for im in used if not os.path.isfile(im.path)]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise UserError(f"missing image file {missing[0]}{more}")
        for im in used:
            try:
                with Image.open(im.path) as pil:
                    pil.verify()
                with Image.open(im.path) as pil:  # verify() leaves the image unusable; the header is read again
                    size = _oriented_size(pil)
            except Exception as e:  # PIL raises many types for corrupt files
                raise UserError(f"unreadable image file {im.path}: {e}") from None
            # Checked here, before any output is written, not first when the image is decoded for training.
            if size != (im.width, im.height):
                raise UserError(f"image {im.path} is {size[0]}x{size[1]} but the COCO file says {im.width}x{im.height}")
    return used


def _oriented_size(pil: Image.Image) -> Tuple[int, int]:
    """(width, height) after EXIF orientation, as `load_image_rgb` will see the image; header only."""
    orientation = pil.getexif().get(0x0112, 1)
    w, h = pil.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _check_segmentation(seg: object, h: int, w: int) -> None:
    if isinstance(seg, dict):
        size = seg.get("size")
        if not (isinstance(size, list) and len(size) == 2 and size == [h, w]):
            raise ValueError(f"RLE size {size} does not match image size [{h}, {w}]")
        if not isinstance(seg.get("counts"), (str, list)):
            raise ValueError("RLE has no counts")
        decode_rle(seg)
    elif isinstance(seg, list):
        if not seg or not all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0 and
                              all(isinstance(v, (int, float)) for v in p) for p in seg):
            raise ValueError("polygons must be lists of at least 3 (x, y) pairs")
    else:
        raise ValueError("neither RLE nor polygons")


def segmentation_mask(seg: object, h: int, w: int) -> np.ndarray:
    """Bool mask of a validated segmentation."""
    if isinstance(seg, dict):
        return decode_rle(seg)
    return mask_from_polygons(seg, h, w)  # type: ignore[arg-type]


def load_image_rgb(path: str, width: int, height: int) -> np.ndarray:
    """Decode an image as uint8 RGB with EXIF orientation applied; UserError if its size disagrees with the JSON."""
    try:
        with Image.open(path) as pil:
            rgb = ImageOps.exif_transpose(pil).convert("RGB")
            arr = np.asarray(rgb, dtype=np.uint8).copy()
    except Exception as e:
        raise UserError(f"unreadable image file {path}: {e}") from None
    if arr.shape[0] != height or arr.shape[1] != width:
        raise UserError(f"image {path} is {arr.shape[1]}x{arr.shape[0]} but the COCO file says {width}x{height}")
    return arr


def coco_scene(img: CocoImage) -> Scene:
    """A training scene from a COCO image (empty masks dropped)."""
    rgb = load_image_rgb(img.path, img.width, img.height)
    segs = []
    for a in img.annotations:
        m = segmentation_mask(a.segmentation, img.height, img.width)
        if m.any():
            segs.append(Segment(name=a.name, kind=a.kind, mask=m))
    return Scene(image=rgb, segments=segs)


def write_coco(scenes: Sequence[Scene], out_dir: str, prefix: str = "scene") -> str:
    """Write scenes as PNG files plus instances.json (compressed RLE), as the app's exporter does."""
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    names: Dict[str, int] = {}
    kinds: Dict[str, str] = {}
    images, anns = [], []
    for i, sc in enumerate(scenes):
        fn = f"{prefix}-{i:05d}.png"
        Image.fromarray(sc.image).save(os.path.join(out_dir, "images", fn))
        images.append({"id": i + 1, "file_name": fn, "width": sc.width, "height": sc.height})
        for s in sc.segments:
            cid = names.setdefault(s.name, len(names) + 1)
            kinds[s.name] = s.kind
            ys, xs = np.nonzero(s.mask)
            bbox = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": cid, "iscrowd": 0,
                         "area": int(s.mask.sum()), "bbox": bbox, "segmentation": encode_rle(s.mask)})
    cats = [{"id": cid, "name": n, "supercategory": kinds[n], "isthing": 0 if kinds[n] == "stuff" else 1}
            for n, cid in names.items()]
    path = os.path.join(out_dir, "instances.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    return path
