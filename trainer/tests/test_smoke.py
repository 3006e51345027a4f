"""A few dozen steps of pretrain and finetune (micro config), SIGTERM, determinism, export, onnx.checker."""
import json
import os
import shutil
import signal
import tempfile
import unittest

import onnx
import torch

import _paths  # noqa: F401
from cli import run_cli, spawn_cli


class SmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rose-smoke-")
        cls.run_dir = os.path.join(cls.dir, "pre")
        cls.result = run_cli(["pretrain", "--config", "micro", "--run-dir", cls.run_dir, "--steps", "24",
                              "--batch-size", "2", "--seed", "1", "--vocab-size", "400"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_pretrain_reports_progress_and_finishes_with_a_checkpoint(self):
        code, lines, err = self.result
        self.assertEqual(code, 0, err)
        events = [l["event"] for l in lines]
        self.assertEqual(events[0], "start")
        self.assertEqual(events[-1], "done")
        prog = [l for l in lines if l["event"] == "progress"]
        self.assertEqual([p["step"] for p in prog], [10, 20, 24])
        for p in prog:
            self.assertEqual(p["phase"], "pretrain")
            for key in ("lr", "images_per_s", "eta_s", "losses"):
                self.assertIn(key, p)
            self.assertEqual(set(p["losses"]), {"total", "text", "category", "mask_bce", "mask_dice", "objectness",
                                                "siglip", "iou", "name_probe"})
        self.assertLess(prog[-1]["losses"]["total"], prog[0]["losses"]["total"] + 1.0)
        self.assertTrue(os.path.isfile(lines[-1]["checkpoint"]))

    def test_same_seed_gives_identical_training(self):
        runs = []
        for name in ("det-a", "det-b"):
            code, lines, err = run_cli(["pretrain", "--config", "micro", "--run-dir", os.path.join(self.dir, name),
                                        "--steps", "3", "--batch-size", "2", "--seed", "5", "--vocab-size", "400"])
            self.assertEqual(code, 0, err)
            runs.append(lines)
        self.assertEqual([l for l in runs[0] if l["event"] == "progress"][-1]["losses"],
                         [l for l in runs[1] if l["event"] == "progress"][-1]["losses"])
        a = torch.load(os.path.join(self.dir, "det-a", "checkpoint.pt"))["model"]
        b = torch.load(os.path.join(self.dir, "det-b", "checkpoint.pt"))["model"]
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)

    def test_sigterm_stops_with_a_checkpoint_and_the_run_resumes(self):
        run_dir = os.path.join(self.dir, "term")
        proc = spawn_cli(["pretrain", "--config", "micro", "--run-dir", run_dir, "--steps", "100000",
                          "--batch-size", "2", "--vocab-size", "400"])
        try:
            for line in proc.stdout:
                if '"event":"progress"' in line:
                    break
            proc.send_signal(signal.SIGTERM)
            out, _err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0)
        last = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(last["event"], "stopped")
        self.assertEqual(last["reason"], "SIGTERM")
        self.assertTrue(os.path.isfile(last["checkpoint"]))
        step = last["step"]
        code, lines, err = run_cli(["pretrain", "--run-dir", run_dir, "--resume", "--steps", str(step + 2)])
        self.assertEqual(code, 0, err)
        self.assertEqual(lines[0]["step"], step)
        self.assertEqual(lines[-1]["event"], "done")
        self.assertEqual(lines[-1]["step"], step + 2)

    def test_finetune_on_coco_and_export_a_checked_pack_with_its_parent(self):
        code, _l, err = self.result
        self.assertEqual(code, 0, err)
        coco = os.path.join(self.dir, "coco")
        code, lines, err = run_cli(["scenes", "--out", coco, "--count", "6", "--size", "64", "--include-held-out"])
        self.assertEqual(code, 0, err)
        pack = os.path.join(self.dir, "ft-pack")
        code, lines, err = run_cli(["finetune", "--parent", os.path.join(self.run_dir, "checkpoint.pt"),
                                    "--coco", os.path.join(coco, "instances.json"), "--images", os.path.join(coco, "images"),
                                    "--run-dir", os.path.join(self.dir, "ft"), "--steps", "20", "--batch-size", "2",
                                    "--pack-out", pack, "--pack-name", "micro-ft"])
        self.assertEqual(code, 0, err)
        self.assertEqual([l["event"] for l in lines][-2:], ["done", "exported"])
        with open(os.path.join(pack, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual(man["name"], "micro-ft")
        self.assertEqual(man["training"]["phase"], "finetune")
        self.assertEqual(man["training"]["steps"], 20)
        self.assertTrue(man["parent"]["checkpoint"].endswith("checkpoint.pt"))
        self.assertGreater(man["training"]["dataset"]["annotations"], 6)
        for name, g in man["graphs"].items():
            if g is None:
                continue
            path = os.path.join(pack, g["file"])
            onnx.checker.check_model(path)
            model = onnx.load(path, load_external_data=False)
            self.assertEqual([i.name for i in model.graph.input], list(g["inputs"]), name)
            self.assertEqual([o.name for o in model.graph.output], list(g["outputs"]), name)
        for fn, meta in man["files"].items():
            self.assertEqual(os.path.getsize(os.path.join(pack, fn)), meta["bytes"], fn)

        code, lines, err = run_cli(["evaluate", "--pack", pack, "--scenes", "2", "--include-held-out"])
        self.assertEqual(code, 0, err)
        metrics = lines[-1]
        self.assertEqual(metrics["event"], "metrics")
        for key in ("mask_ap", "mask_ap50", "recall_at_0.5", "precision_at_0.5", "name_exact_match",
                    "box_prompt_miou", "refinement"):
            self.assertIn(key, metrics)
        self.assertEqual(metrics["scenes"], 2)

    def test_export_with_golden_files_covers_every_graph(self):
        code, _l, err = self.result
        self.assertEqual(code, 0, err)
        pack = os.path.join(self.dir, "golden-pack")
        code, lines, err = run_cli(["export", "--checkpoint", os.path.join(self.run_dir, "checkpoint.pt"),
                                    "--out", pack, "--name", "micro", "--golden"])
        self.assertEqual(code, 0, err)
        with open(os.path.join(pack, "golden", "golden.json"), encoding="utf-8") as f:
            golden = json.load(f)
        with open(os.path.join(pack, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        graphs = {k for k, v in man["graphs"].items() if v}
        self.assertEqual({c["graph"] for c in golden["graph_cases"]}, graphs)
        self.assertEqual(len(golden["end_to_end"]), 4)
        self.assertIn("golden/tensors.bin", man["files"])
        # A second export to the same folder is refused and leaves it as it was.
        before = sorted(os.listdir(pack))
        code, _l, err = run_cli(["export", "--checkpoint", os.path.join(self.run_dir, "checkpoint.pt"), "--out", pack])
        self.assertEqual(code, 2)
        self.assertEqual(sorted(os.listdir(pack)), before)


if __name__ == "__main__":
    unittest.main()
