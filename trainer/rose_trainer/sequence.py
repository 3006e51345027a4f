"""Building LLM input sequences: token embeddings with `<image>`/`<category>` replaced by vectors.

This is the splice rule of docs/model-pack.md ("Prompt assembly"): the placeholder token is removed
and its vectors inserted at its position; position ids count the expanded sequence from 0; prompt
tokens get attention value 2 in "prefix" packs (1 in "causal" packs), answer tokens 1, padding 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import torch

from .model import LLM


@dataclass
class Assembled:
    """A right-padded batch of expanded sequences."""

    inputs_embeds: torch.Tensor  # [B, T, D]
    attention_mask: torch.Tensor  # [B, T] int64 in {0, 1, 2}
    position_ids: torch.Tensor  # [B, T] int64
    placeholder_start: List[int]  # where each sequence's spliced vectors begin
    prompt_len: List[int]  # expanded prompt length per sequence (answer starts here)
    length: List[int]  # expanded total length per sequence


def assemble(llm: LLM, prompt_ids: Sequence[Sequence[int]], placeholder_id: int,
             replacements: Sequence[torch.Tensor], answer_ids: Optional[Sequence[Sequence[int]]] = None,
             prefix_attention: bool = True) -> Assembled:
    """Embed prompt (+ answer) ids and splice `replacements[i]` ([n_i, D]) at the single placeholder of prompt i."""
    rows, masks, starts, plens, lens = [], [], [], [], []
    prefix_val = 2 if prefix_attention else 1
    for i, ids in enumerate(prompt_ids):
        ids = list(ids)
        k = ids.index(placeholder_id)
        ans = list(answer_ids[i]) if answer_ids is not None else []
        tok = torch.tensor(ids[:k] + ids[k + 1:] + ans, dtype=torch.long)
        e = llm.embed(tok)
        rep = replacements[i]
        row = torch.cat([e[:k], rep, e[k:]], dim=0)
        plen = len(ids) - 1 + rep.shape[0]
        rows.append(row)
        masks.append([prefix_val] * plen + [1] * len(ans))
        starts.append(k)
        plens.append(plen)
        lens.append(row.shape[0])
    t = max(lens)
    d = rows[0].shape[1]
    emb = torch.zeros(len(rows), t, d)
    am = torch.zeros(len(rows), t, dtype=torch.long)
    for i, row in enumerate(rows):
        emb[i, : row.shape[0]] = row
        am[i, : lens[i]] = torch.tensor(masks[i], dtype=torch.long)
    pos = torch.arange(t, dtype=torch.long)[None].expand(len(rows), t).contiguous()
    return Assembled(emb, am, pos, starts, plens, lens)
