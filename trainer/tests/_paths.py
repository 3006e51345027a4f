"""Makes `rose_trainer` importable when unittest discovers this folder from the repository root."""
import os
import sys

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TRAINER_DIR)
if TRAINER_DIR not in sys.path:
    sys.path.insert(0, TRAINER_DIR)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
