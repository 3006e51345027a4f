"""Bad input: one-line error, exit status 2, and nothing written to the output folders."""
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
from PIL import Image

import _paths  # noqa: F401
from cli import run_cli
from rose_trainer.masks import encode_rle


class BadInputTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rose-bad-")
        self.images = os.path.join(self.dir, "images")
        os.makedirs(self.images)
        Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(os.path.join(self.images, "a.png"))
        mask = np.zeros((20, 30), dtype=bool)
        mask[5:10, 5:15] = True
        self.good = {"images": [{"id": 1, "file_name": "a.png", "width": 30, "height": 20}],
                     "categories": [{"id": 1, "name": "red circle"}],
                     "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                                      "segmentation": encode_rle(mask), "area": 50, "bbox": [5, 5, 10, 5]}]}
        self.run_dir = os.path.join(self.dir, "run")
        self.pack_out = os.path.join(self.dir, "pack-out")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, doc, name="instances.json"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def finetune(self, coco):
        return run_cli(["finetune", "--parent", os.path.join(self.dir, "no-such-parent"), "--coco", coco,
                        "--images", self.images, "--run-dir", self.run_dir, "--pack-out", self.pack_out, "--steps", "2"])

    def assert_clean_failure(self, result, expected):
        code, lines, err = result
        self.assertEqual(code, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(expected, err)
        self.assertTrue(err.startswith("rose_trainer: error: "))
        self.assertEqual(lines[-1]["event"], "error")
        self.assertIn(expected, lines[-1]["message"])
        self.assertFalse(os.path.exists(self.run_dir))
        self.assertFalse(os.path.exists(self.pack_out))

    def test_coco_that_is_not_json(self):
        self.assert_clean_failure(self.finetune(self.write("{\"images\": [")), "not valid JSON")

    def test_coco_without_annotations_list(self):
        doc = dict(self.good)
        del doc["annotations"]
        self.assert_clean_failure(self.finetune(self.write(doc)), "missing list 'annotations'")

    def test_annotation_pointing_at_an_unknown_image(self):
        doc = json.loads(json.dumps(self.good))
        doc["annotations"][0]["image_id"] = 7
        self.assert_clean_failure(self.finetune(self.write(doc)), "unknown image 7")

    def test_rle_of_the_wrong_size(self):
        doc = json.loads(json.dumps(self.good))
        doc["annotations"][0]["segmentation"]["size"] = [30, 20]
        self.assert_clean_failure(self.finetune(self.write(doc)), "does not match image size")

    def test_broken_polygon(self):
        doc = json.loads(json.dumps(self.good))
        doc["annotations"][0]["segmentation"] = [[1, 2, 3]]
        self.assert_clean_failure(self.finetune(self.write(doc)), "polygons must be lists")

    def test_missing_image_file(self):
        doc = json.loads(json.dumps(self.good))
        doc["images"].append({"id": 2, "file_name": "gone.png", "width": 30, "height": 20})
        doc["annotations"].append(dict(doc["annotations"][0], id=2, image_id=2))
        self.assert_clean_failure(self.finetune(self.write(doc)), "missing image file")

    def test_corrupt_image_file(self):
        with open(os.path.join(self.images, "a.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\nnot really")
        self.assert_clean_failure(self.finetune(self.write(self.good)), "unreadable image file")

    def test_empty_dataset(self):
        doc = dict(self.good, annotations=[])
        self.assert_clean_failure(self.finetune(self.write(doc)), "empty dataset")

    def test_only_empty_masks_is_an_empty_dataset(self):
        doc = json.loads(json.dumps(self.good))
        doc["annotations"][0]["segmentation"] = encode_rle(np.zeros((20, 30), dtype=bool))
        self.assert_clean_failure(self.finetune(self.write(doc)), "empty dataset")

    def test_image_size_that_disagrees_with_the_json_is_found_before_training(self):
        doc = json.loads(json.dumps(self.good))
        doc["images"][0]["width"] = 31
        doc["annotations"][0]["segmentation"] = [[5, 5, 15, 5, 15, 10, 5, 10]]
        self.assert_clean_failure(self.finetune(self.write(doc)), "a.png is 30x20 but the COCO file says 31x20")

    def test_exif_rotated_image_is_measured_as_it_is_seen(self):
        # Stored 30x20 with orientation 6 (rotate 90°): viewers, the app and the trainer see it 20x30.
        exif = Image.Exif()
        exif[0x0112] = 6
        Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(os.path.join(self.images, "a.jpg"), exif=exif)
        doc = json.loads(json.dumps(self.good))
        doc["images"][0]["file_name"] = "a.jpg"
        doc["annotations"][0]["segmentation"] = [[5, 5, 15, 5, 15, 10, 5, 10]]
        self.assert_clean_failure(self.finetune(self.write(doc)), "a.jpg is 20x30 but the COCO file says 30x20")

    def test_corrupt_checkpoint_is_one_line(self):
        bad = os.path.join(self.dir, "bad.pt")
        with open(bad, "wb") as f:
            f.write(b"PK\x03\x04 not a checkpoint")
        code, lines, err = run_cli(["evaluate", "--checkpoint", bad, "--scenes", "1"])
        self.assertEqual(code, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(f"unreadable checkpoint {bad}", err)
        self.assertEqual(lines[-1]["event"], "error")

    def test_resume_from_a_corrupt_checkpoint_leaves_the_run_alone(self):
        os.makedirs(self.run_dir)
        ckpt = os.path.join(self.run_dir, "checkpoint.pt")
        with open(ckpt, "wb") as f:
            f.write(b"garbage")
        code, _lines, err = run_cli(["pretrain", "--run-dir", self.run_dir, "--resume", "--steps", "2"])
        self.assertEqual(code, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(f"unreadable checkpoint {ckpt}", err)
        self.assertEqual(os.listdir(self.run_dir), ["checkpoint.pt"])
        with open(ckpt, "rb") as f:
            self.assertEqual(f.read(), b"garbage")

    def test_missing_parent_after_a_valid_dataset(self):
        self.assert_clean_failure(self.finetune(self.write(self.good)), "parent not found")

    def test_existing_pack_folder_is_left_alone(self):
        os.makedirs(self.pack_out)
        marker = os.path.join(self.pack_out, "keep.txt")
        with open(marker, "w") as f:
            f.write("mine")
        code, _lines, err = self.finetune(self.write(self.good))
        self.assertEqual(code, 2)
        self.assertIn("already exists", err)
        self.assertEqual(os.listdir(self.pack_out), ["keep.txt"])
        self.assertFalse(os.path.exists(self.run_dir))

    def test_export_of_a_missing_checkpoint(self):
        code, lines, err = run_cli(["export", "--checkpoint", os.path.join(self.dir, "none.pt"), "--out", self.pack_out])
        self.assertEqual(code, 2)
        self.assertIn("checkpoint not found", err)
        self.assertFalse(os.path.exists(self.pack_out))

    def test_evaluate_of_a_broken_pack(self):
        broken = os.path.join(self.dir, "broken-pack")
        os.makedirs(broken)
        with open(os.path.join(broken, "manifest.json"), "w") as f:
            f.write("{oops")
        code, _lines, err = run_cli(["evaluate", "--pack", broken, "--scenes", "1"])
        self.assertEqual(code, 2)
        self.assertIn("manifest.json is not valid JSON", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_unknown_argument_is_one_line(self):
        code, _lines, err = run_cli(["pretrain", "--run-dir", self.run_dir, "--bogus"])
        self.assertEqual(code, 2)
        self.assertEqual(len(err.strip().splitlines()), 1)
        self.assertFalse(os.path.exists(self.run_dir))


if __name__ == "__main__":
    unittest.main()
