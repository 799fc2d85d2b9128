"""Time to article B's test accuracy: article B's own loop against nbcode.

Article B trains a 784-128-10 MLP on MNIST with torchvision's MNIST dataset,
the ToTensor transform, a shuffled DataLoader of batch 64 and Adam at 1e-3,
and reports 97.68% test accuracy after 5 epochs. This script measures, in one
process on one machine, how long each approach trains before its test
accuracy first reaches the target:

- article B's loop, exactly as written, one epoch at a time, with the test
  accuracy checked after every epoch (the checks are not timed);
- nbcode's recipe from chapter 6 (tensors sliced by nbcode.fit, normalised
  inputs, batch 256, SGD with Nesterov momentum and a one-cycle schedule),
  trained afresh for 1, 2, 3, ... epochs, since a one-cycle schedule needs to
  know its length, until a run reaches the target. Only that run's training
  time counts; the shorter runs that missed are reported but not added.

Data loading is excluded on both sides. The last line printed is the ratio
of the two training times.

Example: NBCODE_DATA=../shared/data python benchmarks/article_b_speed.py
"""

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

import nbcode
from nbcode import metrics
from nbcode.data import data_root, load_mnist
from nbcode.train import evaluate, fit, one_cycle_sgd


def article_b_time_to(target, max_epochs, seed):
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    train_set = datasets.MNIST(root=data_root(), train=True, download=True, transform=transforms.ToTensor())
    test_set = datasets.MNIST(root=data_root(), train=False, download=True, transform=transforms.ToTensor())
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=64, shuffle=False)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    seconds = 0.0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        for images, labels in train_loader:
            optimizer.zero_grad()
            criterion(model(images), labels).backward()
            optimizer.step()
        seconds += time.perf_counter() - start
        with torch.no_grad():
            correct = sum((model(images).argmax(dim=1) == labels).sum().item() for images, labels in test_loader)
        accuracy = correct / len(test_set)
        print(f"article B, epoch {epoch}: test accuracy {accuracy:.4f}, {seconds:.1f} s of training so far", flush=True)
        if accuracy >= target:
            return seconds, epoch, accuracy
    return None, max_epochs, accuracy


def nbcode_time_to(target, max_epochs, seed, device):
    digits = load_mnist(val_size=5000, device=device)
    mean, std = digits.train.tensors[0].mean(), digits.train.tensors[0].std()
    train, test = [((split.tensors[0].flatten(1) - mean) / std, split.tensors[1]) for split in (digits.train, digits.test)]
    for epochs in range(1, max_epochs + 1):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
        optimizer, schedule = one_cycle_sgd(model, 0.2, epochs, len(train[0]), 256)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fit(model, F.cross_entropy, optimizer, train, epochs=epochs, batch_size=256, scheduler=schedule, progress=False)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        accuracy = evaluate(model, test, metrics={"acc": metrics.accuracy})["acc"]
        print(f"nbcode, {epochs} epoch(s): test accuracy {accuracy:.4f} in {seconds:.2f} s of training", flush=True)
        if accuracy >= target:
            return seconds, epochs, accuracy
    return None, max_epochs, accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=float, default=0.9768, help="test accuracy to reach (default: article B's 0.9768)")
    parser.add_argument("--max-epochs", type=int, default=15, help="give up after this many epochs (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="device for nbcode's run: cpu (default), cuda, auto")
    args = parser.parse_args(argv)
    device = nbcode.setup(args.seed, args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s), nbcode on {device}")
    fast_seconds, fast_epochs, _ = nbcode_time_to(args.target, args.max_epochs, args.seed, device)
    slow_seconds, slow_epochs, _ = article_b_time_to(args.target, args.max_epochs, args.seed)
    if fast_seconds is None or slow_seconds is None:
        who = "nbcode" if fast_seconds is None else "article B's loop"
        raise SystemExit(f"{who} did not reach {args.target} within {args.max_epochs} epochs: no ratio")
    print(f"article B: {slow_seconds:.1f} s ({slow_epochs} epochs); nbcode: {fast_seconds:.2f} s ({fast_epochs} epochs)")
    print(f"speed-up to {args.target:.2%} test accuracy: {slow_seconds / fast_seconds:.1f}x")


if __name__ == "__main__":
    main()
