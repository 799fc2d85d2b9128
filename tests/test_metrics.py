import math

import numpy as np
import pytest
import torch

from nbcode import metrics


def test_predictions_from_each_kind_of_output():
    assert metrics.predictions(torch.tensor([-2.0, 0.5, 3.0])).tolist() == [0, 1, 1]
    assert metrics.predictions(torch.tensor([[-2.0], [0.5]])).tolist() == [0, 1]
    assert metrics.predictions(torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0]])).tolist() == [1, 0]
    assert metrics.predictions(torch.tensor([2, 0, 1])).tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="shape"):
        metrics.predictions(torch.zeros(2, 3, 4))


def test_scores_match_counts_done_by_hand():
    logits = torch.tensor([2.0, -1.0, 0.3, -0.2, 1.5, -3.0])  # predicts 1 0 1 0 1 0
    targets = torch.tensor([1, 0, 0, 1, 1, 0])
    true_pos, false_pos, false_neg = 2, 1, 1
    assert metrics.accuracy(logits, targets) == pytest.approx(4 / 6)
    precision, recall = true_pos / (true_pos + false_pos), true_pos / (true_pos + false_neg)
    assert metrics.f1(logits, targets) == pytest.approx(2 * precision * recall / (precision + recall))
    np.testing.assert_array_equal(metrics.confusion_matrix(logits, targets), [[2, 1], [1, 2]])


def test_f1_of_the_class_chosen_as_positive():
    predicted = torch.tensor([0, 0, 0, 1, 1, 1])
    targets = torch.tensor([0, 0, 1, 1, 1, 1])
    # Class 1: TP 3, FP 0, FN 1. Class 0: TP 2, FP 1, FN 0.
    assert metrics.f1(predicted, targets) == pytest.approx(6 / 7)
    assert metrics.f1(predicted, targets, positive=0) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="positive class is 0 or 1"):
        metrics.f1(predicted, targets, positive=2)


def test_confusion_matrix_keeps_classes_never_predicted():
    counts = metrics.confusion_matrix(torch.tensor([0, 0]), torch.tensor([0, 1]), num_classes=3)
    assert counts.shape == (3, 3) and counts.sum() == 2


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        metrics.accuracy(torch.zeros(3, 2), torch.zeros(2))


def _splits(rng, informative):
    # two Gaussian classes 2 apart along the first feature, or labels unrelated to the features
    data = {}
    for split, n in (("train", 400), ("val", 200), ("test", 200)):
        labels = rng.integers(0, 2, n)
        x = rng.normal(size=(n, 5))
        if informative:
            x[:, 0] += 2.0 * labels
        data[split] = (x, labels)
    return {s: x for s, (x, _) in data.items()}, {s: y for s, (_, y) in data.items()}


def test_linear_probe_reads_what_the_features_hold():
    rng = np.random.default_rng(0)
    features, labels = _splits(rng, informative=True)
    result = metrics.linear_probe(features, labels)
    assert result["test"] > 0.75  # Bayes accuracy for classes 2 apart at unit noise: 0.84
    noise_features, noise_labels = _splits(rng, informative=False)
    assert abs(metrics.linear_probe(noise_features, noise_labels)["test"] - 0.5) < 0.12


def test_linear_probe_chooses_C_on_validation_and_uses_only_the_given_rows():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    features, labels = _splits(np.random.default_rng(1), informative=True)
    rows = np.arange(30)
    C_values = (1e-4, 1.0, 100.0)
    models = {C: LogisticRegression(C=C, max_iter=3000).fit(features["train"][rows], labels["train"][rows])
              for C in C_values}
    val = {C: model.score(features["val"], labels["val"]) for C, model in models.items()}
    val_loss = {C: log_loss(labels["val"], model.predict_proba(features["val"])) for C, model in models.items()}
    by_accuracy = metrics.linear_probe(features, labels, rows=rows, C_values=C_values, criterion="accuracy")
    assert by_accuracy["C"] == max(C_values, key=lambda C: (val[C], -C_values.index(C)))  # the first of a tie
    by_loss = metrics.linear_probe(features, labels, rows=rows, C_values=C_values)  # log loss, the default
    assert by_loss["C"] == min(C_values, key=lambda C: val_loss[C])
    for result in (by_accuracy, by_loss):
        assert result["val"] == val[result["C"]] and math.isclose(result["val_log_loss"], val_loss[result["C"]])
        assert result["test"] == result["model"].score(features["test"], labels["test"])
        assert result["model"].coef_.shape == (1, 5)
    with pytest.raises(ValueError, match="criterion='f1'"):
        metrics.linear_probe(features, labels, criterion="f1")


def test_linear_probe_passes_over_a_classifier_that_predicts_one_class_on_validation():
    # Chapter 10's failure in miniature: 60 labelled rows (33 of class 1), and a validation draw of 10 with
    # 9 of class 1, two of them where class 0 lives. The strongly regularised classifier predicts class 1
    # everywhere and wins on validation accuracy (0.9 against at most 0.8); on the balanced test split it is
    # at chance. It is not a candidate, by either criterion, unless every C gives one class.
    rng = np.random.default_rng(3)
    train_labels = np.array([1] * 33 + [0] * 27)
    train = rng.normal(size=(60, 2)) + 2.0 * train_labels[:, None]
    val_labels = np.array([1] * 9 + [0])
    val = np.array([[2.2, 1.9], [1.8, 2.3], [2.5, 2.1], [1.7, 1.6], [2.0, 2.4], [2.3, 1.8], [1.9, 2.0],
                    [-0.3, 0.1], [0.2, -0.4], [0.1, -0.2]])
    test_labels = np.array([0, 1] * 100)
    test = rng.normal(size=(200, 2)) + 2.0 * test_labels[:, None]
    features, labels = {"train": train, "val": val, "test": test}, {"train": train_labels, "val": val_labels,
                                                                    "test": test_labels}
    for criterion in ("accuracy", "log_loss"):
        result = metrics.linear_probe(features, labels, C_values=(1e-4, 1.0), criterion=criterion)
        constant, informative = result["candidates"]
        assert constant["one_class"] and constant["val"] == 0.9 and set(constant["model"].predict(test)) == {1}
        assert not informative["one_class"] and informative["val"] < 0.9
        assert result["C"] == 1.0 and result["test"] > 0.85
    only_constant = metrics.linear_probe(features, labels, C_values=(1e-4,))
    assert only_constant["C"] == 1e-4 and only_constant["test"] == 0.5


def test_linear_probe_rejects_missing_splits_and_mismatched_rows():
    features, labels = _splits(np.random.default_rng(2), informative=True)
    with pytest.raises(ValueError, match="missing: \\['val'\\]"):
        metrics.linear_probe({k: v for k, v in features.items() if k != "val"}, labels)
    labels["test"] = labels["test"][:-1]
    with pytest.raises(ValueError, match="199 labels in the 'test' split"):
        metrics.linear_probe(features, labels)
