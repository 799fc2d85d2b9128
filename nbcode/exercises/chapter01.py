"""Chapter 1, the neuron: the checked exercises."""

import math

import torch
from torch.nn import functional as F

from . import Exercise, NotQuite, as_number, function, number

SETUP = "import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


def _neuron_output(output):
    z = 2 * 1 - 1 * 3 + 0.5
    value = as_number(output, name="the output")
    if math.isclose(value, z, rel_tol=1e-3):
        raise NotQuite(f"{value:.4g} is the pre-activation z; the neuron's output is the sigmoid of it.")
    if math.isclose(value, 1 / (1 + math.exp(z)), rel_tol=1e-3):
        raise NotQuite(f"{value:.4g} is sigmoid(+0.5): the sign of z is flipped (w . x = 2 - 3).")
    number(output, 1 / (1 + math.exp(-z)), name="the output")


def _reference_layer(X, W, b):
    return F.linear(X, W, b)


def _layer_cases():
    generator = torch.Generator().manual_seed(1)
    cases = []
    for batch, n_inputs, n_neurons in ((5, 3, 4), (1, 30, 4), (8, 6, 6), (0, 3, 2)):
        cases.append((f"a batch of {batch} with {n_inputs} inputs and {n_neurons} neurons",
                      (torch.randn(batch, n_inputs, generator=generator),
                       torch.randn(n_neurons, n_inputs, generator=generator),
                       torch.randn(n_neurons, generator=generator))))
    return cases


def _check_layer(layer):
    function(layer, _reference_layer, _layer_cases(), name="layer(X, W, b)")


def _reference_error_counts(probabilities, labels, threshold):
    predicted_benign = probabilities > threshold
    dangerous = (predicted_benign & (labels == 0)).sum().item()
    harmless = (~predicted_benign & (labels == 1)).sum().item()
    return dangerous, harmless


def _check_error_counts(error_counts):
    generator = torch.Generator().manual_seed(2)
    probabilities = torch.rand(200, generator=generator)
    labels = (torch.rand(200, generator=generator) < probabilities).long()
    cases = [(f"200 random tumours at threshold {threshold}", (probabilities, labels, threshold))
             for threshold in (0.5, 0.9, 0.1)]
    # A probability equal to the threshold is not "p > threshold": it is predicted malignant.
    cases.append(("probabilities equal to the threshold 0.5",
                  (torch.tensor([0.5, 0.5, 0.9, 0.2]), torch.tensor([0, 1, 0, 1]), 0.5)))
    function(error_counts, _reference_error_counts, cases, name="error_counts")


EXERCISES = [
    Exercise(
        chapter=1, number=1, names=("output",), checker=_neuron_output,
        hints=("First the pre-activation: z = w . x + b = 2*1 + (-1)*3 + 0.5.",
               "Then the output: 1 / (1 + exp(-z)), or torch.sigmoid(torch.tensor(z))."),
        solution_code="""
neuron = nn.Linear(2, 1)
with torch.no_grad():
    neuron.weight.copy_(torch.tensor([[2.0, -1.0]]))
    neuron.bias.fill_(0.5)
output = torch.sigmoid(neuron(torch.tensor([1.0, 3.0]))).item()  # z = -0.5, output 0.3775
""",
        placeholder="output = ___  # the neuron's output for x = (1, 3)",
        wrong=(("output = -0.5", "pre-activation"),
               ("output = 1 / (1 + math.exp(-0.5))", "sign of z is flipped"),
               ("output = torch.tensor([0.3775, 0.3775])", "one number")),
        correct_message="z = -0.5 and the output is sigmoid(-0.5) = 0.3775.",
    ),
    Exercise(
        chapter=1, number=5, names=("layer",), checker=_check_layer,
        hints=("X holds one example per row, shape (B, n); W one neuron per row, shape (m, n). "
               "The output has shape (B, m).",
               "Multiply X by the transpose of W, then add b (it broadcasts over the rows): X @ W.T + b."),
        solution_code="""
def layer(X, W, b):
    return X @ W.T + b
""",
        placeholder="""
def layer(X, W, b):
    return ___  # Z for the whole batch
""",
        wrong=(("def layer(X, W, b):\n    return X @ W + b", "raised RuntimeError"),
               ("def layer(X, W, b):\n    return X @ W.T", "differs"),),
        correct_message="X @ W.T + b is what nn.Linear computes (F.linear).",
    ),
    Exercise(
        chapter=1, number=4, names=("error_counts",), checker=_check_error_counts,
        hints=("Predicted benign means probabilities > threshold; malignant is label 0, benign label 1.",
               "dangerous = (predicted benign) & (labels == 0), harmless = (predicted malignant) & (labels == 1); "
               "count each with .sum().item()."),
        solution_code="""
def error_counts(probabilities, labels, threshold):
    predicted_benign = probabilities > threshold
    dangerous = (predicted_benign & (labels == 0)).sum().item()  # malignant called benign
    harmless = (~predicted_benign & (labels == 1)).sum().item()  # benign sent for a second look
    return dangerous, harmless
""",
        placeholder="""
def error_counts(probabilities, labels, threshold):
    return ___  # (dangerous, harmless)
""",
        wrong=(("def error_counts(probabilities, labels, threshold):\n"
                "    predicted_benign = probabilities > threshold\n"
                "    return (~predicted_benign & (labels == 1)).sum().item(), (predicted_benign & (labels == 0)).sum().item()",
                "wrong order"),
               ("def error_counts(probabilities, labels, threshold):\n"
                "    predicted_benign = probabilities >= threshold\n"
                "    return (predicted_benign & (labels == 0)).sum().item(), (~predicted_benign & (labels == 1)).sum().item()",
                "equal to the threshold")),
    ),
]
