"""Tokenizer: special tokens, digits, tokenizer.json round trip."""
import json
import os
import tempfile
import unittest

import _paths  # noqa: F401
from rose_trainer import prompts as P
from rose_trainer.data import build_tokenizer
from rose_trainer.tokenizer import Tokenizer


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tok = build_tokenizer(1024)

    def test_special_tokens_have_fixed_ids(self):
        self.assertEqual([self.tok.pad_id, self.tok.eos_id, self.tok.image_id, self.tok.category_id], [0, 1, 2, 3])

    def test_image_placeholder_is_one_token_inside_a_prompt(self):
        ids = self.tok.encode(P.chat(P.DENSE[0]))
        self.assertEqual(ids.count(self.tok.image_id), 1)
        self.assertEqual(self.tok.decode(ids, skip_special_tokens=False), P.chat(P.DENSE[0]))

    def test_round_trip_of_names_and_unseen_words(self):
        for text in [" red circle.", " brick wall", "forklift and pallet", "naïve café 3"]:
            self.assertEqual(self.tok.decode(self.tok.encode(text)), text)

    def test_box_coordinates_are_read_digit_by_digit(self):
        pieces = [self.tok.id_to_token[i] for i in self.tok.encode("[12, 34, 56, 100]")]
        self.assertTrue(all(sum(c.isdigit() for c in p) <= 1 for p in pieces), pieces)

    def test_names_are_multi_token(self):
        self.assertGreaterEqual(len(self.tok.encode(" red circle.")), 3)

    def test_tokenizer_json_reload_gives_identical_ids(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tokenizer.json")
            self.tok.save(path)
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            self.assertEqual(doc["model"]["type"], "BPE")
            self.assertEqual(doc["pre_tokenizer"]["type"], "ByteLevel")
            again = Tokenizer.load(path)
        text = P.chat(P.REFINE_MISSED[0].format(box="[5, 10, 95, 100]"))
        self.assertEqual(again.encode(text), self.tok.encode(text))
        self.assertEqual(again.vocab_size, 1024)

    def test_training_is_deterministic(self):
        self.assertEqual(build_tokenizer(600).merges, build_tokenizer(600).merges)


if __name__ == "__main__":
    unittest.main()
