"""The few figures chapters draw again and again."""

import math

import matplotlib.pyplot as plt
import torch

__all__ = ["plot_history", "plot_activations", "image_grid"]


def plot_history(history):
    """One panel per quantity (loss, then each metric), training and validation per epoch."""
    names = []
    for key in history.epochs[0]:
        name = key.split("_", 1)[-1]
        if key != "epoch" and name not in names:
            names.append(name)
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
    epochs = history["epoch"]
    for ax, name in zip(axes[0], names):
        for phase in ("train", "val"):
            key = f"{phase}_{name}"
            if key in history.epochs[0]:
                ax.plot(epochs, history[key], marker=".", label={"train": "training", "val": "validation"}[phase])
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", linestyle=":", label="best epoch")
        ax.set(xlabel="epoch", title=name)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_activations(activations, low=-5.0, high=5.0):
    """Each activation function and its derivative (by autograd) on ``[low, high]``.

    ``activations`` maps a name to a function of a tensor.
    """
    x = torch.linspace(low, high, 401, requires_grad=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, function in activations.items():
        y = function(x)
        (slope,) = torch.autograd.grad(y.sum(), x)
        left.plot(x.detach().numpy(), y.detach().numpy(), label=name)
        right.plot(x.detach().numpy(), slope.numpy(), label=name)
    left.set(title="activation $\\phi(z)$", xlabel="$z$")
    right.set(title="derivative $\\phi'(z)$", xlabel="$z$")
    for ax in (left, right):
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.legend()
    fig.tight_layout()
    return fig


def image_grid(images, titles=None, ncols=8, cmap="gray"):
    """Show images of shape ``(N, C, H, W)`` or ``(N, H, W)`` in a grid, with optional titles."""
    images = torch.as_tensor(images).detach().cpu().float()
    if images.ndim == 4:
        images = images.permute(0, 2, 3, 1)
        if images.shape[-1] == 1:
            images = images[..., 0]
    elif images.ndim != 3:
        raise ValueError(f"images must have shape (N, C, H, W) or (N, H, W), not {tuple(images.shape)}.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images.")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.5 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i].numpy(), cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig
