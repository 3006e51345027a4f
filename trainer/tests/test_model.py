"""Model pieces whose semantics the pack contract fixes: KV cache, prefix attention, adapter, convolution."""
import dataclasses
import unittest

import torch
import torch.nn.functional as F

import _paths  # noqa: F401
from rose_trainer.config import PRESETS
from rose_trainer.model import Conv2d, RoseModel, attention_bias, resample_matrix


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.cfg = dataclasses.replace(PRESETS["micro"], vocab_size=64)
        cls.model = RoseModel(cls.cfg).eval()

    def test_attention_mask_values(self):
        # keys: [prefix, prefix, causal, pad]; the queries are the last 3 positions (1, 2, 3).
        am = torch.tensor([[2, 2, 1, 0]])
        vis = attention_bias(am, 3)[0, 0] == 0
        self.assertEqual(vis.tolist(), [[True, True, False, False], [True, True, True, False],
                                        [True, True, True, False]])
        # An early prefix query sees a later prefix key; a causal key stays hidden from earlier queries.
        vis_all = attention_bias(torch.tensor([[2, 2, 1]]), 3)[0, 0] == 0
        self.assertEqual(vis_all.tolist(), [[True, True, False], [True, True, False], [True, True, True]])

    def test_decoding_with_the_kv_cache_equals_one_full_pass(self):
        llm = self.model.llm
        x = torch.randn(2, 7, self.cfg.hidden_size)
        am = torch.tensor([[2, 2, 2, 2, 2, 1, 1]] * 2)
        pos = torch.arange(7)[None].expand(2, 7)
        full, _ = llm(x, am, pos)
        h, past = llm(x[:, :5], am[:, :5], pos[:, :5])
        h6, past = llm(x[:, 5:6], am[:, :6], pos[:, 5:6], past)
        h7, _ = llm(x[:, 6:7], am, pos[:, 6:7], past)
        torch.testing.assert_close(torch.cat([h, h6, h7], 1), full, atol=1e-5, rtol=1e-5)

    def test_prefix_tokens_see_later_prompt_tokens_but_not_the_answer(self):
        llm = self.model.llm
        x = torch.randn(1, 5, self.cfg.hidden_size)
        am = torch.tensor([[2, 2, 2, 1, 1]])
        pos = torch.arange(5)[None]
        base, _ = llm(x, am, pos)
        x2 = x.clone()
        x2[0, 2] += 1.0  # a later prompt token changes an earlier one's state
        self.assertFalse(torch.allclose(llm(x2, am, pos)[0][0, 0], base[0, 0]))
        x3 = x.clone()
        x3[0, 4] += 1.0  # an answer token does not
        torch.testing.assert_close(llm(x3, am, pos)[0][0, :4], base[0, :4])

    def test_zero_length_past_equals_no_past(self):
        llm = self.model.llm
        x = torch.randn(1, 4, self.cfg.hidden_size)
        am = torch.full((1, 4), 2)
        pos = torch.arange(4)[None]
        empty = [(torch.zeros(1, self.cfg.llm_kv_heads, 0, self.cfg.head_dim),) * 2] * self.cfg.llm_layers
        torch.testing.assert_close(llm(x, am, pos, empty)[0], llm(x, am, pos)[0])

    def test_untrained_adapter_is_the_identity(self):
        cat = torch.randn(3, self.cfg.hidden_size)
        low = torch.randn(3, 1, self.cfg.sam_mask_size, self.cfg.sam_mask_size)
        img = torch.randn(1, 3, self.cfg.sam_image_size, self.cfg.sam_image_size)
        torch.testing.assert_close(self.model.adapter(cat, low, img), cat)

    def test_resample_rows_sum_to_one_inside_the_frame(self):
        w = resample_matrix(torch.tensor([0.25]), torch.tensor([0.75]), 8, 32)
        torch.testing.assert_close(w.sum(-1), torch.ones(1, 8))
        self.assertEqual(int(w[0, 0].nonzero().min()), 7)

    def test_gemm_convolution_equals_conv2d(self):
        for args in [dict(stride=2, padding=1), dict(padding=2, dilation=2), dict()]:
            conv = Conv2d(5, 7, 3 if args else 1, **args)
            x = torch.randn(2, 5, 12, 10)
            torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding,
                                                         conv.dilation), atol=1e-5, rtol=1e-5)


if __name__ == "__main__":
    unittest.main()
