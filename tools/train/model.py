"""The llama-style decoder slmctl runs (lib/runtime/forward.hpp), in PyTorch.

Tensor names and shapes are the .slm canonical ones ([out, in] matrices), so
the state dict is written to safetensors as is. RoPE rotates adjacent pairs
(2i, 2i+1) with angle pos * theta^(-2i/head_dim); query head h reads KV head
h // (n_heads / n_kv_heads); the output is untied.
"""
import math

import torch
import torch.nn.functional as F

BYTE_VOCAB = 258  # bytes, then <s> = 256 and </s> = 257
BOS, EOS = 256, 257


class Config:
    def __init__(self, n_layers, n_heads, n_kv_heads, head_dim, ffn_dim, context_length,
                 rope_theta=10000.0, rms_eps=1e-5, vocab_size=BYTE_VOCAB):
        self.n_layers, self.n_heads, self.n_kv_heads = n_layers, n_heads, n_kv_heads
        self.head_dim, self.ffn_dim, self.context_length = head_dim, ffn_dim, context_length
        self.rope_theta, self.rms_eps, self.vocab_size = rope_theta, rms_eps, vocab_size
        self.dim = n_heads * head_dim

    def as_dict(self):
        return {k: getattr(self, k) for k in ("n_layers", "n_heads", "n_kv_heads", "head_dim", "ffn_dim",
                                              "context_length", "rope_theta", "rms_eps", "vocab_size")}


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x, cos, sin):
    # x: (batch, heads, time, head_dim); pairs (2i, 2i+1) rotate together.
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class _Named(torch.nn.ParameterDict):
    """A ParameterDict keyed by canonical tensor names (torch forbids '.' in its keys)."""

    def __setitem__(self, name, value):
        super().__setitem__(name.replace(".", "__"), value)

    def __getitem__(self, name):
        return super().__getitem__(name.replace(".", "__"))

    def named(self):
        return [(k.replace("__", "."), v) for k, v in super().items()]


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        kv_dim = c.n_kv_heads * c.head_dim
        P = torch.nn.Parameter
        self.params = _Named()
        self.params["tok_embeddings.weight"] = P(torch.randn(c.vocab_size, c.dim) * 0.02)
        self.params["norm.weight"] = P(torch.ones(c.dim))
        self.params["output.weight"] = P(torch.randn(c.vocab_size, c.dim) * 0.02)
        for l in range(c.n_layers):
            p = f"layers.{l}."
            out_std = 0.02 / math.sqrt(2 * c.n_layers)
            self.params[p + "attention_norm.weight"] = P(torch.ones(c.dim))
            self.params[p + "attention.wq.weight"] = P(torch.randn(c.dim, c.dim) * 0.02)
            self.params[p + "attention.wk.weight"] = P(torch.randn(kv_dim, c.dim) * 0.02)
            self.params[p + "attention.wv.weight"] = P(torch.randn(kv_dim, c.dim) * 0.02)
            self.params[p + "attention.wo.weight"] = P(torch.randn(c.dim, c.dim) * out_std)
            self.params[p + "ffn_norm.weight"] = P(torch.ones(c.dim))
            self.params[p + "feed_forward.w1.weight"] = P(torch.randn(c.ffn_dim, c.dim) * 0.02)
            self.params[p + "feed_forward.w2.weight"] = P(torch.randn(c.dim, c.ffn_dim) * out_std)
            self.params[p + "feed_forward.w3.weight"] = P(torch.randn(c.ffn_dim, c.dim) * 0.02)
        freqs = c.rope_theta ** (-2.0 * torch.arange(c.head_dim // 2, dtype=torch.float64) / c.head_dim)
        angles = torch.arange(c.context_length, dtype=torch.float64)[:, None] * freqs[None, :]
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)

    def forward(self, tokens):
        c, W = self.c, self.params
        B, T = tokens.shape
        x = W["tok_embeddings.weight"][tokens]
        cos, sin = self.cos[:T], self.sin[:T]
        group = c.n_heads // c.n_kv_heads
        mask = torch.full((T, T), float("-inf")).triu(1)
        for l in range(c.n_layers):
            p = f"layers.{l}."
            h = rms_norm(x, W[p + "attention_norm.weight"], c.rms_eps)
            q = (h @ W[p + "attention.wq.weight"].T).view(B, T, c.n_heads, c.head_dim).transpose(1, 2)
            k = (h @ W[p + "attention.wk.weight"].T).view(B, T, c.n_kv_heads, c.head_dim).transpose(1, 2)
            v = (h @ W[p + "attention.wv.weight"].T).view(B, T, c.n_kv_heads, c.head_dim).transpose(1, 2)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            scores = q @ k.transpose(-1, -2) / math.sqrt(c.head_dim) + mask
            att = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, c.dim)
            x = x + att @ W[p + "attention.wo.weight"].T
            h = rms_norm(x, W[p + "ffn_norm.weight"], c.rms_eps)
            x = x + (F.silu(h @ W[p + "feed_forward.w1.weight"].T) * (h @ W[p + "feed_forward.w3.weight"].T)) \
                @ W[p + "feed_forward.w2.weight"].T
        return rms_norm(x, W["norm.weight"], c.rms_eps) @ W["output.weight"].T

    def parameter_count(self):
        return sum(p.numel() for _, p in self.params.named())

    def state(self):
        """Canonical name -> float32 numpy array."""
        return {name: p.detach().float().numpy() for name, p in self.params.named()}

    def load(self, arrays):
        with torch.no_grad():
            for name, p in self.params.named():
                p.copy_(torch.from_numpy(arrays[name]))

    @torch.no_grad()
    def greedy(self, prompt_ids, max_tokens):
        """Greedy continuation without a cache (the models and contexts are tiny)."""
        ids = list(prompt_ids)
        out = []
        for _ in range(max_tokens):
            if len(ids) >= self.c.context_length:
                break
            nxt = int(self.forward(torch.tensor([ids]))[0, -1].argmax())
            if nxt == EOS:
                break
            out.append(nxt)
            ids.append(nxt)
        return out
