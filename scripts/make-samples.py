#!/usr/bin/python3
"""Builds resources/samples/: the images a new project opens with.

* Real photographs from scikit-image's data folder (public domain / CC0; see LICENSES.md),
  re-encoded as JPEG quality 85 to keep the folder small. One is stored rotated with EXIF
  orientation 6, so that the default project exercises orientation handling end to end.
* Synthetic scenes drawn by the trainer's own scene generator (trainer/rose_trainer/scenes.py),
  so they are exactly the kind of image rose-tiny was trained on: from one large object to many
  small ones, on "stuff" backgrounds; one scene uses the held-out "heart" shape that fine-tuning
  has to teach. Their ground truth (name, kind, bbox, area) goes to scenes.json.

Usage (Debian's python with numpy and Pillow):
    cd /tmp && apt-get download python3-skimage && dpkg -x python3-skimage_*.deb skim
    /usr/bin/python3 scripts/make-samples.py /tmp/skim/usr/lib/python3/dist-packages/skimage/data
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'resources' / 'samples'
sys.path.insert(0, str(ROOT / 'trainer'))
from rose_trainer.scenes import SHAPES, SceneConfig, generate_scene  # noqa: E402

PHOTOS = {
    # output name: (scikit-image file, EXIF orientation to store it with)
    'astronaut.jpg': ('astronaut.png', 1),
    'chelsea.jpg': ('chelsea.png', 1),
    'coffee.jpg': ('coffee.png', 1),
    'coins.jpg': ('coins.png', 1),
    'rocket.jpg': ('rocket.jpg', 6),
}

# Scene name → (how to recognise the wanted layout among seeds, generator config).
SCENE_SIZE = 320


def things(scene):
    return [s for s in scene.segments if s.kind == 'thing']


def one_large(scene):
    t = things(scene)
    return len(t) == 1 and t[0].mask.sum() > 0.2 * scene.width * scene.height


def few_medium(scene):
    t = things(scene)
    return 3 <= len(t) <= 5 and all(0.02 < s.mask.sum() / (scene.width * scene.height) < 0.15 for s in t)


def many_small(scene):
    t = things(scene)
    return len(t) >= 9 and all(s.mask.sum() / (scene.width * scene.height) < 0.04 for s in t)


def mixed_sizes(scene):
    t = things(scene)
    areas = sorted(s.mask.sum() / (scene.width * scene.height) for s in t)
    return len(t) >= 5 and areas[-1] > 0.1 and areas[0] < 0.02 and len({s.kind for s in scene.segments}) == 2


def with_heart(scene):
    t = things(scene)
    return 3 <= len(t) <= 6 and sum(s.name.endswith('heart') for s in t) >= 2


SCENES = {
    'scene-one-large-object.png': (one_large, SceneConfig(size=SCENE_SIZE, non_square_prob=0.0)),
    'scene-few-medium-objects.png': (few_medium, SceneConfig(size=SCENE_SIZE, non_square_prob=0.0)),
    'scene-many-small-objects.png': (many_small, SceneConfig(size=SCENE_SIZE, non_square_prob=0.0)),
    'scene-mixed-sizes.png': (mixed_sizes, SceneConfig(size=SCENE_SIZE, non_square_prob=0.0)),
    'scene-hearts-unseen-shape.png': (with_heart, SceneConfig(size=SCENE_SIZE, non_square_prob=0.0, shapes=SHAPES)),
}


def save_photo(source: Path, target: Path, orientation: int) -> None:
    image = Image.open(source)
    # Keep grayscale photographs grayscale (coins): a one-channel JPEG is a case worth shipping.
    image = image.convert('L' if image.mode in ('L', 'I;16') else 'RGB')
    if max(image.size) > 640:
        image.thumbnail((640, 640), Image.LANCZOS)
    exif = Image.Exif()
    if orientation == 6:
        # Orientation 6 means "rotate 90° clockwise to display": store the pixels turned the other way.
        image = image.transpose(Image.ROTATE_90)
        exif[0x0112] = 6
    image.save(target, 'JPEG', quality=85, optimize=True, exif=exif.tobytes())


def bbox(mask):
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if data is None or not data.is_dir():
        sys.exit(__doc__)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (source, orientation) in PHOTOS.items():
        save_photo(data / source, OUT / name, orientation)

    truth = {}
    for name, (wanted, config) in SCENES.items():
        for seed in range(10_000):
            scene = generate_scene(np.random.default_rng([2024, seed]), config)
            if wanted(scene):
                break
        else:
            sys.exit(f'no seed gave {name}')
        Image.fromarray(scene.image).save(OUT / name, optimize=True)
        truth[name] = {
            'seed': [2024, seed],
            'width': scene.width,
            'height': scene.height,
            'segments': [
                {'name': s.name, 'kind': s.kind, 'bbox': bbox(s.mask), 'area': int(s.mask.sum())} for s in scene.segments
            ],
        }
    (OUT / 'scenes.json').write_text(json.dumps(truth, indent=1) + '\n')


if __name__ == '__main__':
    main()
