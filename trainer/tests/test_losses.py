"""The paper's losses against hand-computed values."""
import math
import unittest

import torch

import _paths  # noqa: F401
from rose_trainer.losses import (dice_loss, hard_iou, info_nce, mask_bce, mask_losses, name_probe_ce, objectness_bce,
                                 text_ce)


class LossTest(unittest.TestCase):
    def test_dice_is_zero_for_a_confident_perfect_mask_and_near_one_for_the_complement(self):
        t = torch.zeros(1, 8, 8)
        t[0, 2:6, 2:6] = 1
        self.assertLess(float(dice_loss((t * 2 - 1) * 50, t)), 0.04)
        self.assertGreater(float(dice_loss((1 - 2 * t) * 50, t)), 0.9)

    def test_bce_matches_the_formula(self):
        x = torch.tensor([[[2.0, -1.0]]])
        t = torch.tensor([[[1.0, 0.0]]])
        want = (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-1.0))) / 2
        self.assertAlmostEqual(float(mask_bce(x, t)), want, places=6)

    def test_objectness_averages_positives_and_negatives_separately(self):
        logits = torch.tensor([0.0, 0.0, 0.0, 0.0])
        labels = torch.tensor([1.0, 0.0, 0.0, 0.0])
        loss = objectness_bce(logits, labels, torch.ones(4, dtype=torch.bool))
        self.assertAlmostEqual(float(loss), 2 * math.log(2), places=6)
        # Unselected negatives do not count.
        logits2 = torch.tensor([0.0, 0.0, 10.0, 10.0])
        sel = torch.tensor([True, True, False, False])
        self.assertAlmostEqual(float(objectness_bce(logits2, labels, sel)), 2 * math.log(2), places=5)

    def test_info_nce_is_cross_entropy_over_scaled_cosines(self):
        q = torch.tensor([[1.0, 0.0]])
        k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        scale = torch.tensor(math.log(10.0))
        want = -math.log(math.exp(10) / (math.exp(10) + 1))
        self.assertAlmostEqual(float(info_nce(q, k, torch.tensor([0]), scale)), want, places=5)

    def test_text_ce_ignores_unsupervised_positions(self):
        logits = torch.zeros(1, 3, 4)
        logits[0, 0, 2] = 100.0
        tgt = torch.tensor([[2, -100, -100]])
        self.assertLess(float(text_ce(logits, tgt)), 1e-6)

    def test_name_probe_classifies_each_position_among_the_batch_tokens(self):
        # Names [5, 7], [5, 8], [6, 7]: position 0 chooses among {5, 6}, position 1 among {7, 8}.
        logits = torch.zeros(3, 10)
        seqs = [[5, 7], [5, 8], [6, 7]]
        self.assertAlmostEqual(float(name_probe_ce(logits, seqs)), math.log(2), places=6)
        good = torch.full((3, 10), -20.0)
        for i, s in enumerate(seqs):
            good[i, s] = 20.0
        self.assertLess(float(name_probe_ce(good, seqs)), 1e-6)
        # A position where every name has the same token teaches nothing and is skipped.
        self.assertEqual(float(name_probe_ce(torch.zeros(2, 10), [[5, 7], [5, 7]])), 0.0)

    def test_iou_head_target_is_the_hard_mask_iou(self):
        t = torch.zeros(1, 4, 4)
        t[0, :2] = 1
        pred = torch.full((1, 4, 4), -1.0)
        pred[0, :1] = 1.0
        self.assertAlmostEqual(float(hard_iou(pred, t)[0]), 0.5)
        _bce, _dice, mse = mask_losses(pred, t, torch.tensor([0.5]))
        self.assertAlmostEqual(float(mse), 0.0)


if __name__ == "__main__":
    unittest.main()
