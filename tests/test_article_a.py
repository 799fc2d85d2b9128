"""Article A's reproductions: the network it builds and the logic of its loop."""

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


def test_loop_counts_f1_with_class_1_positive_and_keeps_the_last_tied_epoch():
    # A model that always predicts class 1: TP = the positives, FP = the negatives, FN = 0.
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([-5.0, 5.0]))
    loaders = small_loaders()
    curves, best = article_a.training_loop(model, loaders, num_epochs=3, learning_rate=0.0, log=lambda line: None)
    positives = int(loaders["val"].dataset.tensors[1].sum())
    negatives = len(loaders["val"].dataset) - positives
    expected = 2 * positives / (2 * positives + negatives)
    assert curves["val_f1"] == [torch.tensor(expected, dtype=torch.float64).item()] * 3
    assert best["epoch"] == 2  # ">=": every epoch ties, the last one wins


def test_f1_counting_of_the_article_on_three_classes():
    labels = torch.tensor([0, 1, 2, 2, 1, 0, 2, 1])
    predictions = torch.tensor([0, 2, 1, 2, 1, 0, 1, 2])
    tp, fp, fn, tn = article_a.f1_counts(predictions, labels)
    assert (tp.item(), fp.item(), fn.item(), tn.item()) == (2, 4, 0, 2)
    assert article_a.f1_from_counts(tp, fp, fn).item() == 0.5
