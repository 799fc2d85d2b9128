"""Article A's tabular classifier and its training loop, as the article's code builds and runs them.

Chapter 5 reads this loop's log and its F1 score; chapter 6 trains the
classifier with it. They are reproductions, flaws included, kept in one place
so that both chapters measure the same thing: to train a model, use
:func:`nbcode.train.fit`. The published article lost its indentation; where
that leaves a statement's place open, the comment says which reading is used.
"""

import copy

import torch
from torch import nn

__all__ = ["tabular_classifier", "f1_counts", "f1_from_counts", "training_loop"]


def tabular_classifier(input_size):
    """Article A's ``SimpleClassifier``: ``input_size`` features to 2 logits, 16,897,252 parameters for 30 inputs.

    Four linear layers with nothing between them, then a ReLU and dropout, six
    ``Linear(1500, 1500)`` blocks alternating sigmoid and ReLU (sigmoid first),
    then 1500 to 500 with a sigmoid, 500 to 500 with a ReLU, 500 to 500 with a
    sigmoid, each followed by dropout 0.1, and ``Linear(500, 2)``. One
    dropout module is shared by every block, as in the article (it holds no
    weights, so sharing it changes nothing).
    """
    dropout = nn.Dropout(0.1)
    return nn.Sequential(
        nn.Linear(input_size, 250), nn.Linear(250, 500), nn.Linear(500, 1000), nn.Linear(1000, 1500),
        nn.ReLU(), dropout,
        nn.Linear(1500, 1500), nn.Sigmoid(), dropout,
        nn.Linear(1500, 1500), nn.ReLU(), dropout,
        nn.Linear(1500, 1500), nn.Sigmoid(), dropout,
        nn.Linear(1500, 1500), nn.ReLU(), dropout,
        nn.Linear(1500, 1500), nn.Sigmoid(), dropout,
        nn.Linear(1500, 1500), nn.ReLU(), dropout,
        nn.Linear(1500, 500), nn.Sigmoid(), dropout,
        nn.Linear(500, 500), nn.ReLU(), dropout,
        nn.Linear(500, 500), nn.Sigmoid(), dropout,
        nn.Linear(500, 2),
    )


def f1_counts(predictions, labels):
    """The article's counts ``(tp, fp, fn, tn)`` for a batch of argmax classes and labels.

    It tests the predicted *class* with ``>= 0.5`` and never thresholds the
    labels: with two classes that is the F1 of class 1; with more, a wrong
    prediction of any class but 0 is a false positive and can never be a false
    negative.
    """
    return (torch.sum((predictions == labels) & (predictions >= 0.5)),
            torch.sum((predictions != labels) & (predictions >= 0.5)),
            torch.sum((predictions != labels) & (predictions < 0.5)),
            torch.sum((predictions == labels) & (predictions < 0.5)))


def f1_from_counts(tp, fp, fn):
    """The article's F1 from its counts, with its 1e-22 against division by zero."""
    return (2 * tp.double()) / (2 * tp.double() + fp.double() + fn.double() + 1e-22)


def training_loop(model, dataloaders, num_epochs=100, learning_rate=1e-5, regularization=1e-7, log=print):
    """Article A's loop: Adam with coupled weight decay, cross-entropy, a train and a val phase per epoch.

    ``dataloaders`` maps ``"train"`` and ``"val"`` to DataLoaders of
    ``(inputs, labels)``. Every line the article prints goes to ``log``. Its
    logic is kept as it is, in particular:

    - ``epoch_loss``, ``epoch_f1`` and ``epoch_acc`` start at 1, 0 and 0 and are
      shared by both phases, and each phase prints them *before* computing its
      own, so that line shows the other phase's numbers (the previous epoch's
      validation during training, this epoch's training during validation); a
      second print after the computation shows the right ones;
    - the counts behind F1 test the argmax *class* with ``>= 0.5``, so class 1 is
      the positive class whatever it means, and the labels are never thresholded;
    - the best weights are those of the last epoch whose validation F1 is at
      least the best so far (``>=``), and the final line gives that epoch
      counted from 0 while the log counts from 1.

    Returns ``(training_curves, best)``: the per-epoch loss, accuracy and F1 of
    each phase as floats, and the best epoch (as printed, from 0), F1 and
    accuracy. The model ends with the best weights loaded.
    """
    dataset_sizes = {phase: len(loader.dataset) for phase, loader in dataloaders.items()}
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=regularization)
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc, best_f1, best_epoch = 0.0, 0.0, 0
    phases = ["train", "val"]
    training_curves = {f"{phase}_{name}": [] for phase in phases for name in ("loss", "acc", "f1")}
    epoch_loss, epoch_f1, epoch_acc = 1, 0, 0
    for epoch in range(num_epochs):
        log(f"\nEpoch {epoch + 1}/{num_epochs}")
        log("-" * 10)
        for phase in phases:
            model.train() if phase == "train" else model.eval()
            running_loss, running_corrects = 0.0, 0
            running_fp = running_tp = running_tn = running_fn = 0
            for inputs, labels in dataloaders[phase]:
                inputs = inputs.view(inputs.shape[0], -1)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, predictions = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(predictions == labels)
                tp, fp, fn, tn = f1_counts(predictions, labels)
                running_tp, running_fp, running_fn, running_tn = (running_tp + tp, running_fp + fp,
                                                                  running_fn + fn, running_tn + tn)
            # Read here, after the batches and before the epoch's numbers are computed. (Inside the batch loop,
            # the other reading of the lost indentation, it would print the same stale numbers once per batch.)
            log(f"Epoch {epoch + 1}, {phase:5} Loss: {epoch_loss:.7f} F1: {epoch_f1:.7f} Acc: {epoch_acc:.7f} "
                f"Partial loss: {loss.item():.7f} Best f1: {best_f1:.7f} ")
            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            epoch_f1 = f1_from_counts(running_tp, running_fp, running_fn)
            training_curves[f"{phase}_loss"].append(float(epoch_loss))
            training_curves[f"{phase}_acc"].append(float(epoch_acc))
            training_curves[f"{phase}_f1"].append(float(epoch_f1))
            log(f"Epoch {epoch + 1}, {phase:5} Loss: {epoch_loss:.7f} F1: {epoch_f1:.7f} Acc: {epoch_acc:.7f} "
                f"Best f1: {best_f1:.7f} ")
            if phase == "val" and epoch_f1 >= best_f1:
                best_epoch, best_acc, best_f1 = epoch, epoch_acc, epoch_f1
                best_model_wts = copy.deepcopy(model.state_dict())
    log(f"Best val F1: {best_f1:5f}, Best val Acc: {best_acc:5f} at epoch {best_epoch}")
    model.load_state_dict(best_model_wts)
    return training_curves, {"epoch": best_epoch, "f1": float(best_f1), "acc": float(best_acc)}
