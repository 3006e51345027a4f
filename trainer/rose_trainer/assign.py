"""Super-patch roles and the paper's positive assignment (sec. 3.2, 4.3, supplementary 6.2).

The S×S patch grid is tiled by 3×3 super-patches whose cells have fixed roles (4 small, 3 medium,
1 large, 1 stuff). A segment whose centre falls in patch (h, w) is assigned to the patches of the
3×3 window around (h, w) whose role matches the segment's scale class. Because a 3×3 window holds
exactly one cell of each (h mod 3, w mod 3) class, every segment gets 4, 3, 1 or 1 positives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

ROLE_LAYOUT: Tuple[Tuple[str, str, str], ...] = (
    ("small", "medium", "small"),
    ("medium", "large", "medium"),
    ("small", "stuff", "small"),
)
ROLES = ("small", "medium", "large", "stuff")
# Scale class thresholds on sqrt(visible area) / L in the vision frame.
SCALE_THRESHOLDS: Dict[str, float] = {"small_below": 0.125, "medium_below": 0.3}


def role_of(h: int, w: int) -> str:
    """Role of patch (h, w)."""
    return ROLE_LAYOUT[h % 3][w % 3]


def role_grid(grid: int) -> np.ndarray:
    """[S, S] array of role names."""
    return np.array([[role_of(h, w) for w in range(grid)] for h in range(grid)])


def scale_class(mask: np.ndarray, kind: str, frame_size: int,
                thresholds: Dict[str, float] = SCALE_THRESHOLDS) -> str:
    """Role that detects a segment: "stuff" for stuff, else small/medium/large by its size."""
    if kind == "stuff":
        return "stuff"
    rel = float(np.sqrt(mask.sum())) / frame_size
    if rel < thresholds["small_below"]:
        return "small"
    if rel < thresholds["medium_below"]:
        return "medium"
    return "large"


def _erode4(m: np.ndarray) -> np.ndarray:
    out = m.copy()
    out[1:] &= m[:-1]
    out[:-1] &= m[1:]
    out[:, 1:] &= m[:, :-1]
    out[:, :-1] &= m[:, 1:]
    out[0, :] = False
    out[-1, :] = False
    out[:, 0] = False
    out[:, -1] = False
    return out


def segment_centre(mask: np.ndarray, kind: str) -> Tuple[float, float]:
    """(y, x) pixel centre: centre of mass for things; for stuff the deepest interior point.

    Stuff regions wrap around objects, so their centre of mass may lie on a thing; the last pixels to
    survive repeated erosion are inside the region and far from its borders.
    """
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        raise ValueError("empty mask has no centre")
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    if kind != "stuff":
        return float(cy), float(cx)
    cur = mask.astype(bool)
    while True:
        nxt = _erode4(cur)
        if not nxt.any():
            break
        cur = nxt
    ys, xs = np.nonzero(cur)
    k = int(np.argmin((ys + 0.5 - cy) ** 2 + (xs + 0.5 - cx) ** 2))
    return float(ys[k] + 0.5), float(xs[k] + 0.5)


@dataclass
class Assignment:
    """Positive patches (row-major indices) per segment, and the role used."""

    positives: List[List[int]]
    roles: List[str]
    centres: List[Tuple[float, float]]


def assign_positives(masks: Sequence[np.ndarray], kinds: Sequence[str], grid: int, patch: int,
                     thresholds: Dict[str, float] = SCALE_THRESHOLDS) -> Assignment:
    """Assign each segment (masks in the vision frame, L = grid·patch) to its role patches.

    A patch claimed by several segments goes to the one whose centre is nearest to the patch centre
    (then the smaller one), so crowded small objects keep distinct detectors.
    """
    frame = grid * patch
    claims: Dict[int, List[Tuple[float, float, int]]] = {}
    roles: List[str] = []
    centres: List[Tuple[float, float]] = []
    for i, (m, kind) in enumerate(zip(masks, kinds)):
        role = scale_class(m, kind, frame, thresholds)
        cy, cx = segment_centre(m, kind)
        roles.append(role)
        centres.append((cy, cx))
        ch = min(grid - 1, int(cy // patch))
        cw = min(grid - 1, int(cx // patch))
        # The window is shifted inside the grid at borders so that it always holds one cell of each role.
        r0 = min(max(ch - 1, 0), grid - 3)
        c0 = min(max(cw - 1, 0), grid - 3)
        area = float(m.sum())
        for h in range(r0, r0 + 3):
            for w in range(c0, c0 + 3):
                if role_of(h, w) != role:
                    continue
                d = ((h + 0.5) * patch - cy) ** 2 + ((w + 0.5) * patch - cx) ** 2
                claims.setdefault(h * grid + w, []).append((d, area, i))
    positives: List[List[int]] = [[] for _ in masks]
    for p, cl in claims.items():
        _, _, winner = min(cl)
        positives[winner].append(p)
    for lst in positives:
        lst.sort()
    return Assignment(positives=positives, roles=roles, centres=centres)
