"""Chapter 8's baseline probe: the book's linear probe on Fashion-MNIST's raw pixels, which no seed changes.

Chapter 8 (08_autoencoder) judges its autoencoder's 32-number codes with ``nbcode.metrics.linear_probe``
(scikit-learn's logistic regression for each of nine strengths C, the lowest validation cross-entropy kept,
tested once) and compares with the same probe on the 784 pixels of each image, both standardised with the
training split's statistics. On 32 numbers per image the nine fits took 12 s (measured on a random projection
of the pixels); on the pixels they took 1,861 s on one core of the recording machine (2026-12-07, 2 cores
shared with two other jobs; single fits measured there beforehand took 60-260 s, more for larger C), many
times the chapter's budget. So the chapter prints the pixel probe from this study.

Nothing in it depends on a seed: the data split is fixed (``split_seed`` 0, as in the chapter), and
scikit-learn's L-BFGS solver is deterministic. So the study records one run (``SEED_FREE``), and the
tests check that the smoke run gives the same numbers under two seeds.

Measured: the chosen C, its validation accuracy and cross-entropy, its test accuracy, and its test accuracy
on each of the ten classes (``test_acc_0`` ... ``test_acc_9``, classes in Fashion-MNIST's order).
"""

CHAPTER = "08_autoencoder"
SETTINGS = {"subset": None}  # None: the whole training, validation and test splits, as the chapter
SEEDS = [0]
SEED_FREE = True
SMOKE = {"subset": 1000}
GLUE = {}  # the chapter computes none of these itself: it prints them from this file


def run(seed, subset):
    """The chapter's probe on standardised raw pixels; ``seed`` is set but nothing draws from it."""
    import nbcode
    from nbcode.data import load_fashion_mnist
    from nbcode.metrics import linear_probe
    from sklearn.preprocessing import StandardScaler

    nbcode.setup(seed, "cpu")
    fashion = load_fashion_mnist(val_size=5000, subset=subset)
    splits = {"train": fashion.train, "val": fashion.val, "test": fashion.test}
    pixels = {name: split.tensors[0].flatten(1).numpy() for name, split in splits.items()}
    labels = {name: split.tensors[1].numpy() for name, split in splits.items()}
    scaler = StandardScaler().fit(pixels["train"])
    probe = linear_probe({name: scaler.transform(x) for name, x in pixels.items()}, labels)
    hit = probe["model"].predict(scaler.transform(pixels["test"])) == labels["test"]
    per_class = {f"test_acc_{c}": round(float(hit[labels["test"] == c].mean()), 4) for c in range(10)}
    return {"C": probe["C"], "val_acc": round(probe["val"], 4), "val_log_loss": round(probe["val_log_loss"], 4),
            "test_acc": round(probe["test"], 4), **per_class}
