"""Chapter 9's sentiment classifiers over five seeds: article A's three readouts, the four cells, their gradients.

For each seed, the chapter's cells from the vocabulary to the gradient measurement, in their order and with
their seeding: article A's layer sizes (two ``nn.RNN`` layers of 8) trained with the loss on every step, read
at the last padded column (each batch padded to its longest snippet), and the fix (the final state of the
packed sequence); then the plain RNN, the LSTM and the GRU reading their final state and the plain RNN with
mean pooling (state size 64); then, for the three cells, the factor by which the gradient of the final state
falls over the last 50 of a 150-token sequence. The chapter (09_rnn) runs seed 0, which is this study's entry
for seed 0: the code below is the chapter's cells, copied (the chapter shows them to teach them), and the tests
check that the chapter's glued accuracies equal that entry. Five seeds, not ten, because one seed trains seven
classifiers and costs more than a minute on one core of the recording machine (the result file gives the
seconds of each seed).
"""

CHAPTER = "09_rnn"
SETTINGS = {"min_count": 2, "embedding_size": 64, "hidden_size": 64, "epochs": 10, "batch_size": 64,
            "learning_rate": 2e-3, "dropout": 0.3, "long_length": 150}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
SEEDS = list(range(5))
SMOKE = {"epochs": 1, "long_length": 60}
GLUE = {"articleA_rnn_every_step_acc": "articleA_every_step_acc",
        "articleA_rnn_last_padded_acc": "articleA_last_padded_acc",
        "articleA_rnn_fixed_acc": "articleA_fixed_acc",
        "rnn_test_acc": "rnn_acc", "lstm_test_acc": "lstm_acc", "gru_test_acc": "gru_acc",
        "rnn_pooled_test_acc": "pooled_acc"}


def run(seed, min_count, embedding_size, hidden_size, epochs, batch_size, learning_rate, dropout, long_length):
    """The chapter's sentiment cells for one seed, on the CPU."""
    from collections import Counter

    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence

    import nbcode
    from nbcode import metrics
    from nbcode.data import load_sentence_polarity
    from nbcode.train import evaluate, fit

    device = nbcode.setup(seed, "cpu")
    polarity = load_sentence_polarity()
    train_texts = polarity.train[0]
    word_counts = Counter(word for text in train_texts for word in text.split())
    vocabulary = ["<pad>", "<unk>"] + sorted(word for word, count in word_counts.items() if count >= min_count)
    word_ids = {word: i for i, word in enumerate(vocabulary)}
    PAD, UNK = 0, 1

    def encode(texts):
        ids = [[word_ids.get(word, UNK) for word in text.split()] for text in texts]
        tensor = torch.full((len(ids), max(map(len, ids))), PAD, dtype=torch.long)
        for row, sentence in enumerate(ids):
            tensor[row, : len(sentence)] = torch.tensor(sentence)
        return tensor

    splits = {name: (encode(texts).to(device), labels.to(device))
              for name, (texts, labels) in (("train", polarity.train), ("val", polarity.val), ("test", polarity.test))}

    class SentimentRNN(nn.Module):
        def __init__(self, cell="LSTM", hidden=hidden_size, layers=1, dropout=dropout):
            super().__init__()
            self.embedding = nn.Embedding(len(vocabulary), embedding_size, padding_idx=PAD)
            self.recurrent = getattr(nn, cell)(embedding_size, hidden, num_layers=layers, batch_first=True,
                                               dropout=dropout if layers > 1 else 0.0)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(hidden, 2)

        def forward(self, ids):
            lengths = (ids != PAD).sum(dim=1).clamp(min=1)
            vectors = self.dropout(self.embedding(ids[:, : int(lengths.max())]))
            packed = pack_padded_sequence(vectors, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.recurrent(packed)
            final = state[0] if isinstance(state, tuple) else state
            return self.classifier(self.dropout(final[-1]))

    def train_and_test(model):
        model = model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        fit(model, nn.functional.cross_entropy, optimizer, splits["train"], splits["val"], epochs=epochs,
            batch_size=batch_size, metrics={"acc": metrics.accuracy}, monitor="acc", progress=False)
        return evaluate(model, splits["test"], metrics={"acc": metrics.accuracy})["acc"]

    class ArticleARNN(nn.Module):
        def __init__(self, readout):
            super().__init__()
            self.readout = readout
            self.embedding = nn.Embedding(len(vocabulary), embedding_size, padding_idx=PAD)
            self.recurrent = nn.RNN(embedding_size, 8, num_layers=2, dropout=0.2, batch_first=True)
            self.classifier = nn.Linear(8, 2)

        def forward(self, ids):
            ids = ids[:, : int((ids != PAD).sum(dim=1).max())]
            outputs, _ = self.recurrent(self.embedding(ids))
            logits = self.classifier(outputs)
            return logits if self.readout == "every step" and self.training else logits[:, -1]

    def every_step_loss(logits, labels):
        if logits.ndim == 3:
            return nn.functional.cross_entropy(logits.flatten(0, 1), labels.repeat_interleave(logits.shape[1]))
        return nn.functional.cross_entropy(logits, labels)

    measured = {}
    for readout, key in (("every step", "every_step"), ("last padded step", "last_padded")):
        torch.manual_seed(seed)
        model = ArticleARNN(readout).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        fit(model, every_step_loss, optimizer, splits["train"], splits["val"], epochs=epochs, batch_size=batch_size,
            progress=False)
        measured[f"articleA_{key}_acc"] = evaluate(model, splits["test"], metrics={"acc": metrics.accuracy})["acc"]
    torch.manual_seed(seed)
    measured["articleA_fixed_acc"] = train_and_test(SentimentRNN("RNN", hidden=8, layers=2, dropout=0.2))

    class PooledRNN(SentimentRNN):
        def forward(self, ids):
            ids = ids[:, : int((ids != PAD).sum(dim=1).max())]
            real = (ids != PAD).unsqueeze(-1).float()
            states, _ = self.recurrent(self.dropout(self.embedding(ids)))
            return self.classifier(self.dropout((states * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)))

    models = {}
    for name, make in (("rnn", lambda: SentimentRNN("RNN")), ("lstm", lambda: SentimentRNN("LSTM")),
                       ("gru", lambda: SentimentRNN("GRU")), ("pooled", lambda: PooledRNN("RNN"))):
        torch.manual_seed(seed)
        models[name] = make()
        measured[f"{name}_acc"] = train_and_test(models[name])

    long_ids = splits["test"][0][splits["test"][0] != PAD][:long_length].unsqueeze(0)

    def gradient_by_position(model):
        model.eval()
        vectors = model.embedding(long_ids).detach().requires_grad_(True)
        _, state = model.recurrent(vectors)
        final = state[0] if isinstance(state, tuple) else state
        (gradient,) = torch.autograd.grad(final[-1].sum(), vectors)
        return gradient[0].norm(dim=1).cpu()

    for name in ("rnn", "lstm", "gru"):
        norms = gradient_by_position(models[name])
        measured[f"{name}_gradient_ratio"] = float(f"{(norms[-1] / norms[-51]).item():.4g}")
    measured = {key: round(value, 4) if key.endswith("_acc") else value for key, value in measured.items()}
    accuracies = [measured[f"{name}_acc"] for name in ("rnn", "lstm", "gru", "pooled")]
    measured["rnn_lowest"] = measured["rnn_acc"] == min(accuracies) and accuracies.count(min(accuracies)) == 1
    measured["fix_ahead"] = measured["articleA_fixed_acc"] > measured["articleA_every_step_acc"]
    return measured
