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
