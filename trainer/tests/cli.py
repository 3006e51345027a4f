"""Running the CLI as the app does: a child process with JSON lines on stdout."""
import json
import os
import subprocess
import sys
from typing import List, Tuple

import _paths


def run_cli(args: List[str], timeout: float = 300) -> Tuple[int, List[dict], str]:
    """(exit status, JSON lines of stdout, stderr) of `python3 -m rose_trainer ARGS`."""
    env = dict(os.environ, PYTHONPATH=_paths.TRAINER_DIR, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-m", "rose_trainer", *args], capture_output=True, text=True, env=env,
                       timeout=timeout, cwd=_paths.REPO_DIR)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return p.returncode, lines, p.stderr


def spawn_cli(args: List[str]) -> subprocess.Popen:
    """A running `python3 -m rose_trainer ARGS` with piped stdout."""
    env = dict(os.environ, PYTHONPATH=_paths.TRAINER_DIR, OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "rose_trainer", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=_paths.REPO_DIR)
