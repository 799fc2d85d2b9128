"""Article B's MNIST network under its own code and under each step to the fast recipe, over ten seeds.

Chapter 6 runs article B's code and the fast recipe once each, with its seed,
and quotes this study for the spread over seeds and for the ablation, which
adds one change at a time to article B's recipe (tensors in memory, batch 256,
normalised inputs, SGD with Nesterov momentum, the one-cycle schedule) and
would cost the chapter its time budget. Each function below is the chapter's
code for that run (article B's code as the article gives it, with one line
restored; the chapter's fast recipe; the chapter's exercise 2), called in the
same order with the same seeding. One seed takes about a minute on a 2-core CPU.
"""

import time
from functools import cache

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import nbcode
from nbcode import metrics
from nbcode.data import data_root, load_mnist
from nbcode.train import evaluate, fit, one_cycle_sgd

CHAPTER = "06_mlp"
SETTINGS = {"article_b_epochs": 5, "fast_epochs": 4, "fast_batch_size": 256, "fast_max_lr": 0.2}
SEEDS = list(range(10))
SMOKE = {"article_b_epochs": 1, "fast_epochs": 1}
PARAMETERS = {name: name for name in SETTINGS}
GLUE = {"mlp_articleB_seed_acc": "article_b_acc", "mlp_fast_seed_acc": "fast_acc"}
# The ablation's steps, in order: (key, what the step adds, its settings).
STEPS = [
    ("tensors", "tensors in memory", dict(normalised=False, batch_size=64, optimiser="Adam")),
    ("batch", "+ batch 256", dict(normalised=False, batch_size=256, optimiser="Adam")),
    ("normalised", "+ normalised inputs", dict(normalised=True, batch_size=256, optimiser="Adam")),
    ("sgd", "+ SGD, Nesterov momentum, rate 0.05", dict(normalised=True, batch_size=256, optimiser="SGD")),
    ("onecycle", "+ one-cycle schedule, peak 0.2", dict(normalised=True, batch_size=256, optimiser="one-cycle")),
]


class SimpleNN(nn.Module):  # article B's network, with its names
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.view(-1, 28 * 28)
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


@cache
def data():
    """Article B's torchvision datasets, and the chapter's tensors: normalised flat images and raw ones."""
    transform = transforms.Compose([transforms.ToTensor()])
    train_dataset = datasets.MNIST(root=data_root(), train=True, download=True, transform=transform)
    test_dataset = datasets.MNIST(root=data_root(), train=False, download=True, transform=transform)
    digits = load_mnist(val_size=5000, device="cpu")
    pixel_mean, pixel_std = digits.train.tensors[0].mean().item(), digits.train.tensors[0].std().item()

    def flat_normalised(split):
        images, labels = split.tensors
        return ((images.flatten(start_dim=1) - pixel_mean) / pixel_std, labels)

    normalised = tuple(flat_normalised(split) for split in (digits.train, digits.val, digits.test))
    raw = tuple((split.tensors[0].flatten(start_dim=1), split.tensors[1]) for split in (digits.train, digits.test))
    return train_dataset, test_dataset, normalised, raw


def article_b(run_seed, epochs):
    """Article B's training and evaluation code (chapter 6's run_article_b): test accuracy and training time."""
    train_dataset, test_dataset, _, _ = data()
    test_loader = DataLoader(dataset=test_dataset, batch_size=64, shuffle=False)
    torch.manual_seed(run_seed)
    train_loader = DataLoader(dataset=train_dataset, batch_size=64, shuffle=True)
    model = SimpleNN()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    start = time.perf_counter()
    for epoch in range(epochs):
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            _, predicted = torch.max(model(images).data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return 100 * correct / total / 100, seconds


def fast(run_seed, epochs, batch_size, max_lr):
    """Chapter 6's fast recipe (train_fast): test accuracy and training time."""
    _, _, (train, val, test), _ = data()
    torch.manual_seed(run_seed)
    model = SimpleNN()
    optimizer, schedule = one_cycle_sgd(model, max_lr, epochs, len(train[0]), batch_size)
    start = time.perf_counter()
    fit(model, F.cross_entropy, optimizer, train, val, epochs=epochs, batch_size=batch_size, scheduler=schedule,
        metrics={"acc": metrics.accuracy}, progress=False)
    seconds = time.perf_counter() - start
    return evaluate(model, test, metrics={"acc": metrics.accuracy})["acc"], seconds


def ablation_step(run_seed, epochs, max_lr, normalised, batch_size, optimiser):
    """One intermediate recipe for article B's network: test accuracy and training time."""
    _, _, (train_n, _, test_n), (train_raw, test_raw) = data()
    train, test = (train_n, test_n) if normalised else (train_raw, test_raw)
    torch.manual_seed(run_seed)
    model = SimpleNN()
    scheduler = None
    if optimiser == "Adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif optimiser == "SGD":  # Nesterov momentum at a fixed rate: without a warm-up, the peak 0.2 is too high
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    else:
        optimizer, scheduler = one_cycle_sgd(model, max_lr, epochs, len(train[0]), batch_size)
    start = time.perf_counter()
    fit(model, F.cross_entropy, optimizer, train, epochs=epochs, batch_size=batch_size, scheduler=scheduler,
        progress=False)
    seconds = time.perf_counter() - start
    return evaluate(model, test, metrics={"acc": metrics.accuracy})["acc"], seconds


def adam_one_cycle(run_seed, epochs, batch_size):
    """Exercise 2's recipe: the fast recipe with Adam and a one-cycle schedule peaking at 3e-3."""
    _, _, (train, val, test), _ = data()
    torch.manual_seed(run_seed)
    model = SimpleNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                                   total_steps=epochs * -(-len(train[0]) // batch_size))
    fit(model, F.cross_entropy, optimizer, train, val, epochs=epochs, batch_size=batch_size, scheduler=schedule,
        progress=False)
    return evaluate(model, test, metrics={"acc": metrics.accuracy})["acc"]


def run(seed, article_b_epochs, fast_epochs, fast_batch_size, fast_max_lr):
    nbcode.setup(seed, "cpu")
    result = {}
    result["article_b_acc"], result["article_b_seconds"] = article_b(seed, article_b_epochs)
    for key, _, options in STEPS:
        result[f"{key}_acc"], result[f"{key}_seconds"] = ablation_step(seed, article_b_epochs, fast_max_lr, **options)
    result["fast_acc"], result["fast_seconds"] = fast(seed, fast_epochs, fast_batch_size, fast_max_lr)
    result["adam_one_cycle_acc"] = adam_one_cycle(seed, fast_epochs, fast_batch_size)
    return {key: round(value, 4) if key.endswith("acc") else round(value, 2) for key, value in result.items()}
