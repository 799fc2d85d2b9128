"""Chapter 10's few-label probes over ten seeds: the frozen MiniLM encoder and bag of words with 100 and 1,000 labels.

The chapter (10_transformer) encodes the sentence-polarity snippets with all-MiniLM-L6-v2 and trains logistic
regressions (``nbcode.metrics.linear_probe``) on ``probe_label_counts`` labelled training snippets, each drawn
``probe_subsamples`` times, with as many validation snippets drawn to choose C on, and scores each on the whole
test split. Which snippets a draw takes follows from the chapter's seed, so this study repeats the chapter's
cell (same encoding, same draws, same probes, in the same order) for seeds 0 to 9; seed 0 is the chapter's own
run, and the tests check that the chapter's glued values equal its entry. Per seed, label count and model: the
mean, lowest and highest test accuracy over the draws, and how many draws chose a classifier that predicts one
class for every test snippet. The same fits are also chosen as the chapter chose before, by validation
*accuracy* with one-class classifiers among the candidates, to count how often that choice collapses to one
class, and with which C, and by log loss without that guard.

Encoding the 10,662 snippets (in batches of nearly equal length in word pieces, as the chapter does) takes
about a minute and a half on one core and is done once per process, so it counts in seed 0's seconds (the
embeddings do not depend on the seed); each seed's probes then take about ten seconds.
"""

CHAPTER = "10_transformer"
SETTINGS = {"pretrained_train_size": 8528, "probe_label_counts": [100, 1000], "probe_subsamples": 5}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
SEEDS = list(range(10))
SMOKE = {"pretrained_train_size": 200, "probe_label_counts": [50, 100], "probe_subsamples": 2}
GLUE = {f"probe_{which}_{short}_{stat}": f"{which}_{short}_{stat}" for which in ("few", "more")
        for short in ("minilm", "bow") for stat in ("mean", "low", "high")}
_CACHE = {}


def _embedded(pretrained_train_size):
    """The chapter's texts, labels and MiniLM embeddings (computed once per process and training size)."""
    if pretrained_train_size not in _CACHE:
        import numpy as np
        import torch

        from nbcode.data import load_sentence_polarity
        from nbcode.pretrained import load_sentence_encoder

        device = torch.device("cpu")
        polarity = load_sentence_polarity()
        encoder = load_sentence_encoder(device)
        texts = {"train": polarity.train[0][:pretrained_train_size], "val": polarity.val[0],
                 "test": polarity.test[0]}
        labels = {"train": polarity.train[1][:pretrained_train_size].numpy(), "val": polarity.val[1].numpy(),
                  "test": polarity.test[1].numpy()}

        @torch.no_grad()
        def encode(snippets, batch_size=32):
            # The chapter's encode: batches of snippets sorted by their number of word pieces.
            encoder.eval()
            lengths = [len(ids) for ids in encoder.tokenizer(snippets)["input_ids"]]
            order = np.argsort(lengths, kind="stable")
            vectors = [None] * len(snippets)
            for start in range(0, len(snippets), batch_size):
                rows = order[start : start + batch_size]
                features = {key: value.to(device) if torch.is_tensor(value) else value
                            for key, value in encoder.preprocess([snippets[row] for row in rows]).items()}
                for row, vector in zip(rows, encoder(features)["sentence_embedding"].float().cpu().numpy()):
                    vectors[row] = vector
            return np.stack(vectors)

        embeddings = {split: encode(texts[split]) for split in texts}
        _CACHE[pretrained_train_size] = texts, labels, embeddings
    return _CACHE[pretrained_train_size]


def run(seed, pretrained_train_size, probe_label_counts, probe_subsamples):
    """The chapter's few-label probes for one seed, on the CPU."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    import nbcode
    from nbcode.metrics import linear_probe

    nbcode.setup(seed, "cpu")
    texts, labels, embeddings = _embedded(pretrained_train_size)

    def bag_of_words(rows):
        # TF-IDF of words and word pairs, the vocabulary from these training rows only.
        vectorizer = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2))
        vectorizer.fit([texts["train"][i] for i in rows])
        return {split: vectorizer.transform(texts[split]) for split in texts}

    names = {"MiniLM probe": "minilm", "bag of words": "bow"}
    results = {}
    for count in probe_label_counts:
        subsampled = {(name, criterion): [] for name in names for criterion in ("log_loss", "accuracy", "unguarded")}
        for draw in range(probe_subsamples):
            rng = np.random.default_rng([seed, count, draw])
            rows = rng.choice(len(texts["train"]), count, replace=False)
            val_rows = rng.choice(len(texts["val"]), min(count, len(texts["val"])), replace=False)  # for choosing C
            for name, features in (("MiniLM probe", embeddings), ("bag of words", bag_of_words(rows))):
                few_val = {"train": features["train"], "val": features["val"][val_rows], "test": features["test"]}
                few_labels = {"train": labels["train"], "val": labels["val"][val_rows], "test": labels["test"]}
                probe = linear_probe(few_val, few_labels, rows)
                # The same fits chosen as the chapter chose before: by validation accuracy (the first C of a tie),
                # one-class classifiers included.
                by_accuracy = max(probe["candidates"], key=lambda candidate: candidate["val"])
                # And by log loss without the guard against one-class classifiers.
                unguarded = min(probe["candidates"], key=lambda candidate: candidate["val_log_loss"])
                for criterion, chosen in (("log_loss", probe), ("accuracy", by_accuracy), ("unguarded", unguarded)):
                    test = float(chosen["model"].score(features["test"], labels["test"]))
                    one_class = len(set(chosen["model"].predict(features["test"]).tolist())) == 1
                    subsampled[name, criterion].append((test, one_class, chosen["C"]))
        which = "few" if count == min(probe_label_counts) else "more"
        for name, short in names.items():
            accuracies = [test for test, _, _ in subsampled[name, "log_loss"]]
            results[f"{which}_{short}_mean"] = round(float(np.mean(accuracies)), 3)
            results[f"{which}_{short}_low"] = round(float(min(accuracies)), 3)
            results[f"{which}_{short}_high"] = round(float(max(accuracies)), 3)
            results[f"{which}_{short}_one_class"] = sum(one for _, one, _ in subsampled[name, "log_loss"])
            results[f"{which}_{short}_smallest_C"] = min(C for _, _, C in subsampled[name, "log_loss"])
            by_accuracy = subsampled[name, "accuracy"]
            results[f"{which}_{short}_low_by_accuracy"] = round(float(min(test for test, _, _ in by_accuracy)), 3)
            results[f"{which}_{short}_one_class_by_accuracy"] = sum(one for _, one, _ in by_accuracy)
            results[f"{which}_{short}_one_class_unguarded"] = sum(one for _, one, _ in subsampled[name, "unguarded"])
            # the largest C that chose a one-class classifier by accuracy (0 where none did)
            results[f"{which}_{short}_one_class_C_by_accuracy"] = max((C for _, one, C in by_accuracy if one), default=0)
    return results
