"""Chapter 10's residual gradient over ten seeds: how much gradient 24 fresh blocks pass back without residuals.

The chapter (10_transformer) stacks 24 freshly initialised pre-norm blocks (built by hand from linear layers, a
GELU MLP, causal self-attention) seeded with its seed, and measures the norm of the gradient at the stack's input
of the output's projection on a random direction, once with the blocks as they are and once with the same weights
and the two ``x +`` of each block removed. The code below is the chapter's cells (``attention``, ``Block``,
``without_residuals`` and the measurement), copied: the chapter keeps them visible to teach them, and the tests
check that the chapter's glued ratio equals this study's entry for seed 0, the chapter's own run.

Per seed: both gradient norms and their ratio (without over with residuals). A seed takes well under a second.
"""

CHAPTER = "10_transformer"
SETTINGS = {"blocks": 24, "size": 16, "heads": 4, "hidden": 64, "length": 7}
SEEDS = list(range(10))
SMOKE = {"blocks": 3}
GLUE = {"residual_gradient_ratio": "ratio"}


def run(seed, blocks, size, heads, hidden, length):
    """The chapter's residual-gradient cell for one seed, on the CPU."""
    import math

    import torch
    from torch import nn

    import nbcode

    device = nbcode.setup(seed, "cpu")

    def attention(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ v, weights

    class Block(nn.Module):
        def __init__(self, size, heads, hidden, norm_first):
            super().__init__()
            self.heads, self.norm_first = heads, norm_first
            self.query, self.key, self.value = nn.Linear(size, size), nn.Linear(size, size), nn.Linear(size, size)
            self.mix = nn.Linear(size, size)
            self.norm1, self.norm2 = nn.LayerNorm(size), nn.LayerNorm(size)
            self.mlp = nn.Sequential(nn.Linear(size, hidden), nn.GELU(), nn.Linear(hidden, size))

        def self_attention(self, x, mask):
            batch, n, size = x.shape
            split = lambda t: t.reshape(batch, n, self.heads, size // self.heads).transpose(1, 2)
            out, _ = attention(split(self.query(x)), split(self.key(x)), split(self.value(x)), mask)
            return self.mix(out.transpose(1, 2).reshape(batch, n, size))

        def forward(self, x, mask=None):
            if self.norm_first:
                x = x + self.self_attention(self.norm1(x), mask)
                return x + self.mlp(self.norm2(x))
            x = self.norm1(x + self.self_attention(x, mask))
            return self.norm2(x + self.mlp(x))

    def without_residuals(block, x, mask):
        return block.mlp(block.norm2(block.self_attention(block.norm1(x), mask)))

    causal = torch.ones(length, length, dtype=torch.bool, device=device).tril()
    torch.manual_seed(seed)
    stack = [Block(size, heads=heads, hidden=hidden, norm_first=True).to(device) for _ in range(blocks)]
    inputs = torch.randn(2, length, size, device=device, requires_grad=True)
    direction = torch.randn(2, length, size, device=device)
    norms = []
    for residual in (True, False):
        h = inputs
        for block in stack:
            h = block(h, causal) if residual else without_residuals(block, h, causal)
        (gradient,) = torch.autograd.grad((h * direction).sum(), inputs)
        norms.append(gradient.norm().item())
    return {"norm_residual": round(norms[0], 2), "norm_plain": float(nbcode.significant(norms[1], 3)),
            "ratio": float(nbcode.significant(norms[1] / norms[0], 2))}
