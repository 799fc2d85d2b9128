"""Article A's tabular network over five seeds, exactly as chapter 6 trains it.

Chapter 6 trains article A's 16,897,252-parameter classifier once, with its
seed. Whether the network escapes its constant "benign" prediction in 100
epochs depends on the seed, so this study repeats the chapter's cells (same
data, seeding order, loaders, loop and settings) for five seeds: one seed
takes about two minutes on a 2-core CPU, so five, not ten. It measures the
epochs spent predicting "benign" for every validation tumour, the last of them,
and the test malignant F1, accuracy and cross-entropy.
"""

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

import nbcode
from nbcode import article_a, metrics
from nbcode.data import load_breast_cancer
from nbcode.train import evaluate

CHAPTER = "06_mlp"
SETTINGS = {"epochs": 100, "batch_size": 128, "learning_rate": 1e-5, "regularization": 1e-7}
SEEDS = [0, 1, 2, 3, 4]
SMOKE = {"epochs": 2}
PARAMETERS = {"epochs": "article_a_epochs", "batch_size": "article_a_batch_size"}
GLUE = {"mlp_articleA_epochs_stuck": "epochs_stuck", "mlp_articleA_last_stuck": "last_stuck",
        "mlp_articleA_test_f1": "test_malignant_f1", "mlp_articleA_test_acc": "test_acc",
        "mlp_articleA_test_loss": "test_loss"}


def run(seed, epochs, batch_size, learning_rate, regularization):
    """Chapter 6's cells for article A's network, in their order, with ``seed``."""
    nbcode.setup(seed, "cpu")
    table = load_breast_cancer(device="cpu")
    torch.manual_seed(seed)
    model = article_a.tabular_classifier(table.train.tensors[0].shape[1])
    loaders = {"train": DataLoader(table.train, batch_size=batch_size, shuffle=True),
               "val": DataLoader(table.val, batch_size=batch_size)}
    curves, _ = article_a.training_loop(model, loaders, num_epochs=epochs, learning_rate=learning_rate,
                                        regularization=regularization, log=lambda line: None)
    val_labels = table.val.tensors[1]
    benign_share = (val_labels == 1).double().mean().item()  # in float64, as the loop computes accuracy
    always_benign_f1 = metrics.f1(torch.ones_like(val_labels), val_labels)
    stuck = [abs(acc - benign_share) < 1e-9 and abs(f1 - always_benign_f1) < 1e-9
             for acc, f1 in zip(curves["val_acc"], curves["val_f1"])]
    test = evaluate(model, table.test, F.cross_entropy,
                    {"f1": lambda o, t: metrics.f1(o, t, positive=0), "acc": metrics.accuracy})
    return {"epochs_stuck": sum(stuck),
            "last_stuck": max((epoch for epoch, s in enumerate(stuck, start=1) if s), default=0),
            "test_malignant_f1": round(test["f1"], 4), "test_acc": round(test["acc"], 4),
            "test_loss": round(test["loss"], 4)}
