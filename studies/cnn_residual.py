"""A deep plain CNN against the same CNN with residual shortcuts, over ten seeds, as chapter 7 trains them.

Chapter 7 (07_cnn) trains two CNNs of equal depth once each with its seed: a stem, a block that halves the
image, ``residual_blocks`` blocks of two 3x3 convolutions with batch norm (``residual_width`` channels in the
stem, twice as many in the blocks) and global average pooling, one without shortcuts (plain) and one with
them (residual). Both train with the recipe of the chapter's MLP-against-CNN cell on the first
``residual_train_size`` images of the shuffled training split for ``residual_epochs`` epochs. This study
repeats that cell for ten seeds: the code is the chapter's, copied (the chapter keeps it visible to teach it;
the loading and the recipe are in studies/_fashion.py, shared with the chapter's other studies), and the tests
check that the chapter's glued values equal this study's entry for seed 0.

Per seed and network: the test accuracy and the last epoch's training loss; and whether the residual network
ends with the lower training loss and with the higher test accuracy. About 7 s per seed on one core of the
recording machine.
"""

CHAPTER = "07_cnn"
SETTINGS = {"residual_train_size": 3000, "residual_epochs": 2, "residual_blocks": 6, "residual_width": 8}
SEEDS = list(range(10))
SMOKE = {"residual_train_size": 300, "residual_epochs": 1, "residual_blocks": 1}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"cnn_plain_deep_acc": "plain_acc", "cnn_residual_deep_acc": "residual_acc",
        "cnn_plain_deep_train_loss": "plain_train_loss", "cnn_residual_deep_train_loss": "residual_train_loss"}


def run(seed, residual_train_size, residual_epochs, residual_blocks, residual_width):
    """The chapter's plain-against-residual cell, with ``seed``, on the CPU."""
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from studies import _fashion

    device = nbcode.setup(seed, "cpu")
    fashion = _fashion.load(device)
    train, val, test = _fashion.normalised(fashion)

    class Block(nn.Module):
        def __init__(self, c_in, c_out, stride=1, residual=True):
            super().__init__()
            self.branch = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                                        nn.BatchNorm2d(c_out), nn.ReLU(),
                                        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
            if not residual:
                self.shortcut = None
            elif stride == 1 and c_in == c_out:
                self.shortcut = nn.Identity()
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(c_out))

        def forward(self, x):
            out = self.branch(x)
            if self.shortcut is not None:
                out = out + self.shortcut(x)
            return F.relu(out)

    def deep_cnn(residual):
        width = residual_width
        return nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            Block(width, 2 * width, stride=2, residual=residual),
            *[Block(2 * width, 2 * width, residual=residual) for _ in range(residual_blocks)],
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 10),
        )

    residual_train = (train[0][:residual_train_size], train[1][:residual_train_size])
    measured = {}
    for name, residual in (("plain", False), ("residual", True)):
        accuracy, loss = _fashion.train_and_test(lambda: deep_cnn(residual), residual_train, test,
                                                 residual_epochs, seed, device)
        # the loss to four significant digits, as the chapter glues it
        measured |= {f"{name}_acc": round(accuracy, 4), f"{name}_train_loss": float(nbcode.significant(loss, 4))}
    measured["residual_lower_loss"] = measured["residual_train_loss"] < measured["plain_train_loss"]
    measured["residual_ahead"] = measured["residual_acc"] > measured["plain_acc"]
    return measured
