"""Chapter 7's data and training code that its studies share (not a study: the name starts with ``_``).

Each function is a cell of chapter 7 (07_cnn), copied (the chapter keeps its code visible to teach it): the
studies call them in the chapter's order, with its seeding, so that a study's entry for the chapter's seed is
the chapter's own run.
"""

import torch
from torch.nn import functional as F

from nbcode import metrics
from nbcode.data import load_fashion_mnist
from nbcode.models import make_cnn
from nbcode.train import evaluate, fit, one_cycle_sgd


def load(device, subset=None):
    """Fashion-MNIST as the chapter loads it: 55,000 training, 5,000 validation and 10,000 test images (with
    ``subset``, a smoke run's, at most that many of each)."""
    return load_fashion_mnist(val_size=5000, subset=subset, device=device)


def normalised(splits):
    """The chapter's ``normalised``: every split standardised with the training images' mean and std."""
    mean, std = splits.train.tensors[0].mean(), splits.train.tensors[0].std()
    return [((split.tensors[0] - mean) / std, split.tensors[1]) for split in (splits.train, splits.val, splits.test)]


def train_cnn(splits, epochs, seed, cnn_width, max_lr, batch_size, device):
    """The chapter's ``train_cnn``: its CNN on a whole training split with validation; returns the model and
    its test loss and accuracy."""
    train, val, test = normalised(splits)
    torch.manual_seed(seed)
    model = make_cnn(cnn_width).to(device, memory_format=torch.channels_last)
    optimizer, schedule = one_cycle_sgd(model, max_lr, epochs, len(train[0]), batch_size, weight_decay=5e-4)
    fit(model, F.cross_entropy, optimizer, train, val, epochs=epochs, batch_size=batch_size, scheduler=schedule,
        metrics={"acc": metrics.accuracy}, progress=False)
    return model, evaluate(model, test, F.cross_entropy, {"acc": metrics.accuracy})


def train_and_test(build, train_data, test, epochs, run_seed, device):
    """The chapter's ``train_and_test``, the recipe of its short comparisons: returns (test accuracy, last
    epoch's training loss)."""
    torch.manual_seed(run_seed)
    model = build().to(device, memory_format=torch.channels_last)
    optimizer, schedule = one_cycle_sgd(model, 0.1, epochs, len(train_data[0]), 128, weight_decay=5e-4)
    history = fit(model, F.cross_entropy, optimizer, train_data, epochs=epochs, batch_size=128, scheduler=schedule,
                  progress=False)
    return evaluate(model, test, metrics={"acc": metrics.accuracy})["acc"], history["train_loss"][-1]
