"""Article A's reproductions: the network it builds and the logic of its loop."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nbcode import article_a
from nbcode.train import count_parameters


def test_tabular_classifier_has_the_articles_layers_and_size():
    model = article_a.tabular_classifier(30)
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linears] == (
        [(30, 250), (250, 500), (500, 1000), (1000, 1500)] + [(1500, 1500)] * 6 + [(1500, 500), (500, 500),
                                                                                   (500, 500), (500, 2)])
    activations = [type(layer).__name__ for layer in model if not isinstance(layer, (torch.nn.Linear, torch.nn.Dropout))]
    assert activations == ["ReLU", "Sigmoid", "ReLU", "Sigmoid", "ReLU", "Sigmoid", "ReLU", "Sigmoid", "ReLU",
                           "Sigmoid"]
    assert sum(isinstance(layer, torch.nn.Dropout) for layer in model) == 10
    assert count_parameters(model) == 16_897_252


def small_loaders():
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(40, 3, generator=generator)
    labels = (inputs[:, 0] > 0).long()
    return {"train": DataLoader(TensorDataset(inputs[:30], labels[:30]), batch_size=10),
            "val": DataLoader(TensorDataset(inputs[30:], labels[30:]), batch_size=10)}


def test_loop_prints_the_other_phases_numbers_before_its_own():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    lines = []
    curves, best = article_a.training_loop(model, small_loaders(), num_epochs=2, learning_rate=1e-2, log=lines.append)
    phase_lines = [line for line in lines if line.startswith("Epoch ") and "," in line]
    assert len(phase_lines) == 2 * 2 * 2  # two prints per phase, two phases, two epochs
    # The first print of epoch 1's training shows the initial 1, 0, 0.
    assert "Loss: 1.0000000 F1: 0.0000000 Acc: 0.0000000" in phase_lines[0]
    # The first print of a validation phase shows that epoch's training numbers...
    assert f"Loss: {curves['train_loss'][0]:.7f}" in phase_lines[2]
    # ...and the first print of the next training phase the previous validation's.
    assert f"Loss: {curves['val_loss'][0]:.7f}" in phase_lines[4]
    assert f"Loss: {curves['val_loss'][1]:.7f}" in phase_lines[7]
    assert lines[-1].endswith(f"at epoch {best['epoch']}") and best["epoch"] in (0, 1)


def test_loop_counts_f1_with_class_1_positive_and_restores_the_last_tied_epoch():
    # Only the biases learn, so the model predicts one class for every input: class 1, by a margin of 15 at first.
    # Trained on labels that are all 0, each of Adam's steps at rate 1 moves each bias by about 1 towards class 0:
    # three steps an epoch leave margins of 9, 3 and -3. So epochs 1 and 2 (0 and 1 as the loop counts) tie on F1
    # with different weights, and epoch 3, which predicts class 0 everywhere, is worse than both.
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([-7.5, 7.5]))
    model.weight.requires_grad_(False)
    loaders = small_loaders()
    train_inputs = loaders["train"].dataset.tensors[0]
    loaders["train"] = DataLoader(TensorDataset(train_inputs, torch.zeros(len(train_inputs), dtype=torch.long)),
                                  batch_size=10)
    curves, best = article_a.training_loop(model, loaders, num_epochs=3, learning_rate=1.0, log=lambda line: None)
    # Predicting class 1 everywhere: TP = the positives, FP = the negatives, FN = 0.
    val_inputs, val_labels = loaders["val"].dataset.tensors
    positives = int(val_labels.sum())
    negatives = len(val_labels) - positives
    tied = torch.tensor(2 * positives / (2 * positives + negatives), dtype=torch.float64).item()
    assert curves["val_f1"] == [tied, tied, 0.0]
    assert best["epoch"] == 1  # ">=": of the tied epochs, the last one wins
    # The model ends with that epoch's weights, told apart from the others' by their validation loss.
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(model(val_inputs), val_labels).item()
    assert loss == pytest.approx(curves["val_loss"][1])
    assert loss != pytest.approx(curves["val_loss"][0]) and loss != pytest.approx(curves["val_loss"][2])


def test_f1_counting_of_the_article_on_three_classes():
    labels = torch.tensor([0, 1, 2, 2, 1, 0, 2, 1])
    predictions = torch.tensor([0, 2, 1, 2, 1, 0, 1, 2])
    tp, fp, fn, tn = article_a.f1_counts(predictions, labels)
    assert (tp.item(), fp.item(), fn.item(), tn.item()) == (2, 4, 0, 2)
    assert article_a.f1_from_counts(tp, fp, fn).item() == 0.5
