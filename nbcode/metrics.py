"""Classification metrics from a model's outputs, computed by scikit-learn.

Every function takes the raw ``outputs`` of a model and the ``targets``.
:func:`predictions` turns outputs into classes: several logits per example
(shape ``(N, C)``) give the argmax; one logit per example (shape ``(N,)`` or
``(N, 1)``) gives class 1 where the logit is positive, which is where the
sigmoid probability exceeds 0.5. Integer outputs are taken as classes already.
:func:`linear_probe` trains the simplest classifier on fixed features, to ask how
much a representation (an autoencoder's code, a pretrained encoder's vectors) holds.
"""

import numpy as np
import torch
from sklearn import metrics as sk
from sklearn.linear_model import LogisticRegression

__all__ = ["predictions", "accuracy", "f1", "confusion_matrix", "linear_probe"]


def predictions(outputs):
    """Predicted classes (a NumPy integer array) from a model's outputs."""
    outputs = torch.as_tensor(outputs).detach().cpu()
    if not outputs.is_floating_point():
        return outputs.reshape(-1).numpy()
    if outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1):
        return (outputs.reshape(-1) > 0).long().numpy()
    if outputs.ndim == 2:
        return outputs.argmax(dim=1).numpy()
    raise ValueError(
        f"Cannot read classes from outputs of shape {tuple(outputs.shape)}: expected "
        "(N,) or (N, 1) logits for two classes, or (N, C) logits for C classes."
    )


def _pair(outputs, targets):
    predicted = predictions(outputs)
    expected = torch.as_tensor(targets).detach().cpu().reshape(-1).long().numpy()
    if len(predicted) != len(expected):
        raise ValueError(
            f"{len(predicted)} predictions but {len(expected)} targets: outputs of shape "
            f"{tuple(torch.as_tensor(outputs).shape)} do not match targets of shape "
            f"{tuple(torch.as_tensor(targets).shape)}."
        )
    return expected, predicted


def accuracy(outputs, targets):
    """Share of examples whose predicted class is the target."""
    return float(sk.accuracy_score(*_pair(outputs, targets)))


def f1(outputs, targets, average="binary", positive=1):
    """F1 score: the harmonic mean of precision and recall.

    With two classes (``average="binary"``) it is the F1 of the ``positive``
    class, 1 unless you say otherwise: choose the class whose detection matters
    (``positive=0`` for the breast-cancer table's malignant tumours). With more
    classes, pass ``average="macro"`` to average the per-class scores.
    """
    if average == "binary" and positive not in (0, 1):
        raise ValueError(f"positive={positive!r}: with two classes the positive class is 0 or 1.")
    return float(sk.f1_score(*_pair(outputs, targets), average=average, pos_label=positive, zero_division=0))


def confusion_matrix(outputs, targets, num_classes=None):
    """Counts: row = true class, column = predicted class."""
    expected, predicted = _pair(outputs, targets)
    if num_classes is None:
        num_classes = int(max(expected.max(initial=0), predicted.max(initial=0))) + 1
    return sk.confusion_matrix(expected, predicted, labels=np.arange(num_classes))


def linear_probe(features, labels, rows=None, C_values=(0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)):
    """Logistic regression on fixed features, its one setting chosen on validation, tested once.

    ``features`` and ``labels`` map the splits ``"train"``, ``"val"`` and ``"test"``
    to arrays (dense or SciPy sparse, one row per example) and to class labels.
    ``rows`` selects the labelled training rows (all of them by default). For each
    inverse regularisation strength ``C`` in ``C_values`` a classifier is fitted on
    those rows and scored on the validation split; the best one, and only that one,
    is scored on the test split. Returns ``{"C", "val", "test", "model"}``.
    """
    missing = {"train", "val", "test"} - set(features) | {"train", "val", "test"} - set(labels)
    if missing:
        raise ValueError(f"linear_probe needs the splits 'train', 'val' and 'test' in features and labels; "
                         f"missing: {sorted(missing)}.")
    for split in ("train", "val", "test"):
        if features[split].shape[0] != len(labels[split]):
            raise ValueError(f"{features[split].shape[0]} feature rows but {len(labels[split])} labels in the "
                             f"{split!r} split: they must match, one row per example.")
    rows = np.arange(features["train"].shape[0]) if rows is None else np.asarray(rows)
    train_labels = np.asarray(labels["train"])[rows]
    best = None
    for C in C_values:
        model = LogisticRegression(C=C, max_iter=3000).fit(features["train"][rows], train_labels)
        val_accuracy = float(model.score(features["val"], np.asarray(labels["val"])))
        if best is None or val_accuracy > best["val"]:
            best = {"C": C, "val": val_accuracy, "model": model}
    best["test"] = float(best["model"].score(features["test"], np.asarray(labels["test"])))
    return best
