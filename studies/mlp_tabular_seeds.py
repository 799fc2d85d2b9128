"""Chapter 6's well-designed tabular MLP over ten seeds: its test F1 for malignant tumours on the breast-cancer table.

Chapter 6 (06_mlp) trains a 30-32-32-2 ReLU network with dropout 0.1 (2,114 parameters) on the breast-cancer
table with Adam at 1e-3, batches of 32, for ``tabular_epochs`` epochs, keeps the weights of the best validation
loss and tests once, against article A's network. The chapter runs its seed, which is this study's entry for
seed 0: the code below is the chapter's cell, copied (the chapter keeps it visible to teach it), and the tests
check that the chapter's glued test F1, accuracy and cross-entropy equal that entry.

Per seed: the best epoch, the test F1 with malignant as the positive class, the test accuracy and the test
cross-entropy. Under a second per seed on one core of the recording machine.
"""

CHAPTER = "06_mlp"
SETTINGS = {"tabular_epochs": 40}
SEEDS = list(range(10))
SMOKE = {"tabular_epochs": 3}
PARAMETERS = {"tabular_epochs": "tabular_epochs"}
GLUE = {"mlp_tabular_test_f1": "test_f1", "mlp_tabular_test_acc": "test_acc", "mlp_tabular_test_loss": "test_loss"}


def run(seed, tabular_epochs):
    """The chapter's well-designed MLP cell, with ``seed``, on the CPU."""
    from functools import partial

    import torch
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from nbcode import metrics
    from nbcode.data import load_breast_cancer
    from nbcode.train import evaluate, fit

    device = nbcode.setup(seed, "cpu")
    table = load_breast_cancer(device=device)
    n_features = table.train.tensors[0].shape[1]
    malignant_f1 = partial(metrics.f1, positive=0)
    torch.manual_seed(seed)
    tabular = nn.Sequential(
        nn.Linear(n_features, 32), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(32, 2),
    ).to(device)
    optimizer = torch.optim.Adam(tabular.parameters(), lr=1e-3)
    history = fit(tabular, F.cross_entropy, optimizer, table.train, table.val, epochs=tabular_epochs,
                  batch_size=32, metrics={"f1": malignant_f1}, progress=False)
    test = evaluate(tabular, table.test, F.cross_entropy, {"f1": malignant_f1, "acc": metrics.accuracy})
    return {"best_epoch": history.best_epoch, "test_f1": round(test["f1"], 4), "test_acc": round(test["acc"], 4),
            "test_loss": round(test["loss"], 4)}
