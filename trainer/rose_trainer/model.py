"""The ROSE model: vision encoder, LLM with KV cache, patch analyzer, SAM-style encoder/decoder, text encoder.

Every module is written so that `torch.onnx.export` (torch 1.13, opset 17) traces it into the graphs of
docs/model-pack.md: attention is written by hand (nn.MultiheadAttention does not export in eval mode),
masking uses a large finite negative (-inf gives NaN on fully padded rows), and rotary tables are
computed from `position_ids` inside `forward` (a buffer derived at construction goes stale after
`load_state_dict`).
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig

NEG = -1.0e9  # additive attention mask value for "not visible"


class Conv2d(nn.Conv2d):
    """nn.Conv2d computed as im2col + GEMM during training.

    Debian's torch 1.13 with oneDNN 2.6 corrupts memory in convolution on this CPU (random NaNs appear
    in unrelated tensors; they vanish with oneDNN disabled, whose fallback is ~20× slower). im2col + GEMM
    goes through OpenBLAS instead. Parameters and the exported ONNX `Conv` are those of nn.Conv2d.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same function as nn.Conv2d."""
        if torch.onnx.is_in_onnx_export() or self.groups != 1:
            return super().forward(x)
        b, _, h, w = x.shape
        kh, kw = self.kernel_size
        oh = (h + 2 * self.padding[0] - self.dilation[0] * (kh - 1) - 1) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.dilation[1] * (kw - 1) - 1) // self.stride[1] + 1
        if (kh, kw) == (1, 1) and self.stride == (1, 1) and self.padding == (0, 0):
            cols = x.reshape(b, x.shape[1], h * w)
        else:
            cols = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)
        out = torch.matmul(self.weight.reshape(self.out_channels, -1), cols)
        if self.bias is not None:
            out = out + self.bias[:, None]
        return out.reshape(b, self.out_channels, oh, ow)


class RMSNorm(nn.Module):
    """Root-mean-square layer norm (Llama/Qwen style)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise the last axis."""
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LayerNorm2d(nn.Module):
    """Channel LayerNorm for NCHW maps (as in SAM)."""

    def __init__(self, c: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise over channels at every position."""
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Scaled dot-product attention over [..., T, d] with an optional additive bias."""
    scores = torch.matmul(q * (1.0 / math.sqrt(q.shape[-1])), k.transpose(-1, -2))
    if bias is not None:
        scores = scores + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class ResBlock(nn.Module):
    """3×3 (dilated) residual conv block: widens the receptive field cheaply before patch tokens exist."""

    def __init__(self, c: int, dilation: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(8 if c % 8 == 0 else 1, c)
        self.conv1 = Conv2d(c, c, 3, padding=dilation, dilation=dilation)
        self.conv2 = Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x + conv(gelu(conv(norm(x))))."""
        return x + self.conv2(F.gelu(self.conv1(self.norm(x))))


class EncoderLayer(nn.Module):
    """Pre-norm bidirectional transformer layer (vision tower and text encoder)."""

    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """One layer; `bias` is an additive [B, 1, 1, T] key mask or None."""
        b, t, d = x.shape
        h = self.norm1(x)
        q, k, v = self.qkv(h).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = attention(q, k, v, bias).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(a)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


# ------------------------------------------------------------------------------------------ vision

class VisionEncoder(nn.Module):
    """RGB + mask channel → S² patch embeddings in the LLM width.

    A strided conv stem with dilated residual blocks replaces ViT's single patchify conv: at this size
    the global attention layers alone do not learn object shape in a CPU budget (findings note), while
    a ~60 px receptive field lets every patch see the outline of the object it sits in.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        c_in = cfg.in_channels
        for c in cfg.stem_channels:
            layers += [Conv2d(c_in, c, 3, stride=2, padding=1), nn.GELU()]
            c_in = c
        if 2 ** len(cfg.stem_channels) != cfg.patch_size:
            raise ValueError("patch_size must be 2**len(stem_channels)")
        self.stem = nn.Sequential(*layers)
        self.res = nn.Sequential(*[ResBlock(c_in, d) for d in cfg.stem_res_dilations])
        self.to_width = Conv2d(c_in, cfg.vision_width, 1)
        self.pos = nn.Parameter(torch.zeros(1, cfg.num_patches, cfg.vision_width))
        nn.init.normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList(
            [EncoderLayer(cfg.vision_width, cfg.vision_heads, 4 * cfg.vision_width) for _ in range(cfg.vision_layers)])
        self.norm = nn.LayerNorm(cfg.vision_width)
        # llava's mlp2x_gelu projector into the LLM width.
        self.proj1 = nn.Linear(cfg.vision_width, cfg.hidden_size)
        self.proj2 = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 4, L, L] → [B, S², D] (row-major patches)."""
        x = self.to_width(self.res(self.stem(pixel_values)))
        x = x.flatten(2).transpose(1, 2) + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.proj2(F.gelu(self.proj1(self.norm(x))))


# --------------------------------------------------------------------------------------------- LLM

def rotary(position_ids: torch.Tensor, dim: int, theta: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [B, 1, T, dim] for rotate-half RoPE, computed from the ids at run time."""
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    ang = position_ids.to(torch.float32)[..., None] * inv  # [B, T, dim/2]
    emb = torch.cat([ang, ang], dim=-1)[:, None]
    return emb.cos(), emb.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) → (-x2, x1) on the last axis."""
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def attention_bias(attention_mask: torch.Tensor, t: int) -> torch.Tensor:
    """Additive mask [B, 1, T, P+T] from the pack's attention_mask values; the T queries are the last T keys.

    0 = padding (never visible), 1 = causal token (visible to itself and later tokens),
    2 = prefix token (visible to every token, including earlier ones: the prompt is read bidirectionally).
    """
    total = attention_mask.shape[1]
    key_idx = torch.arange(total, device=attention_mask.device)
    query_idx = key_idx[total - t:]
    am = attention_mask[:, None, None, :]
    causal_ok = key_idx[None, None, None, :] <= query_idx[None, None, :, None]
    visible = (am != 0) & (causal_ok | (am == 2))
    return torch.where(visible, torch.zeros((), dtype=torch.float32), torch.full((), NEG, dtype=torch.float32))


class DecoderLayer(nn.Module):
    """Llama/Qwen-style layer: RMSNorm, RoPE attention with grouped KV heads, SwiGLU MLP."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d, hd = cfg.hidden_size, cfg.head_dim
        self.heads, self.kv_heads, self.head_dim = cfg.llm_heads, cfg.llm_kv_heads, hd
        self.norm1 = RMSNorm(d)
        self.q = nn.Linear(d, cfg.llm_heads * hd)
        self.k = nn.Linear(d, cfg.llm_kv_heads * hd)
        self.v = nn.Linear(d, cfg.llm_kv_heads * hd)
        self.o = nn.Linear(cfg.llm_heads * hd, d, bias=False)
        self.norm2 = RMSNorm(d)
        self.gate = nn.Linear(d, cfg.llm_mlp, bias=False)
        self.up = nn.Linear(d, cfg.llm_mlp, bias=False)
        self.down = nn.Linear(cfg.llm_mlp, d, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, bias: torch.Tensor,
                past_k: Optional[torch.Tensor], past_v: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One layer; returns (output, present_k, present_v) with present = past ++ current."""
        b, t, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        rep = self.heads // self.kv_heads
        kk = k.repeat_interleave(rep, dim=1) if rep > 1 else k
        vv = v.repeat_interleave(rep, dim=1) if rep > 1 else v
        a = attention(q, kk, vv, bias).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        x = x + self.o(a)
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h)), k, v


class LLM(nn.Module):
    """Decoder-only language model over input embeddings, with a KV cache; lm_head tied to the embedding."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.llm_layers)])
        self.norm = RMSNorm(cfg.hidden_size)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """LM head (tied weights)."""
        return F.linear(hidden, self.embed.weight)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                past: Optional[Sequence[Tuple[torch.Tensor, torch.Tensor]]] = None
                ) -> Tuple[torch.Tensor, List[Tuple[torch.Tensor, torch.Tensor]]]:
        """Run T new positions after P cached ones; returns (last hidden state after the final norm, presents)."""
        bias = attention_bias(attention_mask, inputs_embeds.shape[1])
        cos, sin = rotary(position_ids, self.cfg.head_dim, self.cfg.rope_theta)
        x = inputs_embeds
        presents: List[Tuple[torch.Tensor, torch.Tensor]] = []
        for i, layer in enumerate(self.layers):
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            presents.append((k, v))
        return self.norm(x), presents


# ---------------------------------------------------------------------------------- patch analyzer

def mlp2(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    """The paper's projector ϕ: two-layer MLP with ReLU."""
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


class PatchAnalyzer(nn.Module):
    """Heads on every patch state: objectness, mask embedding, category embedding, SigLIP-space embedding."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.objectness = mlp2(cfg.hidden_size, cfg.head_hidden, 1)
        self.mask = mlp2(cfg.hidden_size, cfg.head_hidden, cfg.sam_dim)
        self.category = mlp2(cfg.hidden_size, cfg.head_hidden, cfg.hidden_size)
        self.siglip = mlp2(cfg.hidden_size, cfg.head_hidden, cfg.siglip_dim)

    def forward(self, hidden: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """[B, N, D] → objectness logits [B, N], mask [B, N, E], category [B, N, D], siglip [B, N, Es] (unit norm)."""
        sig = self.siglip(hidden)
        sig = sig / torch.sqrt(sig.pow(2).sum(-1, keepdim=True) + 1e-12)
        return self.objectness(hidden)[..., 0], self.mask(hidden), self.category(hidden), sig


# ----------------------------------------------------------------------------------------- SAM side

class SamEncoder(nn.Module):
    """Image → dense embedding (stride 2**len(sam_channels)), SAM's role with a small conv trunk."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        c_in = 3
        for c in cfg.sam_channels:
            layers += [Conv2d(c_in, c, 3, stride=2, padding=1), nn.GELU()]
            c_in = c
        self.stem = nn.Sequential(*layers)
        self.res = nn.Sequential(*[ResBlock(c_in, d) for d in cfg.sam_res_dilations])
        self.neck = Conv2d(c_in, cfg.sam_dim, 1)
        self.norm = LayerNorm2d(cfg.sam_dim)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, Ls, Ls] → [B, C, Ls/4, Ls/4]."""
        return self.norm(self.neck(self.res(self.stem(pixel_values))))


class PatchMerge(nn.Module):
    """Conv k=2, s=2 written as space-to-depth + linear (same function; much faster on CPU, plain MatMul in ONNX)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.lin = nn.Linear(4 * c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] → [B, C', H/2, W/2]."""
        b, c, h, w = x.shape
        x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, h // 2, w // 2, 4 * c)
        return self.lin(x).permute(0, 3, 1, 2)


class PatchExpand(nn.Module):
    """ConvTranspose k=2, s=2 written as linear + depth-to-space (SAM's upscaling step, CPU-friendly)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.c_out = c_out
        self.lin = nn.Linear(c_in, 4 * c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] → [B, C', 2H, 2W]."""
        b, _, h, w = x.shape
        y = self.lin(x.permute(0, 2, 3, 1)).reshape(b, h, w, self.c_out, 2, 2)
        return y.permute(0, 3, 1, 4, 2, 5).reshape(b, self.c_out, 2 * h, 2 * w)


class PositionEmbeddingRandom(nn.Module):
    """SAM's random Fourier position encoding of normalised (x, y) coordinates."""

    def __init__(self, num_feats: int) -> None:
        super().__init__()
        self.register_buffer("gaussian", torch.randn(2, num_feats))

    def encode(self, coords01: torch.Tensor) -> torch.Tensor:
        """[..., 2] in [0, 1] → [..., 2·num_feats]."""
        c = (2 * coords01 - 1) @ self.gaussian
        c = 2 * math.pi * c
        return torch.cat([torch.sin(c), torch.cos(c)], dim=-1)

    def grid(self, size: int) -> torch.Tensor:
        """[1, C, size, size] encoding of cell centres."""
        g = (torch.arange(size, dtype=torch.float32) + 0.5) / size
        yy = g[:, None].expand(size, size)
        xx = g[None, :].expand(size, size)
        return self.encode(torch.stack([xx, yy], dim=-1)).permute(2, 0, 1)[None]


class TwoWayAttention(nn.Module):
    """Attention with SAM's internal down-projection."""

    def __init__(self, dim: int, heads: int, downsample: int = 1) -> None:
        super().__init__()
        inner = dim // downsample
        self.heads = heads
        self.q = nn.Linear(dim, inner)
        self.k = nn.Linear(dim, inner)
        self.v = nn.Linear(dim, inner)
        self.o = nn.Linear(inner, dim)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """[B, Tq, C] attending to [B, Tk, C]."""
        b = q.shape[0]
        q, k, v = self.q(q), self.k(k), self.v(v)

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.reshape(b, x.shape[1], self.heads, x.shape[2] // self.heads).transpose(1, 2)

        out = attention(split(q), split(k), split(v))
        return self.o(out.transpose(1, 2).reshape(b, out.shape[2], -1))


class TwoWayBlock(nn.Module):
    """SAM's two-way block: token self-attn, token→image, MLP, image→token."""

    def __init__(self, dim: int, heads: int, mlp: int, skip_first_pe: bool) -> None:
        super().__init__()
        self.self_attn = TwoWayAttention(dim, heads)
        self.norm1 = nn.LayerNorm(dim)
        self.t2i = TwoWayAttention(dim, heads, 2)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.ReLU(), nn.Linear(mlp, dim))
        self.norm3 = nn.LayerNorm(dim)
        self.i2t = TwoWayAttention(dim, heads, 2)
        self.norm4 = nn.LayerNorm(dim)
        self.skip_first_pe = skip_first_pe

    def forward(self, tok: torch.Tensor, img: torch.Tensor, tok_pe: torch.Tensor, img_pe: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Update (tokens, image) once."""
        if self.skip_first_pe:
            tok = self.norm1(self.self_attn(tok, tok, tok))
        else:
            q = tok + tok_pe
            tok = self.norm1(tok + self.self_attn(q, q, tok))
        tok = self.norm2(tok + self.t2i(tok + tok_pe, img + img_pe, img))
        tok = self.norm3(tok + self.mlp(tok))
        img = self.norm4(img + self.i2t(img + img_pe, tok + tok_pe, tok))
        return tok, img


class SamDecoder(nn.Module):
    """SAM's prompt encoder + mask decoder, plus ROSE's mask-embedding prompt token.

    Sparse tokens are the P points (SAM's ONNX convention: labels 1/0 fg/bg, 2/3 box corners, -1
    padding) followed by one ROSE token that is the patch's mask embedding when has_prompt_embedding=1
    and a learned "no prompt" embedding otherwise.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c = cfg.sam_dim
        self.cfg = cfg
        self.pe = PositionEmbeddingRandom(c // 2)
        self.point_embed = nn.Parameter(torch.randn(4, c) * 0.1)
        self.not_a_point = nn.Parameter(torch.randn(c) * 0.1)
        self.prompt_proj = nn.Linear(c, c)
        self.no_prompt = nn.Parameter(torch.randn(c) * 0.1)
        self.no_mask = nn.Parameter(torch.randn(c) * 0.1)
        self.mask_down = nn.Sequential(
            PatchMerge(1, 4), LayerNorm2d(4), nn.GELU(),
            PatchMerge(4, 16), LayerNorm2d(16), nn.GELU(), Conv2d(16, c, 1))
        self.iou_token = nn.Parameter(torch.randn(1, c) * 0.1)
        self.mask_tokens = nn.Parameter(torch.randn(cfg.sam_num_mask_outputs, c) * 0.1)
        self.blocks = nn.ModuleList([TwoWayBlock(c, cfg.sam_decoder_heads, cfg.sam_decoder_mlp, i == 0)
                                     for i in range(cfg.sam_decoder_depth)])
        self.final_attn = TwoWayAttention(c, cfg.sam_decoder_heads, 2)
        self.final_norm = nn.LayerNorm(c)
        self.up1 = PatchExpand(c, c // 4)
        self.up_norm = LayerNorm2d(c // 4)
        self.up2 = PatchExpand(c // 4, c // 8)
        self.hyper = nn.ModuleList([nn.Sequential(nn.Linear(c, c), nn.ReLU(), nn.Linear(c, c), nn.ReLU(),
                                                  nn.Linear(c, c // 8)) for _ in range(cfg.sam_num_mask_outputs)])
        self.iou_head = nn.Sequential(nn.Linear(c, c), nn.ReLU(), nn.Linear(c, cfg.sam_num_mask_outputs))

    def forward(self, image_embeddings: torch.Tensor, point_coords: torch.Tensor, point_labels: torch.Tensor,
                mask_input: torch.Tensor, has_mask_input: torch.Tensor, prompt_embedding: torch.Tensor,
                has_prompt_embedding: torch.Tensor, skip_mask_input: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
        """image_embeddings [B or 1, C, h, w]; prompts batched on B → (iou_predictions [B, M], low_res_masks [B, M, 4h, 4w]).

        `skip_mask_input` is a training shortcut for batches known to have has_mask_input = 0 everywhere;
        exported graphs always compute the mask_input path.
        """
        b = point_coords.shape[0]
        c, h, w = image_embeddings.shape[1], image_embeddings.shape[2], image_embeddings.shape[3]
        # Points: SAM shifts to pixel centres and normalises by the frame size.
        coords = (point_coords + 0.5) / float(self.cfg.sam_image_size)
        labels = point_labels[..., None]
        pe = self.pe.encode(coords)
        is_pad = (labels == -1).to(torch.float32)
        pe = pe * (1 - is_pad)
        emb = pe + is_pad * self.not_a_point
        for lab in range(4):
            emb = emb + (labels == lab).to(torch.float32) * self.point_embed[lab]
        hp = has_prompt_embedding[:, None]
        rose = hp * self.prompt_proj(prompt_embedding) + (1 - hp) * self.no_prompt
        sparse = torch.cat([emb, rose[:, None, :]], dim=1)
        tokens = torch.cat([self.iou_token, self.mask_tokens], dim=0)[None].expand(b, -1, -1)
        tokens = torch.cat([tokens, sparse], dim=1)

        hm = has_mask_input[:, None, None, None]
        no_mask = self.no_mask[None, :, None, None]
        dense = no_mask if skip_mask_input else hm * self.mask_down(mask_input) + (1 - hm) * no_mask
        src = image_embeddings.expand(b, -1, -1, -1) + dense
        img_pe = self.pe.grid(h).expand(b, -1, -1, -1).flatten(2).transpose(1, 2)
        img = src.flatten(2).transpose(1, 2)
        tok = tokens
        for blk in self.blocks:
            tok, img = blk(tok, img, tokens, img_pe)
        tok = self.final_norm(tok + self.final_attn(tok + tokens, img + img_pe, img))
        iou_out = tok[:, 0]
        mask_out = tok[:, 1:1 + self.cfg.sam_num_mask_outputs]
        img = img.transpose(1, 2).reshape(b, c, h, w)
        up = F.gelu(self.up2(F.gelu(self.up_norm(self.up1(img)))))
        hyper = torch.stack([self.hyper[i](mask_out[:, i]) for i in range(self.cfg.sam_num_mask_outputs)], dim=1)
        masks = torch.matmul(hyper, up.flatten(2)).reshape(b, -1, up.shape[2], up.shape[3])
        return self.iou_head(iou_out), masks


# -------------------------------------------------------------------------------------- text encoder

class TextEncoder(nn.Module):
    """Names → unit vectors in the space of the SigLIP head (a stand-in for SigLIP's text tower)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.text_width)
        self.pos = nn.Parameter(torch.zeros(1, cfg.text_max_len, cfg.text_width))
        nn.init.normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList(
            [EncoderLayer(cfg.text_width, cfg.text_heads, 4 * cfg.text_width) for _ in range(cfg.text_layers)])
        self.norm = nn.LayerNorm(cfg.text_width)
        self.proj = nn.Linear(cfg.text_width, cfg.siglip_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """[B, T] ids + mask (1 real, 0 pad) → [B, Es] unit-norm embeddings (mean over real tokens)."""
        t = input_ids.shape[1]
        x = self.embed(input_ids) + self.pos[:, :t]
        m = attention_mask.to(torch.float32)
        bias = ((1 - m) * NEG)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        x = self.norm(x)
        pooled = (x * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1.0)
        e = self.proj(pooled)
        return e / torch.sqrt(e.pow(2).sum(-1, keepdim=True) + 1e-12)


# ------------------------------------------------------------------------------- category adapter

def resample_matrix(lo: torch.Tensor, hi: torch.Tensor, out_size: int, in_size: int) -> torch.Tensor:
    """[K, out, in] antialiased linear-interpolation weights sampling [lo, hi) (fractions of the frame).

    Output sample j sits at lo + (j + 0.5)(hi − lo)/out; its triangle kernel is as wide as one output
    step (at least one input pixel), rows are normalised, and samples outside the frame get zero weight.
    """
    j = torch.arange(out_size, dtype=torch.float32)
    pos = lo[:, None] + (j[None, :] + 0.5) * (hi - lo)[:, None] / out_size  # [K, out] in frame fractions
    step = torch.clamp((hi - lo) * in_size / out_size, min=1.0)  # kernel half-width in input pixels
    centres = (torch.arange(in_size, dtype=torch.float32) + 0.5)  # input pixel centres
    d = (pos[..., None] * in_size - centres[None, None, :]).abs() / step[:, None, None]
    wts = torch.relu(1.0 - d)
    inside = ((pos >= 0) & (pos <= 1)).to(torch.float32)[..., None]
    return wts * inside / torch.clamp(wts.sum(-1, keepdim=True), min=1e-6)


class CategoryAdapter(nn.Module):
    """Adds an object-level view to a category embedding: a CNN over the image and mask cropped to the object.

    Deviation from the paper (documented in docs/model-pack.md): a tiny model cannot gather an object's
    outline into its centre patch, so naming looks at the decoded mask. The last layer starts at zero,
    so an untrained adapter is the identity.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: List[nn.Module] = []
        c_in = 4
        for i, c in enumerate(cfg.adapter_channels):
            layers += [Conv2d(c_in, c, 3, stride=1 if i == 0 else 2, padding=1), nn.GELU()]
            c_in = c
        self.cnn = nn.Sequential(*layers)
        side = cfg.adapter_crop // (2 ** (len(cfg.adapter_channels) - 1))
        self.fc1 = nn.Linear(c_in * side * side, cfg.hidden_size)
        self.fc2 = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def crop_boxes(self, low_res_masks: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Square crop windows (y0, y1, x0, x1 as frame fractions) around each mask's foreground (logit > 0)."""
        m = low_res_masks[:, 0]
        r = m.shape[-1]
        fg = (m > 0).to(torch.float32)
        rows = fg.amax(dim=2)
        cols = fg.amax(dim=1)
        idx = torch.arange(r, dtype=torch.float32)
        empty = (rows.amax(dim=1) == 0).to(torch.float32)
        ymax = (rows * idx).amax(dim=1)
        ymin = (r - 1) - (rows * (r - 1 - idx)).amax(dim=1)
        xmax = (cols * idx).amax(dim=1)
        xmin = (r - 1) - (cols * (r - 1 - idx)).amax(dim=1)
        # An empty mask crops the whole frame.
        ymin, xmin = ymin * (1 - empty), xmin * (1 - empty)
        ymax = ymax * (1 - empty) + (r - 1) * empty
        xmax = xmax * (1 - empty) + (r - 1) * empty
        cy = (ymin + ymax + 1) / (2 * r)
        cx = (xmin + xmax + 1) / (2 * r)
        side = torch.maximum(ymax - ymin + 1, xmax - xmin + 1) / r * self.cfg.adapter_margin
        side = torch.clamp(side, min=4.0 / r)
        return cy - side / 2, cy + side / 2, cx - side / 2, cx + side / 2

    def forward(self, category_embeddings: torch.Tensor, low_res_masks: torch.Tensor, pixel_values: torch.Tensor
                ) -> torch.Tensor:
        """[K, D], [K, 1, r, r] mask logits, [1 or K, 3, Ls, Ls] SAM-frame image → [K, D]."""
        y0, y1, x0, x1 = self.crop_boxes(low_res_masks)
        n = self.cfg.adapter_crop
        ls = pixel_values.shape[-1]
        r = low_res_masks.shape[-1]
        ay_i, ax_i = resample_matrix(y0, y1, n, ls), resample_matrix(x0, x1, n, ls)
        ay_m, ax_m = resample_matrix(y0, y1, n, r), resample_matrix(x0, x1, n, r)
        img = torch.matmul(torch.matmul(ay_i[:, None], pixel_values), ax_i[:, None].transpose(-1, -2))
        prob = torch.sigmoid(low_res_masks)
        msk = torch.matmul(torch.matmul(ay_m[:, None], prob), ax_m[:, None].transpose(-1, -2))
        feats = self.cnn(torch.cat([img, msk], dim=1)).flatten(1)
        return category_embeddings + self.fc2(F.gelu(self.fc1(feats)))


# ------------------------------------------------------------------------------------------- model

class RoseModel(nn.Module):
    """All trainable parts of a ROSE pack."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.vision = VisionEncoder(cfg)
        self.llm = LLM(cfg)
        self.analyzer = PatchAnalyzer(cfg)
        self.sam_encoder = SamEncoder(cfg)
        self.sam_decoder = SamDecoder(cfg)
        self.text_encoder = TextEncoder(cfg)
        self.adapter = CategoryAdapter(cfg) if cfg.use_category_adapter else None
        # Training-only linear probe for `losses.name_probe_ce` (not part of any exported graph).
        self.name_probe = nn.Linear(cfg.hidden_size, cfg.vocab_size)


def param_count(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters())
