"""Procedural generator: determinism, names, the held-out class, scene scales, masks."""
import unittest

import numpy as np

import _paths  # noqa: F401
from rose_trainer.scenes import (COLOURS, HELD_OUT_SHAPE, PRETRAIN_SHAPES, SHAPES, STUFF, SceneConfig, generate_scene,
                                 render_shape, scene_rng)


class SceneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scenes = [generate_scene(scene_rng(0, "train", i)) for i in range(120)]

    def test_same_seed_same_scene_and_splits_differ(self):
        a = generate_scene(scene_rng(3, "train", 7))
        b = generate_scene(scene_rng(3, "train", 7))
        c = generate_scene(scene_rng(3, "test", 7))
        self.assertTrue(np.array_equal(a.image, b.image))
        self.assertFalse(a.image.shape == c.image.shape and np.array_equal(a.image, c.image))

    def test_held_out_shape_never_appears_in_pretraining_scenes(self):
        self.assertNotIn(HELD_OUT_SHAPE, PRETRAIN_SHAPES)
        names = {s.name for sc in self.scenes for s in sc.segments}
        self.assertFalse(any(n.endswith(HELD_OUT_SHAPE) for n in names))
        with_held = [generate_scene(scene_rng(0, "finetune", i), SceneConfig(shapes=SHAPES)) for i in range(60)]
        self.assertTrue(any(s.name.endswith(HELD_OUT_SHAPE) for sc in with_held for s in sc.segments))

    def test_names_are_colour_plus_shape_or_stuff(self):
        for sc in self.scenes:
            for s in sc.segments:
                if s.kind == "thing":
                    colour, shape = s.name.split(" ")
                    self.assertIn(colour, COLOURS)
                    self.assertIn(shape, PRETRAIN_SHAPES)
                else:
                    self.assertIn(s.name, STUFF)

    def test_masks_are_disjoint_non_empty_and_cover_the_image(self):
        for sc in self.scenes[:40]:
            total = np.zeros((sc.height, sc.width), dtype=np.int32)
            for s in sc.segments:
                self.assertTrue(s.mask.any())
                total += s.mask
            self.assertLessEqual(int(total.max()), 1)
            self.assertGreater(total.mean(), 0.9)  # only tiny stuff slivers (<2%) are dropped

    def test_scenes_range_from_one_large_object_to_many_small_ones(self):
        counts = [sum(s.kind == "thing" for s in sc.segments) for sc in self.scenes]
        largest = [max((np.sqrt(s.mask.sum()) / 128 for s in sc.segments if s.kind == "thing"), default=0)
                   for sc in self.scenes]
        self.assertGreaterEqual(max(counts), 8)
        self.assertLessEqual(min(counts), 2)
        self.assertGreater(max(largest), 0.4)
        self.assertTrue(any(sc.height != sc.width for sc in self.scenes))

    def test_every_shape_renders_centred_with_plausible_area(self):
        for shape in SHAPES:
            m = render_shape(shape, 64, 64, 100, 0.0, 128, 128)
            ys, xs = np.nonzero(m)
            self.assertLess(abs(xs.mean() + 0.5 - 64), 8, shape)
            self.assertTrue(0.2 < m.sum() / (np.pi * 50 ** 2) <= 1.01, shape)


if __name__ == "__main__":
    unittest.main()
