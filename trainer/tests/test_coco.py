"""The COCO loader on polygon files, as the app exports them with `segmentation: polygons`."""
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
from PIL import Image

import _paths  # noqa: F401
from rose_trainer.coco import coco_scene, load_coco
from rose_trainer.masks import decode_rle, encode_rle

VECTORS = os.path.join(os.path.dirname(_paths.REPO_DIR), "shared", "fixtures", "coco-rle", "vectors.json")


@unittest.skipUnless(os.path.isfile(VECTORS), "reference vectors ../shared/fixtures/coco-rle/vectors.json not present")
class PolygonCocoTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rose-coco-")
        with open(VECTORS, encoding="utf-8") as f:
            self.vectors = json.load(f)["polygons"]

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_polygon_annotations_become_the_masks_pycocotools_draws(self):
        images, annotations = [], []
        for i, v in enumerate(self.vectors, start=1):
            h, w = v["size"]
            Image.fromarray(np.full((h, w, 3), 40 * (i % 6), dtype=np.uint8)).save(os.path.join(self.dir, f"p{i}.png"))
            images.append({"id": i, "file_name": f"p{i}.png", "width": w, "height": h})
            annotations.append({"id": i, "image_id": i, "category_id": 1, "iscrowd": 0, "segmentation": v["polygons"],
                                "area": v["area"], "bbox": v["bbox"]})
        path = os.path.join(self.dir, "instances.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"images": images, "annotations": annotations,
                       "categories": [{"id": 1, "name": "blue hexagon"}]}, f)
        loaded = load_coco(path, self.dir)
        self.assertEqual(len(loaded), len(self.vectors))
        for img, v in zip(loaded, self.vectors):
            scene = coco_scene(img)
            expected = decode_rle({"size": v["size"], "counts": v["counts"]})
            if v["area"] == 0:
                self.assertEqual(scene.segments, [])  # an empty polygon mask is no training target
                continue
            self.assertEqual(len(scene.segments), 1)
            seg = scene.segments[0]
            self.assertEqual(seg.name, "blue hexagon")
            self.assertEqual(int(seg.mask.sum()), v["area"])
            self.assertTrue(np.array_equal(seg.mask, expected), f"polygon of {v['size']} differs from pycocotools")
            self.assertEqual(scene.image.shape, (v["size"][0], v["size"][1], 3))


class RleCocoTest(unittest.TestCase):
    def test_rle_and_uncompressed_rle_load_the_same_mask(self):
        d = tempfile.mkdtemp(prefix="rose-coco-")
        try:
            Image.fromarray(np.zeros((12, 16, 3), dtype=np.uint8)).save(os.path.join(d, "a.png"))
            mask = np.zeros((12, 16), dtype=bool)
            mask[2:9, 3:7] = True
            mask[4:6, 4:6] = False  # a hole, which RLE keeps
            compressed = encode_rle(mask)
            # Uncompressed RLE: column-major run lengths starting with zeros.
            flat = mask.T.reshape(-1)
            runs, current, n = [], False, 0
            for value in flat:
                if value != current:
                    runs.append(n)
                    current, n = value, 0
                n += 1
            runs.append(n)
            doc = {"images": [{"id": 1, "file_name": "a.png", "width": 16, "height": 12}],
                   "categories": [{"id": 3, "name": "red star"}],
                   "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "iscrowd": 0, "segmentation": compressed},
                                   {"id": 2, "image_id": 1, "category_id": 3, "iscrowd": 0,
                                    "segmentation": {"size": [12, 16], "counts": runs}}]}
            path = os.path.join(d, "instances.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            scene = coco_scene(load_coco(path, d)[0])
            self.assertEqual([int(s.mask.sum()) for s in scene.segments], [24, 24])
            self.assertTrue(np.array_equal(scene.segments[0].mask, mask))
            self.assertTrue(np.array_equal(scene.segments[1].mask, mask))
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
