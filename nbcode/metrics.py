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


def linear_probe(features, labels, rows=None, C_values=(0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100),
                 criterion="log_loss"):
    """Logistic regression on fixed features, its one setting chosen on validation, tested once.

    ``features`` and ``labels`` map the splits ``"train"``, ``"val"`` and ``"test"``
    to arrays (dense or SciPy sparse, one row per example) and to class labels.
    ``rows`` selects the labelled training rows (all of them by default). For each
    inverse regularisation strength ``C`` in ``C_values`` a classifier is fitted on
    those rows and scored on the validation split by ``criterion``; the best one,
    and only that one, is scored on the test split.

    ``criterion="log_loss"`` (the default) chooses the smallest validation
    cross-entropy of the predicted probabilities; ``"accuracy"`` the largest
    validation accuracy (the first ``C`` of a tie). Accuracy on a small validation
    set moves in steps of one example and ignores how sure a classifier is, and it
    can be won by a classifier that has learned nothing: a strongly regularised one
    whose intercept alone decides predicts the training rows' majority class for
    every example, and scores that class's share of an unbalanced validation draw.
    The cross-entropy of such a classifier is that of a coin, about ln 2, which a
    classifier that has learned something usually beats, but not always: on a
    validation draw where every classifier does poorly the coin can still win. So
    a classifier that predicts one class for every validation example is passed
    over, whatever its score, unless every ``C`` gives one.

    Returns ``{"C", "val", "val_log_loss", "test", "model", "candidates"}``: the chosen
    ``C``, its validation accuracy and cross-entropy, its test accuracy and classifier,
    and for every ``C`` in order ``{"C", "val", "val_log_loss", "one_class", "model"}``
    (``one_class``: it predicts one class for every validation example).
    """
    if criterion not in ("log_loss", "accuracy"):
        raise ValueError(f"criterion={criterion!r}: choose C by 'log_loss' (the default) or 'accuracy'.")
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
    val_labels = np.asarray(labels["val"])
    candidates = []
    for C in C_values:
        model = LogisticRegression(C=C, max_iter=3000).fit(features["train"][rows], train_labels)
        candidates.append({"C": C, "val": float(model.score(features["val"], val_labels)),
                           "val_log_loss": float(sk.log_loss(val_labels, model.predict_proba(features["val"]),
                                                             labels=model.classes_)),
                           "one_class": len(np.unique(model.predict(features["val"]))) == 1, "model": model})
    eligible = [candidate for candidate in candidates if not candidate["one_class"]] or candidates
    best = None
    for candidate in eligible:
        if best is None or (candidate["val_log_loss"] < best["val_log_loss"] if criterion == "log_loss"
                            else candidate["val"] > best["val"]):
            best = candidate
    best = {**best, "candidates": candidates}
    best["test"] = float(best["model"].score(features["test"], np.asarray(labels["test"])))
    return best
