"""Training samples: prompts, answers, positives per task, refinement damage, preprocessing."""
import dataclasses
import unittest

import numpy as np

import _paths  # noqa: F401
from rose_trainer import prompts as P
from rose_trainer.config import PRESETS
from rose_trainer.data import (all_category_names, build_sample, build_tokenizer, damage_mask, letterbox_mask,
                               vision_input)
from rose_trainer.masks import mask_iou
from rose_trainer.scenes import PRETRAIN_SHAPES, generate_scene, scene_rng


class SampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tok = build_tokenizer(1024)
        cls.cfg = dataclasses.replace(PRESETS["tiny"], vocab_size=cls.tok.vocab_size)
        cls.names = all_category_names(PRETRAIN_SHAPES)
        cls.scene = next(s for s in (generate_scene(scene_rng(0, "train", i)) for i in range(50))
                         if sum(g.kind == "thing" for g in s.segments) >= 3 and any(g.kind == "stuff" for g in s.segments))

    def sample(self, task, seed=0):
        return build_sample(self.scene, task, np.random.default_rng(seed), self.tok, self.cfg, self.names)

    def test_dense_sample_supervises_every_segment_and_counts_them(self):
        s = self.sample("dense")
        self.assertEqual(len(s.targets), len(self.scene.segments))
        self.assertEqual(s.prompt_ids.count(self.tok.image_id), 1)
        answer = self.tok.decode(s.answer_ids)
        self.assertEqual(answer, " " + P.count_answer([g.name for g in self.scene.segments]))
        self.assertEqual(s.answer_ids[-1], self.tok.eos_id)
        self.assertEqual(int(s.objectness.sum()), len({p for t in s.targets for p in t.positives}))
        self.assertFalse(s.pixel_values[3].any())

    def test_instance_sample_leaves_stuff_as_negatives(self):
        s = self.sample("instance")
        self.assertEqual({t.name for t in s.targets}, {g.name for g in self.scene.segments if g.kind == "thing"})
        self.assertNotIn("There are", P.chat(P.INSTANCE[0]))

    def test_refinement_samples_carry_the_mask_channel_except_for_missed_objects(self):
        for task in ("refine_mask", "refine_category", "refine_missed"):
            s = self.sample(task, seed=3)
            self.assertEqual(len(s.targets), 1)
            has_mask = bool(s.pixel_values[3].any())
            self.assertEqual(has_mask, task != "refine_missed", task)
            self.assertEqual(int(s.objectness.sum()), len(s.targets[0].positives))
            text = self.tok.decode(s.prompt_ids)
            if task == "refine_missed":
                self.assertRegex(text, r"\[\d+, \d+, \d+, \d+\]")
            self.assertEqual(self.tok.decode(s.answer_ids), " " + P.named_answer(s.targets[0].name))

    def test_damaged_masks_are_wrong_but_overlapping(self):
        rng = np.random.default_rng(0)
        for g in self.scene.segments:
            if g.kind != "thing":
                continue
            for _ in range(5):
                d = damage_mask(g.mask, rng)
                iou = mask_iou(d, g.mask)
                self.assertTrue(0.25 <= iou <= 0.9, iou)

    def test_vision_input_is_normalised_rgb_plus_binary_mask(self):
        m = self.scene.segments[0].mask
        x = vision_input(self.scene.image, m, self.cfg)
        self.assertEqual(x.shape, (4, 128, 128))
        self.assertTrue(-1.0 <= x[:3].min() and x[:3].max() <= 1.0)
        self.assertEqual(set(np.unique(x[3]).tolist()) <= {0.0, 1.0}, True)
        self.assertEqual(int(x[3].sum()), int(letterbox_mask(m, 128).sum()))

    def test_letterbox_puts_a_wide_image_top_left_and_pads_below(self):
        img_mask = np.ones((50, 100), dtype=bool)
        out = letterbox_mask(img_mask, 128)
        self.assertTrue(out[:64].all())
        self.assertFalse(out[64:].any())


if __name__ == "__main__":
    unittest.main()
