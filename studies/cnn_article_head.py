"""Article A's CNN with its 10-wide head against the head widened to 50, over twenty seeds, as chapter 7 trains them.

Chapter 7 (07_cnn) trains article A's CNN twice with its seed: once with the article's head
(500-50-50-10-10-5) and once with its two 10-wide layers widened to 50 (500-50-50-50-50-5), each on the
first five Fashion-MNIST classes (``article_train_size`` training images, ``article_epochs`` epochs of Adam at
1e-3, batches of 64) and tested on 2,500 test images of those classes. This study repeats that cell for twenty
seeds: the code below is the chapter's, copied (the chapter keeps it visible to teach it; Fashion-MNIST is
loaded by studies/_fashion.py, shared with the chapter's other studies), and the tests check that the
chapter's glued values equal this study's entry for seed 0.

Per seed and head: the test accuracy and the mean number of non-zero values the last Linear layer receives per
test image; and whether the widened head is ahead (a strictly higher test accuracy). About 8 s per seed on
one core of the recording machine.
"""

CHAPTER = "07_cnn"
SETTINGS = {"article_train_size": 2000, "article_epochs": 2}
SEEDS = list(range(20))
SMOKE = {"article_train_size": 200, "article_epochs": 1}
HEADS = {"articleA": (500, 50, 50, 10, 10, 5), "widened": (500, 50, 50, 50, 50, 5)}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"cnn_articleA_head_acc": "articleA_acc", "cnn_widened_head_acc": "widened_acc",
        "cnn_articleA_head_active": "articleA_active", "cnn_widened_head_active": "widened_active"}


def run(seed, article_train_size, article_epochs):
    """The chapter's cell for article A's two heads, with ``seed``, on the CPU."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from nbcode.train import fit
    from studies import _fashion

    device = nbcode.setup(seed, "cpu")

    def article_a_features():
        layers, channels = [], [1, 10, 10, 10, 5]
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [nn.Conv2d(c_in, c_out, kernel_size=5, stride=1, padding=1), nn.ReLU()]
        return [*layers, nn.Dropout(0.05), nn.MaxPool2d(kernel_size=2, stride=2), nn.Flatten()]

    def article_a_head(widths=(500, 50, 50, 10, 10, 5)):
        layers = []
        for n_in, n_out in zip(widths[:-2], widths[1:-1]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(0.05)]
        return [*layers, nn.Linear(widths[-2], widths[-1])]

    fashion = _fashion.load(device)

    def first_classes(split, n_classes, size=None):
        images, labels = split.tensors
        keep = labels < n_classes
        return images[keep][:size], labels[keep][:size]

    five_train = first_classes(fashion.train, 5, article_train_size)
    five_test = first_classes(fashion.test, 5, 2500)
    five_mean, five_std = five_train[0].mean(), five_train[0].std()
    five_train, five_test = [((images - five_mean) / five_std, labels) for images, labels in (five_train, five_test)]

    def train_article_a(head_widths, run_seed):
        torch.manual_seed(run_seed)
        model = nn.Sequential(*article_a_features(), *article_a_head(head_widths))
        model = model.to(device, memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        fit(model, F.cross_entropy, optimizer, five_train, epochs=article_epochs, batch_size=64, progress=False)
        model.eval()
        with torch.no_grad():
            last_hidden = model[:-1](five_test[0])
            logits = model[-1](last_hidden)
        accuracy = (logits.argmax(dim=1) == five_test[1]).float().mean().item()
        return accuracy, (last_hidden > 0).sum(dim=1).float().mean().item()

    measured = {}
    for name, widths in HEADS.items():
        accuracy, active = train_article_a(widths, seed)
        measured |= {f"{name}_acc": round(accuracy, 4), f"{name}_active": round(active, 1)}
    measured["widened_ahead"] = measured["widened_acc"] > measured["articleA_acc"]
    return measured
