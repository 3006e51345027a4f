"""Binary masks: COCO compressed RLE, polygon rasterisation, IoU, and the image-frame geometry of a pack.

RLE and polygon code are ports of the reference COCO API (`maskApi.c`) so that what the trainer reads
and writes agrees bit for bit with pycocotools and with the app's TypeScript codec.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np


# ---------------------------------------------------------------------------------------------- RLE

def rle_counts_from_mask(mask: np.ndarray) -> List[int]:
    """Uncompressed COCO run lengths of a 2-D mask (column-major, the first run counts zeros)."""
    flat = np.asarray(mask, dtype=bool).reshape(-1, order="F")
    if flat.size == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs
    return runs


def mask_from_rle_counts(counts: Sequence[int], height: int, width: int) -> np.ndarray:
    """2-D bool mask from uncompressed run lengths; ValueError if they do not sum to height×width."""
    total = int(sum(counts))
    if total != height * width:
        raise ValueError(f"RLE counts sum to {total}, expected {height}x{width}={height * width}")
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, np.asarray(counts, dtype=np.int64))
    return flat.reshape((height, width), order="F")


def rle_string_from_counts(counts: Sequence[int]) -> str:
    """COCO's compressed counts string (`rleToString`: 5-bit groups, delta against the run two back)."""
    out = []
    for i, c in enumerate(counts):
        x = int(c)
        if i > 2:
            x -= int(counts[i - 2])
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


def rle_counts_from_string(s: str) -> List[int]:
    """Inverse of `rle_string_from_counts` (`rleFrString`); ValueError on characters outside the alphabet."""
    counts: List[int] = []
    p = 0
    n = len(s)
    while p < n:
        x = 0
        k = 0
        more = True
        while more:
            if p >= n:
                raise ValueError("truncated RLE counts string")
            c = ord(s[p]) - 48
            if c < 0 or c > 63:
                raise ValueError(f"invalid character {s[p]!r} in RLE counts string")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        if x < 0:
            raise ValueError("negative run in RLE counts string")
        counts.append(x)
    return counts


def encode_rle(mask: np.ndarray) -> Dict[str, object]:
    """COCO compressed RLE `{"size": [h, w], "counts": str}` of a 2-D mask."""
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": rle_string_from_counts(rle_counts_from_mask(mask))}


def decode_rle(rle: Dict[str, object]) -> np.ndarray:
    """2-D bool mask of a COCO RLE (compressed string or uncompressed list counts)."""
    h, w = (int(v) for v in rle["size"])  # type: ignore[index]
    counts = rle["counts"]
    if isinstance(counts, str):
        runs = rle_counts_from_string(counts)
    elif isinstance(counts, (bytes, bytearray)):
        runs = rle_counts_from_string(counts.decode("ascii"))
    elif isinstance(counts, list):
        runs = [int(c) for c in counts]
    else:
        raise ValueError("RLE counts must be a string or a list of integers")
    return mask_from_rle_counts(runs, h, w)


# ----------------------------------------------------------------------------------------- polygons

def _rle_from_polygon(xy: Sequence[float], h: int, w: int) -> List[int]:
    """Port of `rleFrPoly`: upsample ×5, walk the boundary, keep the x-crossings, run-length encode."""
    k = len(xy) // 2
    scale = 5.0
    x = [int(scale * xy[2 * j] + 0.5) for j in range(k)] + [0]
    y = [int(scale * xy[2 * j + 1] + 0.5) for j in range(k)] + [0]
    x[k] = x[0]
    y[k] = y[0]
    u: List[int] = []
    v: List[int] = []
    for j in range(k):
        xs, xe, ys, ye = x[j], x[j + 1], y[j], y[j + 1]
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe = xe, xs
            ys, ye = ye, ys
        if dx >= dy:
            s = (ye - ys) / dx if dx else 0.0
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs)
                v.append(int(ys + s * t + 0.5))
        else:
            s = (xe - xs) / dy if dy else 0.0
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys)
                u.append(int(xs + s * t + 0.5))
    px: List[int] = []
    py: List[int] = []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = float(u[j] if u[j] < u[j - 1] else u[j] - 1)
        xd = (xd + 0.5) / scale - 0.5
        if math.floor(xd) != xd or xd < 0 or xd > w - 1:
            continue
        yd = float(v[j] if v[j] < v[j - 1] else v[j - 1])
        yd = (yd + 0.5) / scale - 0.5
        yd = 0.0 if yd < 0 else (float(h) if yd > h else yd)
        yd = math.ceil(yd)
        px.append(int(xd))
        py.append(int(yd))
    a = sorted([xx * h + yy for xx, yy in zip(px, py)] + [h * w])
    prev = 0
    for j in range(len(a)):
        t = a[j]
        a[j] -= prev
        prev = t
    b = [a[0]]
    j = 1
    while j < len(a):
        if a[j] > 0:
            b.append(a[j])
            j += 1
        else:
            j += 1
            if j < len(a):
                b[-1] += a[j]
                j += 1
    return b


def mask_from_polygons(polygons: Sequence[Sequence[float]], h: int, w: int) -> np.ndarray:
    """Union of COCO polygons rasterised exactly as the reference API does."""
    out = np.zeros((h, w), dtype=bool)
    for poly in polygons:
        if len(poly) < 6 or len(poly) % 2:
            raise ValueError("a polygon needs an even number of coordinates, at least 6")
        out |= mask_from_rle_counts(_rle_from_polygon(poly, h, w), h, w)
    return out


# ------------------------------------------------------------------------------------------- metrics

def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks (0 when both are empty)."""
    inter = np.logical_and(a, b).sum()
    union = np.logical_or(a, b).sum()
    return float(inter) / float(union) if union else 0.0


def iou_matrix(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> np.ndarray:
    """Pairwise IoU [len(preds), len(gts)] computed with one matrix product."""
    if not preds or not gts:
        return np.zeros((len(preds), len(gts)), dtype=np.float64)
    p = np.stack([m.reshape(-1) for m in preds]).astype(np.float32)
    g = np.stack([m.reshape(-1) for m in gts]).astype(np.float32)
    inter = p @ g.T
    union = p.sum(1)[:, None] + g.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float64)


def mask_bbox(mask: np.ndarray) -> Tuple[float, float, float, float]:
    """COCO bbox [x, y, w, h] of a mask (zeros when empty)."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


# -------------------------------------------------------------------------------------- frame geometry

@dataclass(frozen=True)
class Letterbox:
    """How an original H0×W0 image sits in a square L×L model frame: scaled by `scale`, top-left aligned."""

    size: int
    orig_h: int
    orig_w: int

    @property
    def scale(self) -> float:
        """Model-frame pixels per original pixel (longest side → L)."""
        return self.size / max(self.orig_h, self.orig_w)

    @property
    def content_h(self) -> int:
        """Rows of the frame covered by the image; the rest is padding."""
        return int(round(self.orig_h * self.scale))

    @property
    def content_w(self) -> int:
        """Columns of the frame covered by the image; the rest is padding."""
        return int(round(self.orig_w * self.scale))


def logits_to_image_mask(logits: np.ndarray, orig_h: int, orig_w: int, frame_size: int,
                         threshold: float = 0.0) -> np.ndarray:
    """Map low-resolution mask logits (an r×r grid over the square L×L frame) to an orig_h×orig_w bool mask.

    Pixel (x, y) of the original image samples the logits bilinearly at
    u = (x + 0.5)·s·r/L − 0.5, v = (y + 0.5)·s·r/L − 0.5 with s = L / max(orig_h, orig_w), clamping
    to the grid edge; the pixel is in the mask when the sample is > threshold. This is the binding rule
    of docs/model-pack.md ("Mask logits to image pixels").
    """
    r = logits.shape[-1]
    s = frame_size / max(orig_h, orig_w)
    k = s * r / frame_size
    v = (np.arange(orig_h, dtype=np.float64) + 0.5) * k - 0.5
    u = (np.arange(orig_w, dtype=np.float64) + 0.5) * k - 0.5
    v = np.clip(v, 0.0, r - 1)
    u = np.clip(u, 0.0, r - 1)
    v0 = np.floor(v).astype(np.int64)
    u0 = np.floor(u).astype(np.int64)
    v1 = np.minimum(v0 + 1, r - 1)
    u1 = np.minimum(u0 + 1, r - 1)
    fv = (v - v0)[:, None]
    fu = (u - u0)[None, :]
    g = logits.astype(np.float64)
    top = g[v0][:, u0] * (1 - fu) + g[v0][:, u1] * fu
    bot = g[v1][:, u0] * (1 - fu) + g[v1][:, u1] * fu
    return (top * (1 - fv) + bot * fv) > threshold


def component_labels(fg: np.ndarray) -> Tuple[np.ndarray, List[int]]:
    """4-connected components of a 2-D bool array: (labels with 0 = background and 1..n numbered in raster
    order of each component's first cell, areas[n]).

    Vectorised min-label propagation: every cell starts with its raster index and repeatedly takes the
    smallest label among itself and its foreground 4-neighbours until nothing changes, so each
    component ends labelled by its first cell in raster order.
    """
    h, w = fg.shape
    big = h * w
    lab = np.where(fg, np.arange(big).reshape(h, w), big)
    while True:
        nxt = lab.copy()
        nxt[1:] = np.minimum(nxt[1:], np.where(fg[1:] & fg[:-1], lab[:-1], big))
        nxt[:-1] = np.minimum(nxt[:-1], np.where(fg[:-1] & fg[1:], lab[1:], big))
        nxt[:, 1:] = np.minimum(nxt[:, 1:], np.where(fg[:, 1:] & fg[:, :-1], lab[:, :-1], big))
        nxt[:, :-1] = np.minimum(nxt[:, :-1], np.where(fg[:, :-1] & fg[:, 1:], lab[:, 1:], big))
        nxt = np.where(fg, nxt, big)
        if np.array_equal(nxt, lab):
            break
        lab = nxt
    roots, inverse, counts = np.unique(lab[fg], return_inverse=True, return_counts=True)
    labels = np.zeros((h, w), dtype=np.int32)
    labels[fg] = inverse + 1
    return labels, counts.tolist()


def remove_fragments(logits: np.ndarray, threshold: float, min_fraction: float, floor: float = -20.0) -> np.ndarray:
    """Mask logits with every 4-connected foreground component smaller than min_fraction × the largest one
    pushed down to min(logit, floor) (the binding rule of docs/model-pack.md, "Fragments")."""
    fg = logits > threshold
    if not fg.any() or min_fraction <= 0:
        return logits
    labels, areas = component_labels(fg)
    if len(areas) < 2:
        return logits
    keep = np.asarray([0] + [1 if a >= min_fraction * max(areas) else 0 for a in areas], dtype=bool)
    out = logits.copy()
    drop = fg & ~keep[labels]
    out[drop] = np.minimum(out[drop], floor)
    return out


def box_to_text(box_xyxy: Sequence[float], orig_h: int, orig_w: int) -> str:
    """The `{box}` text of refinement prompts: "[x1, y1, x2, y2]" in integer percent of width/height."""
    x1, y1, x2, y2 = box_xyxy
    vals = [x1 / orig_w, y1 / orig_h, x2 / orig_w, y2 / orig_h]
    ints = [min(100, max(0, int(round(100 * t)))) for t in vals]
    return "[" + ", ".join(str(i) for i in ints) + "]"
