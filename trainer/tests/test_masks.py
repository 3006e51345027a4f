"""COCO RLE and polygons against the reference API's vectors; mask-logit mapping; box text."""
import json
import os
import unittest

import numpy as np

import _paths
from rose_trainer import masks as M

VECTORS = os.path.join(os.path.dirname(_paths.REPO_DIR), "shared", "fixtures", "coco-rle", "vectors.json")


@unittest.skipUnless(os.path.isfile(VECTORS), "reference vectors ../shared/fixtures/coco-rle/vectors.json not present")
class ReferenceVectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(VECTORS, encoding="utf-8") as f:
            cls.vec = json.load(f)

    def test_rle_encode_decode_match_pycocotools(self):
        for m in self.vec["masks"]:
            h, w = m["size"]
            mask = M.mask_from_rle_counts(m["counts_uncompressed"], h, w)
            self.assertEqual(M.rle_counts_from_mask(mask), m["counts_uncompressed"], m["kind"])
            self.assertEqual(M.encode_rle(mask)["counts"], m["counts"], m["kind"])
            self.assertTrue(np.array_equal(M.decode_rle({"size": [h, w], "counts": m["counts"]}), mask))
            self.assertEqual(int(mask.sum()), m["area"])
            self.assertEqual(list(M.mask_bbox(mask)), m["bbox"])

    def test_polygons_rasterise_like_pycocotools(self):
        for p in self.vec["polygons"]:
            h, w = p["size"]
            mask = M.mask_from_polygons(p["polygons"], h, w)
            self.assertEqual(M.encode_rle(mask)["counts"], p["counts"])
            self.assertEqual(int(mask.sum()), p["area"])


class CodecTest(unittest.TestCase):
    def test_random_masks_round_trip(self):
        rng = np.random.default_rng(0)
        for shape in [(1, 1), (5, 7), (64, 33)]:
            for p in (0.0, 0.3, 1.0):
                mask = rng.random(shape) < p
                self.assertTrue(np.array_equal(M.decode_rle(M.encode_rle(mask)), mask))

    def test_bad_rle_strings_are_rejected(self):
        with self.assertRaises(ValueError):
            M.rle_counts_from_string("0\x7f")
        with self.assertRaises(ValueError):
            M.decode_rle({"size": [2, 2], "counts": [1, 1]})


class GeometryTest(unittest.TestCase):
    def test_logits_map_one_to_one_when_the_image_fills_the_frame(self):
        rng = np.random.default_rng(1)
        logits = rng.normal(size=(16, 16))
        self.assertTrue(np.array_equal(M.logits_to_image_mask(logits, 16, 16, 16), logits > 0))

    def test_letterboxed_image_reads_the_top_left_of_the_frame(self):
        # A 4x8 image in a 16-frame (scale 2) with an 8x8 logit grid: pixel (x, y) reads cell (x, y).
        logits = -np.ones((8, 8))
        logits[1, 6] = 5.0
        m = M.logits_to_image_mask(logits, 4, 8, 16)
        self.assertEqual(m.shape, (4, 8))
        self.assertTrue(m[1, 6])
        self.assertEqual(int(m.sum()), 1)

    def test_downscaled_image_samples_bilinearly(self):
        # Frame 4, original 8x8 (scale 0.5), 4x4 grid: original pixel x samples u = (x+0.5)/2 - 0.5.
        logits = np.zeros((4, 4))
        logits[:, 2:] = 1.0
        logits[:, :2] = -1.0
        m = M.logits_to_image_mask(logits, 8, 8, 4, threshold=0.0)
        # x=3 → u=1.25 → 0.75·(−1) + 0.25·1 < 0; x=4 → u=1.75 → > 0.
        self.assertFalse(m[0, 3])
        self.assertTrue(m[0, 4])

    def test_box_text_is_integer_percent(self):
        self.assertEqual(M.box_to_text((0, 10, 64, 100), 100, 128), "[0, 10, 50, 100]")


if __name__ == "__main__":
    unittest.main()


class FragmentTest(unittest.TestCase):
    def test_components_are_4_connected_and_numbered_in_raster_order(self):
        fg = np.array([[1, 1, 0, 1],
                       [0, 0, 1, 1],
                       [1, 0, 0, 0]], dtype=bool)
        labels, areas = M.component_labels(fg)
        self.assertEqual(areas, [2, 3, 1])
        self.assertEqual(labels[0, 3], 2)
        self.assertEqual(labels[1, 2], 2)  # diagonal neighbours of (0, 1) are not connected to it
        self.assertEqual(labels[2, 0], 3)

    def test_only_the_largest_component_survives_at_fraction_one(self):
        logits = -np.ones((6, 6))
        logits[0:3, 0:3] = 2.0   # 9 cells
        logits[5, 5] = 3.0       # a stray cell
        out = M.remove_fragments(logits, 0.0, 1.0)
        self.assertTrue((out[0:3, 0:3] == 2.0).all())
        self.assertEqual(out[5, 5], -20.0)
        self.assertTrue((out[logits <= 0] == -1.0).all())
        # A fragment of at least the given fraction of the largest is kept.
        self.assertEqual(M.remove_fragments(logits, 0.0, 0.1)[5, 5], 3.0)
