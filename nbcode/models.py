"""The models that one chapter teaches and another chapter or a benchmark reuses.

A model lives here once it is used twice, so that every user trains the same
network (d2l's pattern). The chapter that teaches it prints this code and builds
the model from here:

- :func:`make_cnn` (with :func:`conv_block`): chapter 7's CNN for 28x28 digits
  and clothes; chapter 11 trains it as the judge of its generated digits, and
  ``benchmarks/time_to_target.py`` times it to 99% on MNIST and 93% on
  Fashion-MNIST.
- :class:`CharTransformer`: chapter 10's decoder-only character model;
  ``benchmarks/time_to_target.py`` times it to 1.5 nats per character.

Only torch is imported, so the benchmarks run on a machine without the book's
Jupyter packages. Under the same ``torch.manual_seed`` a model built here has
the same initial weights as the one the chapters' committed outputs came from:
the layers are created in the same order, so change that order only together
with re-running chapters 7, 10 and 11.
"""

import torch
from torch import nn

__all__ = ["conv_block", "make_cnn", "CharTransformer"]


def conv_block(c_in, c_out):
    """3x3 convolution, batch norm, ReLU, as a list of layers; the image keeps its size."""
    # No bias in the convolution: batch norm subtracts each channel's mean and adds its own learned shift.
    return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def make_cnn(width):
    """Chapter 7's CNN: 1x28x28 images to 10 logits; ``width`` channels in the first block, twice that next."""
    # Flat, not nested: cnn[0] is the first convolution and cnn[:3] the first block, as chapter 7 plots them.
    return nn.Sequential(
        *conv_block(1, width), nn.MaxPool2d(2),  # width x 14 x 14
        *conv_block(width, 2 * width), nn.MaxPool2d(2),  # 2*width x 7 x 7
        nn.Flatten(), nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
    )


class CharTransformer(nn.Module):
    """Chapter 10's character model: a stack of causal pre-norm self-attention blocks, as in GPT.

    Maps a batch of character ids of shape (batch, n), n at most ``context``, to
    logits of shape (batch, n, vocabulary) for the character after each position.
    """

    def __init__(self, vocabulary, size, layers, context, heads=4, dropout=0.0):
        super().__init__()
        self.token = nn.Embedding(vocabulary, size)
        self.position = nn.Embedding(context, size)  # learned positions, as in GPT
        # norm_first: layer norm before attention and MLP, inside the residual branch (pre-norm), which trains
        # more stably than the original post-norm; a 4x wider MLP with GELU, as in GPT.
        block = nn.TransformerEncoderLayer(size, heads, dim_feedforward=4 * size, dropout=dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        # Nested tensors only speed up padded batches, and this model has no padding.
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(size)  # pre-norm blocks leave their sum unnormalised: normalise before the output
        self.output = nn.Linear(size, vocabulary)

    def forward(self, ids):
        n = ids.shape[1]
        # -inf above the diagonal: position i attends only to positions j <= i. is_causal=True tells PyTorch
        # that the mask is this one, so it may use a faster kernel; the mask must still be passed.
        causal = nn.Transformer.generate_square_subsequent_mask(n, device=ids.device)
        x = self.token(ids) + self.position(torch.arange(n, device=ids.device))
        return self.output(self.norm(self.blocks(x, mask=causal, is_causal=True)))
