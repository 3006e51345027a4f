"""Byte-level BPE tokenizer that reads and writes the Hugging Face `tokenizer.json` format.

The engine tokenizes with a JavaScript implementation of the same file, so this module follows the
`tokenizers` library's ByteLevel pre-tokenizer and BPE model exactly instead of inventing its own
rules: split on added (special) tokens first, then the GPT-2 regex, then byte-to-unicode mapping,
then greedy lowest-rank merges.
"""
from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence, Tuple

import regex

# The ByteLevel pre-tokenizer's pattern in `tokenizers` (use_regex=true); Python's `re` lacks \p{..}.
GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

PAD = "<pad>"
EOS = "</s>"
IMAGE = "<image>"
CATEGORY = "<category>"
SPECIAL_TOKENS = (PAD, EOS, IMAGE, CATEGORY)


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte → printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pretokenize(text: str) -> List[str]:
    """Split text the way the ByteLevel pre-tokenizer does and map each piece to byte-level characters."""
    return ["".join(BYTE_ENCODER[b] for b in piece.encode("utf-8")) for piece in GPT2_PATTERN.findall(text)]


@dataclass
class Tokenizer:
    """A byte-level BPE vocabulary with special tokens; ids are stable once written to tokenizer.json."""

    vocab: Dict[str, int]
    merges: List[Tuple[str, str]]
    special_tokens: Tuple[str, ...] = SPECIAL_TOKENS
    _ranks: Dict[Tuple[str, str], int] = field(default_factory=dict, repr=False)
    _cache: Dict[str, List[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._ranks = {pair: i for i, pair in enumerate(self.merges)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        # Longest first so that a special token that prefixes another can never shadow it.
        alternatives = "|".join(regex.escape(t) for t in sorted(self.special_tokens, key=len, reverse=True))
        self._special_re = regex.compile(f"({alternatives})")

    @property
    def vocab_size(self) -> int:
        """Number of ids (the LM head's width)."""
        return len(self.vocab)

    def token_id(self, token: str) -> int:
        """Id of a token (special or not); KeyError if unknown."""
        return self.vocab[token]

    @property
    def pad_id(self) -> int:
        """Id of the padding token."""
        return self.vocab[PAD]

    @property
    def eos_id(self) -> int:
        """Id of the end-of-sequence token, the decoding stop condition."""
        return self.vocab[EOS]

    @property
    def image_id(self) -> int:
        """Id of the `<image>` placeholder that is replaced by S×S patch embeddings."""
        return self.vocab[IMAGE]

    @property
    def category_id(self) -> int:
        """Id of the `<category>` placeholder that is replaced by one category embedding."""
        return self.vocab[CATEGORY]

    def _bpe(self, word: str) -> List[str]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        parts = list(word)
        while len(parts) > 1:
            best, best_rank = None, None
            for i in range(len(parts) - 1):
                rank = self._ranks.get((parts[i], parts[i + 1]))
                if rank is not None and (best_rank is None or rank < best_rank):
                    best, best_rank = i, rank
            if best is None:
                break
            # Merge every occurrence of the best pair left to right, as `tokenizers` does.
            pair = (parts[best], parts[best + 1])
            merged: List[str] = []
            i = 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[word] = parts
        return parts

    def encode(self, text: str) -> List[int]:
        """Token ids of `text`; special tokens written literally (e.g. `<image>`) become their single id."""
        ids: List[int] = []
        for segment in self._special_re.split(text):
            if not segment:
                continue
            if segment in self.special_tokens:
                ids.append(self.vocab[segment])
                continue
            for word in pretokenize(segment):
                ids.extend(self.vocab[p] for p in self._bpe(word))
        return ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Text of `ids`; special tokens are dropped unless asked for."""
        out: List[str] = []
        buf: List[str] = []
        for i in ids:
            tok = self.id_to_token[int(i)]
            if tok in self.special_tokens:
                if buf:
                    out.append(bytes(BYTE_DECODER[c] for c in "".join(buf)).decode("utf-8", errors="replace"))
                    buf = []
                if not skip_special_tokens:
                    out.append(tok)
                continue
            buf.append(tok)
        if buf:
            out.append(bytes(BYTE_DECODER[c] for c in "".join(buf)).decode("utf-8", errors="replace"))
        return "".join(out)

    def to_json(self) -> dict:
        """The Hugging Face `tokenizer.json` document (BPE model, ByteLevel pre-tokenizer and decoder)."""
        added = [
            {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in self.special_tokens
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                "vocab": dict(sorted(self.vocab.items(), key=lambda kv: kv[1])),
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def save(self, path: str) -> None:
        """Write tokenizer.json."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, indent=None, separators=(",", ":"))

    @classmethod
    def from_json(cls, doc: dict) -> "Tokenizer":
        """Read a tokenizer.json document written by `to_json` (or any byte-level BPE with the same specials)."""
        model = doc["model"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        specials = tuple(t["content"] for t in doc.get("added_tokens", []) if t.get("special"))
        return cls(vocab=dict(model["vocab"]), merges=merges, special_tokens=specials)

    @classmethod
    def load(cls, path: str) -> "Tokenizer":
        """Read tokenizer.json from a file."""
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


def train_bpe(corpus: Sequence[str], vocab_size: int, special_tokens: Sequence[str] = SPECIAL_TOKENS) -> Tokenizer:
    """Learn byte-level BPE merges from `corpus` until `vocab_size` ids exist.

    No token may hold more than one digit, so that box coordinates written as text are read digit by
    digit (a tiny model cannot learn a hundred separate number tokens from little data).
    """
    word_counts: collections.Counter = collections.Counter()
    for text in corpus:
        for segment in regex.split("|".join(regex.escape(t) for t in special_tokens), text):
            word_counts.update(pretokenize(segment))
    vocab: Dict[str, int] = {}
    for t in special_tokens:
        vocab[t] = len(vocab)
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = len(vocab)
    words = {w: list(w) for w in word_counts}
    merges: List[Tuple[str, str]] = []
    digit_chars = set("0123456789")
    while len(vocab) < vocab_size:
        pair_counts: collections.Counter = collections.Counter()
        for w, parts in words.items():
            c = word_counts[w]
            for a, b in zip(parts, parts[1:]):
                if sum(ch in digit_chars for ch in a + b) > 1:
                    continue
                pair_counts[(a, b)] += c
        if not pair_counts:
            break
        # Ties broken lexicographically so that training is deterministic.
        best = min(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        vocab[best[0] + best[1]] = len(vocab)
        for w, parts in words.items():
            if len(parts) < 2:
                continue
            merged: List[str] = []
            i = 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            words[w] = merged
    return Tokenizer(vocab=vocab, merges=merges, special_tokens=tuple(special_tokens))
