"""Procedural pre-training scenes: coloured shapes named "colour shape" on textured "stuff" backgrounds.

Scenes range from one large object to many small ones so that every super-patch role (small, medium,
large, stuff) gets supervision. The shape class `HELD_OUT_SHAPE` ("heart") never appears in
pre-training scenes: it is the unseen class that fine-tuning must teach (see docs/model-pack.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "orange": (245, 140, 25),
    "yellow": (240, 215, 35),
    "green": (45, 170, 65),
    "blue": (35, 75, 215),
    "purple": (135, 55, 180),
    "pink": (245, 135, 195),
    "white": (245, 245, 245),
    "black": (25, 25, 25),
}
SHAPES = ("circle", "square", "triangle", "star", "hexagon", "cross", "diamond", "heart")
HELD_OUT_SHAPE = "heart"
PRETRAIN_SHAPES = tuple(s for s in SHAPES if s != HELD_OUT_SHAPE)
STUFF_TOP = ("sky", "brick wall")
STUFF_BOTTOM = ("grass", "sand", "water")
STUFF = STUFF_TOP + STUFF_BOTTOM


def thing_names(shapes: Sequence[str] = SHAPES) -> List[str]:
    """Every "colour shape" name for the given shapes."""
    return [f"{c} {s}" for s in shapes for c in COLOURS]


@dataclass
class Segment:
    """One ground-truth segment: a visible mask and its name."""

    name: str
    kind: str  # "thing" or "stuff"
    mask: np.ndarray  # bool [H, W]


@dataclass
class Scene:
    """An RGB image with its segments (things drawn over stuff, occlusion already applied)."""

    image: np.ndarray  # uint8 [H, W, 3]
    segments: List[Segment] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Image rows."""
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        """Image columns."""
        return int(self.image.shape[1])


# ------------------------------------------------------------------------------------------- shapes

def _polygon_inside(xs: np.ndarray, ys: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test for pixel centres (vectorised over pixels, looped over edges)."""
    inside = np.zeros(xs.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if y1 == y2:
            continue
        cond = (ys >= min(y1, y2)) & (ys < max(y1, y2))
        xcross = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
        inside ^= cond & (xs < xcross)
    return inside


def _shape_polygon(shape: str, size: float) -> np.ndarray:
    """Vertices (unit: pixels, centred at 0) of a polygonal shape whose bounding circle has diameter `size`."""
    r = size / 2
    if shape == "square":
        a = r / math.sqrt(2)
        return np.array([[-a, -a], [a, -a], [a, a], [-a, a]])
    if shape == "triangle":
        ang = np.deg2rad([-90, 30, 150])
        return np.stack([r * np.cos(ang), r * np.sin(ang)], 1)
    if shape == "hexagon":
        ang = np.deg2rad(np.arange(6) * 60)
        return np.stack([r * np.cos(ang), r * np.sin(ang)], 1)
    if shape == "star":
        ang = np.deg2rad(np.arange(10) * 36 - 90)
        rad = np.where(np.arange(10) % 2 == 0, r, 0.42 * r)
        return np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1)
    if shape == "cross":
        a = 0.19 * size
        b = r * 0.98
        return np.array([[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b], [-a, b], [-a, a],
                         [-b, a], [-b, -a], [-a, -a]])
    if shape == "diamond":
        return np.array([[0, -r], [0.6 * r, 0], [0, r], [-0.6 * r, 0]])
    if shape == "heart":
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        pts = np.stack([x, y + 2.5], 1)
        return pts * (r / 17.0)
    raise ValueError(f"unknown shape {shape!r}")


def render_shape(shape: str, cx: float, cy: float, size: float, angle: float, h: int, w: int) -> np.ndarray:
    """Bool mask of one shape on an h×w canvas (pixel centres tested)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    if shape == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= (size / 2) ** 2
    poly = _shape_polygon(shape, size)
    c, s = math.cos(angle), math.sin(angle)
    rot = poly @ np.array([[c, s], [-s, c]])
    rot[:, 0] += cx
    rot[:, 1] += cy
    x0, y0 = max(0, int(rot[:, 0].min()) - 1), max(0, int(rot[:, 1].min()) - 1)
    x1, y1 = min(w, int(rot[:, 0].max()) + 2), min(h, int(rot[:, 1].max()) + 2)
    out = np.zeros((h, w), dtype=bool)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = _polygon_inside(xs[y0:y1, x0:x1], ys[y0:y1, x0:x1], rot)
    return out


# -------------------------------------------------------------------------------------------- stuff

def _stuff_texture(name: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Float RGB texture [h, w, 3] in 0..255 that identifies a stuff class by colour and pattern."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    jitter = rng.uniform(-12, 12, size=3)
    if name == "sky":
        t = (ys / max(h - 1, 1))[..., None]
        top, bottom = np.array([105, 165, 230]), np.array([185, 215, 245])
        img = top * (1 - t) + bottom * t + rng.normal(0, 2.5, (h, w, 1))
    elif name == "grass":
        base = np.array([70, 140, 50])
        streak = np.sin(xs * rng.uniform(0.9, 1.4) + rng.uniform(0, 6)) * 10
        img = base + streak[..., None] + rng.normal(0, 16, (h, w, 1)) * np.array([0.6, 1.0, 0.5])
    elif name == "sand":
        base = np.array([215, 195, 145])
        img = base + rng.normal(0, 9, (h, w, 1))
        dots = rng.random((h, w)) < 0.04
        img[dots] -= 45
    elif name == "water":
        base = np.array([40, 105, 160])
        wave = np.sin(ys * rng.uniform(0.7, 1.1) + 2.5 * np.sin(xs * rng.uniform(0.12, 0.25)))
        img = base + 22 * wave[..., None] + rng.normal(0, 3, (h, w, 1))
    elif name == "brick wall":
        base = np.array([160, 72, 55])
        img = np.broadcast_to(base, (h, w, 3)).astype(np.float32) + rng.normal(0, 7, (h, w, 1))
        oy, ox = rng.integers(0, 8), rng.integers(0, 16)
        row = ((ys + oy) // 8).astype(int)
        mortar = ((ys + oy) % 8 < 1.5) | (((xs + ox + (row % 2) * 8) % 16) < 1.5)
        img[mortar] = np.array([200, 195, 185])
    else:
        raise ValueError(f"unknown stuff {name!r}")
    return np.clip(img + jitter, 0, 255)


# -------------------------------------------------------------------------------------------- scenes

@dataclass(frozen=True)
class SceneConfig:
    """Knobs of the generator; sizes are fractions of the longest image side."""

    size: int = 128
    shapes: Tuple[str, ...] = PRETRAIN_SHAPES
    non_square_prob: float = 0.3
    min_side_frac: float = 0.6
    min_visible_frac: float = 0.55
    min_center_dist: float = 10.0


def _object_sizes(rng: np.random.Generator, kind: str) -> List[float]:
    if kind == "large":
        return [rng.uniform(0.45, 0.8)] + list(rng.uniform(0.1, 0.16, size=rng.integers(0, 4)))
    if kind == "medium":
        return list(rng.uniform(0.2, 0.4, size=rng.integers(2, 6)))
    if kind == "small":
        return list(rng.uniform(0.1, 0.18, size=rng.integers(4, 13)))
    return list(np.exp(rng.uniform(math.log(0.1), math.log(0.6), size=rng.integers(2, 9))))


def generate_scene(rng: np.random.Generator, cfg: SceneConfig = SceneConfig()) -> Scene:
    """Draw one scene: 1–2 stuff regions, then shapes from large to small with bounded occlusion."""
    L = cfg.size
    if rng.random() < cfg.non_square_prob:
        short = int(rng.integers(int(L * cfg.min_side_frac), L))
        h, w = (short, L) if rng.random() < 0.5 else (L, short)
    else:
        h, w = L, L

    # Background: one stuff class, or a top and a bottom class split by a wavy horizon.
    if rng.random() < 0.65:
        top_name = str(rng.choice(STUFF_TOP))
        bottom_name = str(rng.choice(STUFF_BOTTOM))
        xs = np.arange(w, dtype=np.float64) + 0.5
        horizon = h * rng.uniform(0.3, 0.7) + h * rng.uniform(0.0, 0.08) * np.sin(
            2 * np.pi * xs / rng.uniform(0.5 * w, 1.5 * w) + rng.uniform(0, 2 * np.pi))
        ys = np.arange(h, dtype=np.float64)[:, None] + 0.5
        top_mask = ys < horizon[None, :]
        regions = [(top_name, top_mask), (bottom_name, ~top_mask)]
    else:
        regions = [(str(rng.choice(STUFF)), np.ones((h, w), dtype=bool))]
    img = np.zeros((h, w, 3), dtype=np.float32)
    for name, m in regions:
        img[m] = _stuff_texture(name, h, w, rng)[m]

    kind = str(rng.choice(["large", "medium", "small", "mixed"], p=[0.2, 0.3, 0.25, 0.25]))
    sizes = sorted(_object_sizes(rng, kind), reverse=True)
    label = np.full((h, w), -1, dtype=np.int32)
    full_area: List[int] = []
    centres: List[Tuple[float, float]] = []
    things: List[Tuple[str, Tuple[int, int, int]]] = []
    for frac in sizes:
        size = frac * max(h, w)
        for _attempt in range(25):
            margin = size * 0.3
            cx = rng.uniform(min(margin, w / 2), max(w - margin, w / 2))
            cy = rng.uniform(min(margin, h / 2), max(h - margin, h / 2))
            if any(math.hypot(cx - a, cy - b) < cfg.min_center_dist for a, b in centres):
                continue
            shape = str(rng.choice(cfg.shapes))
            m = render_shape(shape, cx, cy, size, rng.uniform(-0.26, 0.26), h, w)
            area = int(m.sum())
            if area < 30:
                continue
            trial = label.copy()
            trial[m] = len(full_area)
            ok = all((trial == k).sum() >= cfg.min_visible_frac * full_area[k] for k in range(len(full_area)))
            if not ok:
                continue
            label = trial
            full_area.append(area)
            centres.append((cx, cy))
            colour = str(rng.choice(list(COLOURS)))
            things.append((f"{colour} {shape}", COLOURS[colour]))
            break

    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for k, (_name, rgb) in enumerate(things):
        m = label == k
        base = np.array(rgb, dtype=np.float32) + rng.uniform(-14, 14, size=3)
        # A soft directional shading keeps flat shapes from being trivially uniform.
        gx, gy = rng.uniform(-0.25, 0.25, size=2)
        shade = 1.0 + (gx * (xs - xs[m].mean()) + gy * (ys - ys[m].mean())) / max(h, w)
        img[m] = (base[None, :] * shade[m][:, None])
    img += rng.normal(0, 3.0, img.shape)
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)

    segments: List[Segment] = []
    for k, (name, _rgb) in enumerate(things):
        segments.append(Segment(name=name, kind="thing", mask=label == k))
    for name, m in regions:
        visible = m & (label < 0)
        if visible.sum() >= 0.02 * h * w:
            segments.append(Segment(name=name, kind="stuff", mask=visible))
    return Scene(image=image, segments=segments)


def scene_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """Independent random stream for scene `index` of a split, so that splits never share scenes."""
    salt = {"train": 0, "val": 1, "test": 2, "golden": 3, "finetune": 4}[split]
    return np.random.default_rng([seed, salt, index])
