"""The loaders, on the offline copy in NBCODE_DATA, their errors offline, and where NBCODE_DATA points.

Downloads from a (local) server, with their checksums, are tested in test_colab.py,
through the very statements the chapters run.
"""

import shutil
import urllib.error

import pytest
import torch
from torch.utils.data import TensorDataset

from nbcode import data

OFFLINE = data.data_root()


def test_mnist_shapes_splits_and_scaling():
    splits = data.load_mnist()
    images, labels = splits.train.tensors
    assert images.shape == (55000, 1, 28, 28) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() == 1
    assert (len(splits.val), len(splits.test)) == (5000, 10000)
    assert set(labels.unique().tolist()) == set(range(10)) and len(splits.classes) == 10


def test_splits_are_fixed_by_split_seed_and_subset_keeps_them_small():
    first, again = data.load_fashion_mnist(subset=300), data.load_fashion_mnist(subset=300)
    assert all(len(split) == 300 for split in (first.train, first.val, first.test))
    assert torch.equal(first.train.tensors[0], again.train.tensors[0])
    other = data.load_fashion_mnist(subset=300, split_seed=1)
    assert not torch.equal(first.train.tensors[1], other.train.tensors[1])


def test_validation_images_are_not_training_images():
    splits = data.load_mnist(subset=2000)
    train = {bytes(image.mul(255).byte().numpy()) for image in splits.train.tensors[0]}
    assert not any(bytes(image.mul(255).byte().numpy()) in train for image in splits.val.tensors[0])


def test_breast_cancer_is_stratified_and_standardised_on_training_rows_only():
    splits = data.load_breast_cancer()
    sizes = [len(split) for split in (splits.train, splits.val, splits.test)]
    assert sum(sizes) == 569 and sizes == [341, 114, 114]
    features = splits.train.tensors[0]
    assert torch.allclose(features.mean(0), torch.zeros(30), atol=1e-5)
    assert torch.allclose(features.std(0), torch.ones(30), atol=1e-5)
    assert not torch.allclose(splits.test.tensors[0].mean(0), torch.zeros(30), atol=1e-3)
    shares = [split.tensors[1].float().mean().item() for split in (splits.train, splits.val, splits.test)]
    assert max(shares) - min(shares) < 0.01
    assert splits.classes == ["malignant", "benign"] and len(splits.feature_names) == 30


def test_breast_cancer_unstandardised_keeps_the_split_and_the_raw_features():
    from sklearn.datasets import load_breast_cancer as sklearn_breast_cancer

    standardised, raw = data.load_breast_cancer(), data.load_breast_cancer(standardise=False)
    table = torch.tensor(sklearn_breast_cancer().data, dtype=torch.float32)
    for part in ("train", "val", "test"):
        scaled, unscaled = getattr(standardised, part).tensors, getattr(raw, part).tensors
        assert torch.equal(scaled[1], unscaled[1])
        assert all((table == row).all(dim=1).any() for row in unscaled[0])  # every row is a row of the table
    features = raw.train.tensors[0]
    rebuilt = (features - features.mean(0)) / features.std(0)
    assert torch.allclose(rebuilt, standardised.train.tensors[0], atol=1e-5)


def tensor_devices(splits):
    """The device type of every tensor of every split, inputs and targets, in order."""
    return [tensor.device.type for split in (splits.train, splits.val, splits.test)
            for tensor in (split.tensors if isinstance(split, TensorDataset) else split) if torch.is_tensor(tensor)]


def test_to_device_moves_every_tensor():
    tables = data.load_breast_cancer(device="meta")
    assert tensor_devices(tables) == ["meta"] * 3 * 2 and len(tables.feature_names) == 30
    # Sentence polarity's splits are (texts, labels): only the labels are tensors. Tiny Shakespeare's are strings.
    snippets = (["a fine film", "a dull one"], torch.tensor([1, 0]))
    texts = data.Splits(snippets, snippets, snippets, classes=["negative", "positive"]).to("meta")
    assert tensor_devices(texts) == ["meta"] * 3 and texts.test[0] == snippets[0] and snippets[1].device.type == "cpu"
    assert data.Splits("First", "Second", "Third").to("meta") == data.Splits("First", "Second", "Third")


def test_sentence_polarity_and_tiny_shakespeare():
    polarity = data.load_sentence_polarity()
    texts = polarity.train[0] + polarity.val[0] + polarity.test[0]
    assert len(texts) == 10662 and isinstance(texts[0], str)
    assert torch.cat([polarity.train[1], polarity.val[1], polarity.test[1]]).sum() == 5331
    assert any("purée" in text for text in texts)  # decoded as the UTF-8 it is
    text = data.load_tiny_shakespeare()
    assert len(text.train) + len(text.val) + len(text.test) == 1115394
    assert text.train.startswith("First Citizen:")


@pytest.fixture
def empty_root(tmp_path, monkeypatch):
    monkeypatch.setenv("NBCODE_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr("urllib.request.urlopen", refuse)


@pytest.mark.parametrize("loader, name", [
    (data.load_mnist, "MNIST"),
    (data.load_fashion_mnist, "Fashion-MNIST"),
    (data.load_sentence_polarity, "sentence polarity"),
    (data.load_tiny_shakespeare, "tiny-shakespeare"),
])
def test_missing_data_without_network_says_where_to_put_it(loader, name, empty_root, no_network):
    with pytest.raises(data.DataError) as error:
        loader()
    message = str(error.value)
    assert name in message and str(empty_root) in message
    assert "NBCODE_DATA" in message and "http" in message


def test_relative_data_folder_is_read_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBCODE_DATA", "data/../offline")
    assert data.data_root() == tmp_path.resolve() / "offline"


def test_absolute_data_folder_reads_relative_paths_from_base(tmp_path, monkeypatch):
    home = tmp_path.resolve()
    monkeypatch.setenv("HOME", str(home))
    base = home / "main"
    assert data.absolute_data_folder("../shared/data", base) == home / "shared" / "data"
    assert data.absolute_data_folder("~/data", base) == home / "data"
    assert data.absolute_data_folder(str(home / "offline"), base) == home / "offline"


@pytest.mark.parametrize("loader", [data.load_mnist, data.load_tiny_shakespeare])
def test_missing_data_under_a_relative_folder_says_what_it_was_read_from(loader, tmp_path, monkeypatch, no_network):
    chapters = tmp_path.resolve() / "chapters"  # as a notebook runs, after `export NBCODE_DATA=../shared/data`
    chapters.mkdir()
    monkeypatch.chdir(chapters)
    monkeypatch.setenv("NBCODE_DATA", "../shared/data")
    with pytest.raises(data.DataError) as error:
        loader()
    message = str(error.value)
    assert str(tmp_path.resolve() / "shared" / "data") in message and str(chapters) in message
    assert '"../shared/data", a relative path' in message and 'realpath ../shared/data' in message


def test_missing_data_with_nbcode_data_unset_names_the_default_folder(tmp_path, monkeypatch, no_network):
    monkeypatch.delenv("NBCODE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(data.DataError) as error:
        data.load_tiny_shakespeare()
    message = str(error.value)
    assert str(tmp_path.resolve() / ".cache" / "nbcode" / "data" / "tinyshakespeare") in message
    assert "NBCODE_DATA is not set" in message and "~/.cache/nbcode/data" in message


def test_truncated_image_file_is_reported_as_corrupted(empty_root, no_network):
    raw = empty_root / "MNIST" / "raw"
    shutil.copytree(OFFLINE / "MNIST" / "raw", raw)
    (raw / "t10k-labels-idx1-ubyte").chmod(0o644)
    with open(raw / "t10k-labels-idx1-ubyte", "r+b") as f:
        f.truncate(5000)
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_mnist()


def test_altered_text_file_fails_its_checksum(empty_root):
    (empty_root / "tinyshakespeare").mkdir()
    text = (OFFLINE / "tinyshakespeare" / "input.txt").read_text()
    (empty_root / "tinyshakespeare" / "input.txt").write_text(text.replace("Citizen", "Citizan", 1))
    with pytest.raises(data.DataError, match="SHA-256"):
        data.load_tiny_shakespeare()


def test_bad_subset_is_refused():
    with pytest.raises(ValueError, match="subset"):
        data.load_fashion_mnist(subset=0)
