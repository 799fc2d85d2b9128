"""An MLP against the chapter's CNN on 10,000 Fashion-MNIST images with the CNN's recipe, over ten seeds.

Chapter 7 (07_cnn) trains an MLP 784-256-128-10 and its CNN (width 16) once each with its seed, both with the
CNN's recipe (one-cycle SGD with Nesterov momentum, peak rate 0.1, batches of 128, weight decay 5e-4) on the
first ``compare_train_size`` images of the shuffled training split for ``compare_epochs`` epochs, and tests
both on the 10,000 test images. This study repeats that cell for ten seeds: the code is the chapter's, copied
(the chapter keeps it visible to teach it; the loading and the recipe are in studies/_fashion.py, shared with
the chapter's other studies), and the tests check that the chapter's glued values equal this study's entry for
seed 0.

Per seed: each model's test accuracy, and whether the CNN is ahead (a strictly higher test accuracy). About
10 s per seed on one core of the recording machine.
"""

CHAPTER = "07_cnn"
SETTINGS = {"compare_train_size": 10000, "compare_epochs": 2, "cnn_width": 16}
SEEDS = list(range(10))
SMOKE = {"compare_train_size": 500, "compare_epochs": 1}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"cnn_vs_mlp_mlp_acc": "mlp_acc", "cnn_vs_mlp_cnn_acc": "cnn_acc"}


def run(seed, compare_train_size, compare_epochs, cnn_width):
    """The chapter's MLP-against-CNN cell, with ``seed``, on the CPU."""
    from torch import nn

    import nbcode
    from nbcode.models import make_cnn
    from studies import _fashion

    device = nbcode.setup(seed, "cpu")
    fashion = _fashion.load(device)
    train, val, test = _fashion.normalised(fashion)
    compare_train = (train[0][:compare_train_size], train[1][:compare_train_size])

    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Dropout(0.3), nn.Linear(128, 10))

    measured = {}
    for name, build in (("mlp", mlp), ("cnn", lambda: make_cnn(cnn_width))):
        accuracy = _fashion.train_and_test(build, compare_train, test, compare_epochs, seed, device)[0]
        measured[f"{name}_acc"] = round(accuracy, 4)
    measured["cnn_ahead"] = measured["cnn_acc"] > measured["mlp_acc"]
    return measured
