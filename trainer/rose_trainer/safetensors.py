"""Minimal reader/writer of the safetensors format (no dependency on the `safetensors` package).

Layout: u64 little-endian header length N, N bytes of JSON header {name: {dtype, shape, data_offsets}},
then the raw little-endian tensor bytes. Offsets are relative to the end of the header.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Tuple

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def save(tensors: Dict[str, np.ndarray], path: str, metadata: Dict[str, str] | None = None) -> Dict[str, Tuple[int, int]]:
    """Write tensors (in the given order); returns {name: (absolute file offset, byte length)}."""
    header: Dict[str, object] = {}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        b = a.tobytes()
        header[name] = {"dtype": _NAMES[a.dtype.str], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad the header so tensor data starts 64-byte aligned (ONNX external data maps it directly).
    start = 8 + len(raw)
    raw += b" " * ((-start) % 64)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    base = 8 + len(raw)
    return {n: (base + h["data_offsets"][0], h["data_offsets"][1] - h["data_offsets"][0])  # type: ignore[index]
            for n, h in header.items() if n != "__metadata__"}


def load(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Read all tensors and the metadata; ValueError on a malformed file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path} is too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path} has a truncated header")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} has an unreadable header ({e})") from None
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out: Dict[str, np.ndarray] = {}
    for name, h in header.items():
        s, e = h["data_offsets"]
        if base + e > len(data):
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        dt = _DTYPES.get(h["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {h['dtype']}")
        out[name] = np.frombuffer(data[base + s: base + e], dtype=dt).reshape(h["shape"]).copy()
    return out, meta
