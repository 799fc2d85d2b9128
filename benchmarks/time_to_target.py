"""Training time to a target result, with warm-up and compilation timed apart.

The book's GPU targets are times to a result: chapter 7's CNN to 99% test
accuracy on MNIST (workload `mnist`) and to 93% on Fashion-MNIST (`fashion`),
and chapter 10's character Transformer to a validation loss of 1.5 nats per
character on Tiny Shakespeare (`charlm`). Both models come from nbcode.models,
where the chapters build them too. This script trains one of them with
the parameters of a profile of booktools.variants (default: gpu) and reports how
much training it took to first reach the target:

- a warm-up comes first and is timed on its own line: one epoch (the CNNs) or
  twenty steps (the character model) and one evaluation, after which the
  weights are put back and a fresh optimiser is made. It pays for cuDNN's
  algorithm search, the memory allocator's first requests and, with
  --compile, compilation;
- then the timed run: only training counts. The test accuracy (CNNs) or the
  validation loss (character model, the chapter's 200 fixed windows) is
  measured after every epoch or every twentieth of the steps, off the clock,
  and the device is synchronised before every clock reading.

--compile wraps the model in torch.compile: run with and without it to see
whether it pays for itself. --fast is nbcode.fit's choice of autocast
(auto: by the GPU's compute capability, see nbcode.train.autocast_dtype, and
none on a CPU); on a CPU with bfloat16 support, --fast on shows what bfloat16
does to the result. Training stops at the first measurement
that reaches the target; the last line printed is the time to the target, or
says that the target was not reached.

Example: NBCODE_DATA=../shared/data python benchmarks/time_to_target.py mnist --device cuda
"""

import argparse
import copy
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

import nbcode
from nbcode import metrics
from nbcode.data import load_fashion_mnist, load_mnist, load_tiny_shakespeare
from nbcode.models import CharTransformer, make_cnn
from nbcode.train import evaluate, fit, mixed_precision, one_cycle_sgd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: booktools from this checkout
from booktools.variants import PROFILES, VARIANTS  # noqa: E402

TARGETS = {"mnist": ("test accuracy", 0.99), "fashion": ("test accuracy", 0.93), "charlm": ("validation loss", 1.5)}


def recipe(chapter, profile):
    """A chapter's parameters in a profile: its cpu defaults, overridden by the profile's."""
    return VARIANTS[chapter]["cpu"] | VARIANTS[chapter][profile]


class Clock:
    """Seconds of work on ``device``, waiting for queued GPU work before each reading."""

    def __init__(self, device):
        self.device = device

    def __call__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter()


def cnn_run(workload, profile, device, compile_model, fast, seed):
    """Yield (seconds of training so far, test accuracy) after each epoch of the chapter 7 recipe."""
    p = recipe("07_cnn", profile)
    splits = (load_mnist if workload == "mnist" else load_fashion_mnist)(val_size=5000, device=device)
    mean, std = splits.train.tensors[0].mean(), splits.train.tensors[0].std()
    train, test = [((split.tensors[0] - mean) / std, split.tensors[1]) for split in (splits.train, splits.test)]
    epochs = p[f"{workload}_epochs"]
    torch.manual_seed(seed)
    model = make_cnn(p["cnn_width"]).to(device, memory_format=torch.channels_last)
    trained = torch.compile(model) if compile_model else model
    initial = copy.deepcopy(model.state_dict())
    clock = Clock(device)

    def train_epoch(optimizer, schedule):
        fit(trained, F.cross_entropy, optimizer, train, epochs=1, batch_size=p["batch_size"], scheduler=schedule,
            progress=False, fast=fast)

    def accuracy():
        return evaluate(trained, test, metrics={"acc": metrics.accuracy}, fast=fast)["acc"]

    start = clock()
    train_epoch(*one_cycle_sgd(model, p["max_lr"], 1, len(train[0]), p["batch_size"], weight_decay=5e-4))
    accuracy()
    yield "warm-up", clock() - start
    model.load_state_dict(initial)
    torch.manual_seed(seed)
    optimizer, schedule = one_cycle_sgd(model, p["max_lr"], epochs, len(train[0]), p["batch_size"], weight_decay=5e-4)
    seconds = 0.0
    for epoch in range(1, epochs + 1):
        start = clock()
        train_epoch(optimizer, schedule)
        seconds += clock() - start
        yield f"epoch {epoch}/{epochs}", seconds, accuracy()


def charlm_run(profile, device, compile_model, fast, seed):
    """Yield (seconds of training so far, validation loss) every twentieth of chapter 10's character-model steps."""
    p = recipe("10_transformer", profile)
    text = load_tiny_shakespeare()
    characters = sorted(set(text.train))  # the vocabulary of the training text alone, as the chapter builds it
    char_ids = {c: i for i, c in enumerate(characters)}
    train_ids, val_ids = [torch.tensor([char_ids[c] for c in part], device=device) for part in (text.train, text.val)]
    context, batch_size, steps = p["charlm_context"], p["charlm_batch_size"], p["charlm_steps"]
    offsets = torch.arange(context, device=device)
    val_starts = torch.linspace(0, len(val_ids) - context - 2, 200, device=device).long()
    val_inputs, val_targets = val_ids[val_starts[:, None] + offsets], val_ids[val_starts[:, None] + offsets + 1]
    torch.manual_seed(seed)
    model = CharTransformer(len(characters), p["charlm_size"], p["charlm_layers"], context,
                            dropout=p["charlm_dropout"]).to(device)
    trained = torch.compile(model) if compile_model else model
    initial = copy.deepcopy(model.state_dict())
    clock = Clock(device)

    def make_optimizer(total_steps):
        optimizer = torch.optim.AdamW(model.parameters(), lr=p["charlm_learning_rate"], weight_decay=0.1)
        return optimizer, torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=p["charlm_learning_rate"], total_steps=total_steps, pct_start=0.05, final_div_factor=0.4)

    def train_steps(n, optimizer, schedule):
        for _ in range(n):
            starts = torch.randint(0, len(train_ids) - context - 1, (batch_size,), device=device)
            inputs, targets = train_ids[starts[:, None] + offsets], train_ids[starts[:, None] + offsets + 1]
            with mixed_precision(device, fast):
                loss = F.cross_entropy(trained(inputs).flatten(0, 1), targets.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()

    @torch.no_grad()
    def validation_loss():
        trained.eval()
        loss = F.cross_entropy(trained(val_inputs).flatten(0, 1), val_targets.flatten()).item()
        trained.train()
        return loss

    start = clock()
    train_steps(20, *make_optimizer(steps))
    validation_loss()
    yield "warm-up", clock() - start
    model.load_state_dict(initial)
    torch.manual_seed(seed)
    optimizer, schedule = make_optimizer(steps)
    seconds, every = 0.0, max(1, steps // 20)
    for done in range(every, steps + 1, every):
        start = clock()
        train_steps(every, optimizer, schedule)
        seconds += clock() - start
        yield f"step {done}/{steps}", seconds, validation_loss()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=list(TARGETS))
    parser.add_argument("--profile", default="gpu", choices=PROFILES, help="whose parameters to train with (default gpu)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument("--compile", action="store_true", help="train the torch.compile'd model")
    parser.add_argument("--fast", default="auto", choices=["auto", "on", "off"],
                        help="autocast: auto (on a CUDA GPU only, as nbcode.fit), on or off")
    parser.add_argument("--target", type=float, help="override the workload's target")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    device = nbcode.setup(args.seed, args.device)
    fast = {"auto": "auto", "on": True, "off": False}[args.fast]
    quantity, target = TARGETS[args.workload]
    target = args.target if args.target is not None else target
    reached = (lambda loss: loss <= target) if quantity == "validation loss" else (lambda acc: acc >= target)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "no GPU"
    print(f"{args.workload}, {args.profile} profile, on {device} ({gpu}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU thread(s); compile {args.compile}, fast {args.fast}; "
          f"target {quantity} {'<=' if quantity == 'validation loss' else '>='} {target}", flush=True)
    if args.workload == "charlm":
        run = charlm_run(args.profile, device, args.compile, fast, args.seed)
    else:
        run = cnn_run(args.workload, args.profile, device, args.compile, fast, args.seed)
    _, warm_up = next(run)
    print(f"warm-up{' (compilation included)' if args.compile else ''}: {warm_up:.2f} s", flush=True)
    for label, seconds, value in run:
        print(f"{label}: {seconds:.2f} s of training, {quantity} {value:.4f}", flush=True)
        if reached(value):
            print(f"time to {quantity} {target}: {seconds:.2f} s ({label}, {value:.4f})")
            return
    raise SystemExit(f"{args.workload} did not reach {quantity} {target} with the {args.profile} profile")


if __name__ == "__main__":
    main()
