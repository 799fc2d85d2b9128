"""Article A's tabular network over several seeds, exactly as chapter 6 trains it.

Chapter 6 trains article A's 16,897,252-parameter classifier once, with the
chapter's seed, because one run takes minutes on a 2-core CPU. Whether it
escapes its constant "benign" prediction depends on the seed, so this script
repeats the chapter's steps (same data, seed order, loader, loop and settings,
in the pinned numerics of nbcode.numerics) for each seed and writes, per seed,
the epochs spent predicting "benign" for every validation tumour, the last of
them, and the test malignant F1 and accuracy, to
benchmarks/results/article_a_seeds.json; chapter 6 prints that table. Seed 0
must agree with the chapter's own run. About 1.5 minutes per seed here.

Example: NBCODE_DATA=../shared/data python benchmarks/article_a_seeds.py --seeds 0 1 2 3 4
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from nbcode.numerics import chapter_environment  # noqa: E402

os.environ.update(chapter_environment())  # before torch is imported, which reads these variables

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import nbcode  # noqa: E402
from nbcode import article_a, metrics  # noqa: E402
from nbcode.data import load_breast_cancer  # noqa: E402
from nbcode.train import evaluate  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "article_a_seeds.json"


def run(seed, epochs, batch_size):
    """Chapter 6's cells for article A's network, in their order, with ``seed``."""
    nbcode.setup(seed, "cpu")
    table = load_breast_cancer(device="cpu")
    torch.manual_seed(seed)
    model = article_a.tabular_classifier(table.train.tensors[0].shape[1])
    loaders = {"train": DataLoader(table.train, batch_size=batch_size, shuffle=True),
               "val": DataLoader(table.val, batch_size=batch_size)}
    curves, best = article_a.training_loop(model, loaders, num_epochs=epochs, learning_rate=1e-5,
                                           regularization=1e-7, log=lambda line: None)
    val_labels = table.val.tensors[1]
    benign_share = (val_labels == 1).double().mean().item()  # in float64, as the loop computes accuracy
    always_benign_f1 = metrics.f1(torch.ones_like(val_labels), val_labels)
    stuck = [abs(acc - benign_share) < 1e-9 and abs(f1 - always_benign_f1) < 1e-9
             for acc, f1 in zip(curves["val_acc"], curves["val_f1"])]
    test = evaluate(model, table.test, F.cross_entropy,
                    {"f1": lambda o, t: metrics.f1(o, t, positive=0), "acc": metrics.accuracy})
    return {"seed": seed, "epochs_stuck": sum(stuck),
            "last_stuck": max((epoch for epoch, s in enumerate(stuck, start=1) if s), default=0),
            "test_malignant_f1": round(test["f1"], 4), "test_acc": round(test["acc"], 4),
            "test_loss": round(test["loss"], 4)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=100, help="article A's 100 by default")
    parser.add_argument("--batch-size", type=int, default=128, help="chapter 6's choice (the article gives none)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        runs.append(run(seed, args.epochs, args.batch_size))
        print(json.dumps(runs[-1]), f"({time.perf_counter() - start:.0f} s)", flush=True)
    summary = {"epochs": args.epochs, "batch_size": args.batch_size, "torch": torch.__version__,
               "machine": platform.machine(), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
