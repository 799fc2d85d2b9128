"""Datasets as tensors, split once with a fixed seed.

Every loader looks for its files under one folder, :func:`data_root`: the
environment variable ``NBCODE_DATA`` if set, else ``~/.cache/nbcode/data``.
A relative ``NBCODE_DATA`` is read from the folder the process runs in, which
for a notebook is the notebook's folder, not the one a command was typed in.
What is missing there is downloaded from the dataset's official home and
checked before use; without a network, the error says where to put the files.

Each loader returns a :class:`Splits` of train, validation and test data that
depends only on ``split_seed``, not on the seed a chapter trains with, so
every chapter and every training seed sees the same test set.
"""

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

__all__ = [
    "DataError",
    "Splits",
    "absolute_data_folder",
    "data_root",
    "load_mnist",
    "load_fashion_mnist",
    "load_breast_cancer",
    "load_sentence_polarity",
    "load_tiny_shakespeare",
]

DATA_ENV = "NBCODE_DATA"
DEFAULT_DATA = "~/.cache/nbcode/data"

# Where readers' copies come from, and what the files must hash to. Tests point
# these addresses at a local server to exercise the download code offline.
SOURCES = {
    "sentence-polarity": {
        "url": "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz",
        "home": "Bo Pang and Lillian Lee's movie-review data page, "
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/ (sentence polarity dataset v1.0)",
        "files": {
            "rt-polaritydata/rt-polarity.pos": "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
            "rt-polaritydata/rt-polarity.neg": "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
        },
    },
    "tiny-shakespeare": {
        "url": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "home": "the data/tinyshakespeare folder of Andrej Karpathy's char-rnn repository, "
        "https://github.com/karpathy/char-rnn",
        "files": {
            "tinyshakespeare/input.txt": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        },
    },
}


class DataError(RuntimeError):
    """A dataset is missing and cannot be downloaded, or a file is corrupted."""


@dataclass
class Splits:
    """Train, validation and test data of one dataset.

    For images and tables each split is a ``TensorDataset`` of (inputs, labels);
    for sentence polarity it is ``(texts, labels)``; for Tiny Shakespeare a string.
    """

    train: object
    val: object
    test: object
    classes: list = field(default_factory=list)
    feature_names: list = field(default_factory=list)

    def to(self, device):
        """A copy with every tensor moved to ``device``."""

        def move(split):
            if isinstance(split, TensorDataset):
                return TensorDataset(*(t.to(device) for t in split.tensors))
            if isinstance(split, tuple):
                return tuple(t.to(device) if torch.is_tensor(t) else t for t in split)
            return split

        return replace(self, train=move(self.train), val=move(self.val), test=move(self.test))


def absolute_data_folder(value, base):
    """The folder ``value`` names (``~`` expanded), read from ``base`` if relative: an absolute Path."""
    return (Path(base) / Path(value).expanduser()).resolve()


def data_root():
    """The folder all datasets live in: ``$NBCODE_DATA`` or ``~/.cache/nbcode/data``, absolute."""
    return absolute_data_folder(os.environ.get(DATA_ENV) or DEFAULT_DATA, Path.cwd())


def _how_the_data_folder_was_chosen():
    """The end of a missing-data message: where the data folder came from, and how to choose another."""
    value, root = os.environ.get(DATA_ENV), data_root()
    if not value:
        return (
            f"{DATA_ENV} is not set, so the data folder is the default, {DEFAULT_DATA}, which is {root}; "
            f"set {DATA_ENV} to use another one (for example an offline copy)."
        )
    if Path(value).expanduser().is_absolute():
        return f"The data folder is {root}, set by {DATA_ENV}; set {DATA_ENV} to use another one."
    # The usual mistake: a path typed relative to one folder, read by a notebook running in another.
    return (
        f'{DATA_ENV} is "{value}", a relative path, and this process runs in {Path.cwd()}, '
        f"so it means {root}. Relative paths are read from the folder the notebook runs in "
        f"(chapters/ for the book's notebooks), not from the folder the command was typed in. "
        f'Set an absolute path instead, for example export {DATA_ENV}="$(realpath {value})" '
        f"typed in the folder the path is relative to, or run from that folder."
    )


def _missing(name, folder, home, error):
    return DataError(
        f"The {name} dataset is not in {folder} and could not be downloaded ({error}). "
        f"Either connect to the internet and run again, or download it from {home} "
        f"and put it there. {_how_the_data_folder_was_chosen()}"
    )


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(name):
    """Make sure the files of ``SOURCES[name]`` are present and intact; return their paths."""
    source, root = SOURCES[name], data_root()
    paths = {rel: root / rel for rel in source["files"]}
    if not all(path.exists() for path in paths.values()):
        # Imported only to download: loading torchvision takes seconds, and the files are usually there.
        from torchvision.datasets.utils import download_and_extract_archive, download_url

        folder = root / Path(next(iter(source["files"]))).parent
        url = source["url"]
        try:
            if url.endswith((".tar.gz", ".tgz", ".zip")):
                download_and_extract_archive(url, download_root=str(root))
            else:
                download_url(url, root=str(folder), filename=Path(url).name)
        except (OSError, RuntimeError, ValueError) as error:  # URLError is an OSError
            raise _missing(name, folder, source["home"], error) from error
    for rel, path in paths.items():
        if not path.exists():
            raise DataError(f"The download of {name} did not contain {rel}; expected it at {path}.")
        actual = _sha256(path)
        if actual != source["files"][rel]:
            raise DataError(
                f"{path} is corrupted or not the expected file: its SHA-256 is {actual}, "
                f"expected {source['files'][rel]}. Delete it and run again to download it "
                f"afresh from {source['home']}."
            )
    return paths


def _subsample(n, subset, generator):
    """Indices of a fixed random subset of ``range(n)``, or all of them."""
    if subset is None or subset >= n:
        return torch.arange(n)
    if subset < 1:
        raise ValueError(f"subset={subset!r} must be a positive number of examples, or None.")
    return torch.randperm(n, generator=generator)[:subset].sort().values


def _split_indices(n, val_size, generator):
    order = torch.randperm(n, generator=generator)
    return order[val_size:], order[:val_size]


def _load_idx_images(dataset_class, name, home, val_size, subset, split_seed, device):
    root = data_root()
    folder = root / dataset_class.__name__ / "raw"
    present = all((folder / Path(file).stem).exists() for file, _ in dataset_class.resources)
    sets = {}
    for train in (True, False):
        try:
            sets[train] = dataset_class(root=str(root), train=train, download=True)
        # URLError is an OSError; torchvision asserts on a truncated IDX file.
        except (OSError, RuntimeError, ValueError, AssertionError) as error:
            if "corrupted" in str(error):  # torchvision's words for an MD5 mismatch
                raise DataError(
                    f"The {name} files downloaded into {folder} failed their MD5 checksum "
                    f"({error}): the download was cut short or the server sent other files. "
                    f"Delete {folder} and run again, or download the files from {home} by hand."
                ) from error
            if present:
                raise DataError(
                    f"The {name} files in {folder} could not be read ({error}): they are "
                    "corrupted or incomplete. Delete them and run again to download them afresh."
                ) from error
            raise _missing(name, folder, home, error) from error
    generator = torch.Generator().manual_seed(split_seed)

    def tensors(dataset, index):
        images = dataset.data[index].unsqueeze(1).float().div_(255)  # like ToTensor: (N, 1, 28, 28) in [0, 1]
        return TensorDataset(images, dataset.targets[index].long())

    train_index, val_index = _split_indices(len(sets[True]), val_size, generator)
    train_index = train_index[_subsample(len(train_index), subset, generator)]
    val_index = val_index[_subsample(len(val_index), subset, generator)]
    test_index = _subsample(len(sets[False]), subset, generator)
    splits = Splits(
        train=tensors(sets[True], train_index),
        val=tensors(sets[True], val_index),
        test=tensors(sets[False], test_index),
        classes=list(sets[True].classes),
    )
    return splits.to(device) if device is not None else splits


def load_mnist(val_size=5000, subset=None, split_seed=0, device=None):
    """MNIST digits: images ``(N, 1, 28, 28)`` scaled to [0, 1], labels 0-9.

    The validation set is ``val_size`` images held out of the official 60,000
    training images; the test set is the official 10,000. ``subset`` keeps at
    most that many examples of each split (for quick runs); ``device`` moves
    every tensor there. torchvision downloads the files (checking their MD5
    sums) unless they are already in ``data_root()/MNIST/raw``.
    """
    from torchvision.datasets import MNIST

    home = "http://yann.lecun.com/exdb/mnist/ (torchvision downloads it with download=True)"
    return _load_idx_images(MNIST, "MNIST", home, val_size, subset, split_seed, device)


def load_fashion_mnist(val_size=5000, subset=None, split_seed=0, device=None):
    """Fashion-MNIST clothing images, in the same form and splits as :func:`load_mnist`."""
    from torchvision.datasets import FashionMNIST

    home = "https://github.com/zalandoresearch/fashion-mnist (torchvision downloads it with download=True)"
    return _load_idx_images(FashionMNIST, "Fashion-MNIST", home, val_size, subset, split_seed, device)


def _stratified_split(labels, val_fraction, test_fraction, split_seed):
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    rest, test = train_test_split(index, test_size=test_fraction, stratify=labels, random_state=split_seed)
    val_share = val_fraction / (1 - test_fraction)
    train, val = train_test_split(rest, test_size=val_share, stratify=labels[rest], random_state=split_seed)
    return train, val, test


def load_breast_cancer(val_fraction=0.2, test_fraction=0.2, split_seed=0, device=None, standardise=True):
    """The Wisconsin breast-cancer table: 569 tumours, 30 features, label 0 = malignant, 1 = benign.

    Splits are stratified (each keeps the class balance). Features are
    standardised with the mean and standard deviation of the training split
    only: statistics computed on all rows would leak the test set into training.
    ``standardise=False`` keeps the raw features (the same split), to see what
    standardising is for. The table ships with scikit-learn, so nothing is downloaded.
    """
    from sklearn.datasets import load_breast_cancer as sklearn_breast_cancer

    table = sklearn_breast_cancer()
    train, val, test = _stratified_split(table.target, val_fraction, test_fraction, split_seed)
    features = torch.tensor(table.data, dtype=torch.float32)
    if standardise:
        features = (features - features[train].mean(0)) / features[train].std(0)
    labels = torch.tensor(table.target, dtype=torch.long)

    def part(index):
        index = torch.as_tensor(index)
        return TensorDataset(features[index], labels[index])

    splits = Splits(
        train=part(train),
        val=part(val),
        test=part(test),
        classes=[str(name) for name in table.target_names],
        feature_names=[str(name) for name in table.feature_names],
    )
    return splits.to(device) if device is not None else splits


def load_sentence_polarity(val_fraction=0.1, test_fraction=0.1, subset=None, split_seed=0):
    """Pang and Lee's sentence polarity dataset v1.0: 10,662 movie-review snippets.

    Each split is ``(texts, labels)``: a list of lower-cased, tokenised strings
    and a tensor with 1 = positive, 0 = negative. Splits are stratified.
    ``subset`` keeps at most that many snippets of each split.
    """
    paths = _fetch("sentence-polarity")
    texts, labels = [], []
    for label, rel in ((1, "rt-polaritydata/rt-polarity.pos"), (0, "rt-polaritydata/rt-polarity.neg")):
        lines = paths[rel].read_text(encoding="utf-8").splitlines()
        texts += [line.strip() for line in lines if line.strip()]
        labels += [label] * (len(texts) - len(labels))
    labels = np.array(labels)
    generator = torch.Generator().manual_seed(split_seed)

    def part(index):
        index = index[_subsample(len(index), subset, generator).numpy()]
        return [texts[i] for i in index], torch.as_tensor(labels[index], dtype=torch.long)

    train, val, test = _stratified_split(labels, val_fraction, test_fraction, split_seed)
    return Splits(train=part(train), val=part(val), test=part(test), classes=["negative", "positive"])


def load_tiny_shakespeare(val_fraction=0.05, test_fraction=0.05, subset=None):
    """Tiny Shakespeare (1,115,394 characters) as three contiguous strings.

    The text is cut in order, not shuffled: a character model must not see the
    validation text while training, and neighbouring characters are not
    independent. ``subset`` keeps only the first that many characters.
    """
    text = _fetch("tiny-shakespeare")["tinyshakespeare/input.txt"].read_text(encoding="utf-8")
    if subset is not None:
        text = text[:subset]
    n_test, n_val = int(len(text) * test_fraction), int(len(text) * val_fraction)
    n_train = len(text) - n_val - n_test
    return Splits(
        train=text[:n_train], val=text[n_train : n_train + n_val], test=text[n_train + n_val :]
    )
