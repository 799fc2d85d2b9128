"""Chapter 7's CNN trained on the whole of Fashion-MNIST and of MNIST with its recipe, over five seeds.

Chapter 7 (07_cnn) trains its small batch-norm CNN (``make_cnn(cnn_width)``) once per dataset with its seed:
on Fashion-MNIST's 55,000 training images for ``fashion_epochs`` epochs and on MNIST's for ``mnist_epochs``,
each with one-cycle SGD with Nesterov momentum (peak rate ``max_lr``, batches of ``batch_size``, weight decay
5e-4), the weights of the epoch with the lowest validation loss restored, and tests each on its 10,000 test
images. This study repeats those two cells for each seed: the code is the chapter's (studies/_fashion.py),
called in the chapter's order with its seeding, and the tests check that the chapter's glued values equal this
study's entry for seed 0.

Per seed: the Fashion-MNIST and MNIST test accuracies and the number of MNIST test digits misclassified.
About 3 minutes per seed (145-232 s) on one core of the recording machine (2 cores, the other one busy), so
the study has five seeds, not ten; the chapter says so.
"""

CHAPTER = "07_cnn"
# subset: None trains and tests on the whole splits, as the chapter does; its smoke variant, as SMOKE, keeps 1,000 of each.
SETTINGS = {"fashion_epochs": 4, "mnist_epochs": 2, "cnn_width": 16, "batch_size": 128, "max_lr": 0.1, "subset": None}
SEEDS = list(range(5))  # five: one seed costs more than a minute
SMOKE = {"fashion_epochs": 1, "mnist_epochs": 1, "subset": 1000}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"cnn_fashion_test_acc": "fashion_acc", "cnn_mnist_test_acc": "mnist_acc", "cnn_mnist_errors": "mnist_errors"}


def run(seed, fashion_epochs, mnist_epochs, cnn_width, batch_size, max_lr, subset):
    """The chapter's Fashion-MNIST and MNIST cells, with ``seed``, on the CPU."""
    import nbcode
    from nbcode.data import load_mnist
    from studies import _fashion

    device = nbcode.setup(seed, "cpu")
    recipe = dict(seed=seed, cnn_width=cnn_width, max_lr=max_lr, batch_size=batch_size, device=device)
    fashion = _fashion.load(device, subset)
    fashion_test = _fashion.train_cnn(fashion, fashion_epochs, **recipe)[1]
    mnist = load_mnist(val_size=5000, subset=subset, device=device)
    mnist_test = _fashion.train_cnn(mnist, mnist_epochs, **recipe)[1]
    return {"fashion_acc": round(fashion_test["acc"], 4), "mnist_acc": round(mnist_test["acc"], 4),
            "mnist_errors": round((1 - mnist_test["acc"]) * len(mnist.test))}
