"""Chapter 2, the forward pass: the checked exercises."""

import math

import torch
from torch import nn

from . import ___, Exercise, NotQuite, NotAttempted, as_number, number, tensor

SETUP = "import torch\nfrom torch import nn\n"


# Exercise 1: the parameters of a 784-256-64-10 network.

_WIDTHS = (784, 256, 64, 10)


def _check_parameter_count(n_parameters):
    pairs = list(zip(_WIDTHS[:-1], _WIDTHS[1:]))
    weights = sum(a * b for a, b in pairs)
    biases = sum(b for _, b in pairs)
    value = as_number(n_parameters, name="the number of parameters")
    if not math.isfinite(value) or value != round(value):
        raise NotQuite(f"The number of parameters is a whole number; {value:g} is not.")
    known = {
        weights: "counts the weights only: every neuron of a layer with weights also has a bias.",
        math.prod(_WIDTHS): "is the product of all the widths: a weight connects two neighbouring layers only, "
                            "so count each layer's weights and biases and add the layers up.",
        weights + sum(_WIDTHS): "gives the input layer biases too: the 784 inputs are data, with no parameters.",
        weights + biases - _WIDTHS[-1] * (_WIDTHS[-2] + 1): "leaves out a layer: the output layer's 10 neurons have "
                                                             "weights and biases as well.",
    }
    if value in known:
        raise NotQuite(f"{value:,.0f} {known[value]}")
    number(value, weights + biases, name="the number of parameters", rel=0, abs=0.5)


# Exercise 3: fold two linear layers into one.

def _random_linear(n_in, n_out, generator):
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its own initial values: keep the reader's stream
        layer = nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(n_out, n_in, generator=generator))
        layer.bias.copy_(torch.randn(n_out, generator=generator))
    return layer


def _layer_pairs():
    generator = torch.Generator().manual_seed(3)
    pairs = []
    # The square case first: there a product in the wrong order runs, and is named, instead of failing.
    for n_in, n_hidden, n_out in ((5, 5, 5), (3, 4, 2), (1, 1, 1), (7, 1, 3), (2, 6, 9)):
        first, second = _random_linear(n_in, n_hidden, generator), _random_linear(n_hidden, n_out, generator)
        inputs = torch.randn(6, n_in, generator=generator)
        pairs.append((f"nn.Linear({n_in}, {n_hidden}) then nn.Linear({n_hidden}, {n_out})", first, second, inputs))
    return pairs


def _call_layers(function_name, candidate, layers, description):
    """Call the reader's function on copies of the layers; say so if it fails, returns nothing, or changes them."""
    before = [(layer.weight.detach().clone(), layer.bias.detach().clone()) for layer in layers]
    try:
        result = candidate(*layers)
    except (NotQuite, NotAttempted):
        raise
    except Exception as error:  # the reader's code failed: say where, in their words
        raise NotQuite(f"{function_name} raised {type(error).__name__} for {description}: {error}") from None
    if result is ___:
        raise NotAttempted
    if result is None:
        raise NotQuite(f"{function_name} returned None for {description}: is a `return` missing?")
    for layer, (weight, bias) in zip(layers, before):
        if not (torch.equal(layer.weight.detach(), weight) and torch.equal(layer.bias.detach(), bias)):
            raise NotQuite(f"{function_name} changed the layers it was given ({description}): "
                           "build new ones and leave these as they are.")
    return result


def _linear_parts(layer, what, description):
    if not (isinstance(layer, nn.Module) and torch.is_tensor(getattr(layer, "weight", None))
            and torch.is_tensor(getattr(layer, "bias", None))):
        raise NotQuite(f"{what} should be an nn.Linear (with a weight and a bias); "
                       f"for {description} it is {type(layer).__name__}.")
    return layer.weight.detach(), layer.bias.detach()


def _close(a, b):
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def _check_fold(fold):
    if fold is ___:
        raise NotAttempted
    if not callable(fold):
        raise NotQuite(f"fold should be a function; it is {type(fold).__name__}.")
    for description, first, second, inputs in _layer_pairs():
        single = _call_layers("fold", fold, (first, second), description)
        weight, bias = _linear_parts(single, "the layer fold returns", description)
        W1, b1, W2, b2 = first.weight.detach(), first.bias.detach(), second.weight.detach(), second.bias.detach()
        if W1.shape == W2.shape and _close(weight, W1 @ W2) and not _close(W1 @ W2, W2 @ W1):
            raise NotQuite(f"The folded weight multiplies the two weight matrices in the wrong order (for {description}).")
        tensor(weight, W2 @ W1, name=f"the folded weight for {description}")
        if _close(bias, b2) and not _close(W2 @ b1, torch.zeros_like(b2)):
            raise NotQuite(f"The folded bias is the second layer's alone (for {description}): "
                           "the first layer's bias reaches the output too.")
        if b1.shape == b2.shape and _close(bias, b1 + b2) and not _close(b1, W2 @ b1):
            raise NotQuite(f"The folded bias adds the first layer's bias unchanged (for {description}): "
                           "on its way to the output it passes through the second layer.")
        tensor(bias, W2 @ b1 + b2, name=f"the folded bias for {description}")
        with torch.no_grad():
            tensor(single(inputs), second(first(inputs)), name=f"the folded layer's output for {description}",
                   rtol=1e-4, atol=1e-5)


# Exercise 4: a tanh network as a sigmoid network.

def _check_to_sigmoid(to_sigmoid):
    if to_sigmoid is ___:
        raise NotAttempted
    if not callable(to_sigmoid):
        raise NotQuite(f"to_sigmoid should be a function; it is {type(to_sigmoid).__name__}.")
    generator = torch.Generator().manual_seed(4)
    for n_in, n_hidden, n_out in ((3, 5, 2), (1, 1, 1), (4, 8, 6)):
        description = f"nn.Linear({n_in}, {n_hidden}), tanh, nn.Linear({n_hidden}, {n_out})"
        first, second = _random_linear(n_in, n_hidden, generator), _random_linear(n_hidden, n_out, generator)
        inputs = torch.randn(16, n_in, generator=generator)
        result = _call_layers("to_sigmoid", to_sigmoid, (first, second), description)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise NotQuite(f"to_sigmoid should return two layers, (first_s, second_s); for {description} "
                           f"it returned {type(result).__name__}.")
        (W1s, b1s), (W2s, b2s) = (_linear_parts(layer, f"layer {index + 1} of what to_sigmoid returns", description)
                                  for index, layer in enumerate(result))
        W1, b1, W2, b2 = first.weight.detach(), first.bias.detach(), second.weight.detach(), second.bias.detach()
        with torch.no_grad():
            want = second(torch.tanh(first(inputs)))
            try:
                got = result[1](torch.sigmoid(result[0](inputs)))
            except Exception as error:  # noqa: BLE001 - the reader's layers do not fit together
                raise NotQuite(f"second_s(torch.sigmoid(first_s(x))) raised {type(error).__name__} for "
                               f"{description}: {error}") from None
        if _close(got, want):
            continue
        if _close(W1s, W1):
            raise NotQuite(f"first_s has the same weights as the tanh network's first layer (for {description}), "
                           "so the sigmoid sees the same pre-activation as tanh did: look at the argument of the "
                           "sigmoid in tanh(z) = 2 sigmoid(2z) - 1.")
        if _close(W1s, 2 * W1) and not _close(b1s, 2 * b1):
            raise NotQuite(f"first_s scales the first layer's weights but not in the same way its bias "
                           f"(for {description}): the whole pre-activation z = W x + b is scaled.")
        if _close(W2s, W2):
            raise NotQuite(f"second_s has the same weights as the tanh network's output layer (for {description}): "
                           "the factor in front of the sigmoid in 2 sigmoid(2z) - 1 has to go somewhere.")
        if _close(b2s, b2):
            raise NotQuite(f"second_s keeps the output bias of the tanh network (for {description}): the -1 in "
                           "2 sigmoid(2z) - 1 reaches the output through the output weights, and the bias must "
                           "make up for it.")
        if _close(b2s, b2 + W2.sum(dim=1)):
            raise NotQuite(f"second_s corrects the output bias in the wrong direction (for {description}): check the sign.")
        tensor(got, want, name=f"second_s(torch.sigmoid(first_s(x))) for {description}", rtol=1e-4, atol=1e-5)


# Exercise 5: how many neurons the interpolation bound asks for.

def _check_width_by_bound(width):
    value = as_number(width, name="the number of hidden neurons")
    if not math.isfinite(value) or value != round(value):
        raise NotQuite(f"{value:g} is not a whole number of neurons: which whole number is the smallest that is enough?")
    needed = math.ceil(6 / math.sqrt(8 * 1e-3 / 4))
    if value == needed - 1:
        raise NotQuite(f"With {value:.0f} neurons the bound is just above 1e-3, so the error is not guaranteed "
                       "below it: round the other way.")
    if value == math.ceil(3 / math.sqrt(8 * 1e-3 / 4)):
        raise NotQuite(f"{value:.0f} neurons would be enough for an interval of length 3: K = [-3, 3] has length 6.")
    if value == math.ceil(6 / (8 * 1e-3 / 4)):
        raise NotQuite(f"{value:.0f} makes the spacing itself as small as the bound allows: the bound has the "
                       "spacing squared.")
    number(value, needed, name="the number of hidden neurons", rel=0, abs=0.5)


EXERCISES = [
    Exercise(
        chapter=2, number=1, names=("n_parameters",), checker=_check_parameter_count,
        hints=("A layer nn.Linear(n, m) holds an m x n weight matrix and m biases; the input layer holds nothing.",
               "Three layers hold weights: 784 -> 256, 256 -> 64 and 64 -> 10. Add up n * m + m for each."),
        solution_code="""
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))
n_parameters = sum(p.numel() for p in model.parameters())  # 218058
""",
        placeholder="n_parameters = ___  # weights and biases of the 784-256-64-10 network",
        wrong=(("n_parameters = 784 * 256 + 256 * 64 + 64 * 10", "weights only"),
               ("n_parameters = 784 * 256 * 64 * 10", "product of all the widths"),
               ("n_parameters = 784 * 256 + 256 + 256 * 64 + 64", "leaves out a layer")),
        correct_message="218,058: 200,960 in the first layer, 16,448 in the second, 650 in the output layer.",
    ),
    Exercise(
        chapter=2, number=3, names=("fold",), checker=_check_fold,
        hints=("Substitute the first layer into the second: (x W1^T + b1) W2^T + b2, and collect what multiplies x "
               "and what does not.",
               "nn.Linear stores its weight as (out_features, in_features). The folded weight is W2 @ W1, shape "
               "(second.out_features, first.in_features); the first bias passes through W2 before b2 is added.",
               "Make single = nn.Linear(first.in_features, second.out_features) and copy the folded weight and bias "
               "into it under torch.no_grad()."),
        solution_code="""
def fold(first, second):
    single = nn.Linear(first.in_features, second.out_features)
    with torch.no_grad():
        single.weight.copy_(second.weight @ first.weight)
        single.bias.copy_(second.weight @ first.bias + second.bias)
    return single


stack = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
x = torch.randn(10, 3)
print(torch.allclose(stack(x), fold(stack[0], stack[1])(x), atol=1e-6))  # True
""",
        placeholder="""
def fold(first, second):
    return ___  # one nn.Linear that computes second(first(x))
""",
        wrong=(("def fold(first, second):\n"
                "    single = nn.Linear(first.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        single.weight.copy_(first.weight @ second.weight)\n"
                "        single.bias.copy_(second.weight @ first.bias + second.bias)\n"
                "    return single", "wrong order"),
               ("def fold(first, second):\n"
                "    single = nn.Linear(first.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        single.weight.copy_(second.weight @ first.weight)\n"
                "        single.bias.copy_(second.bias)\n"
                "    return single", "second layer's alone"),
               ("def fold(first, second):\n"
                "    single = nn.Linear(first.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        single.weight.copy_(second.weight @ first.weight)\n"
                "        single.bias.copy_(first.bias + second.bias)\n"
                "    return single", "unchanged"),
               ("def fold(first, second):\n"
                "    single = nn.Linear(first.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        first.weight.copy_(second.weight @ first.weight)\n"
                "    return single", "changed the layers")),
        correct_message="W = W2 W1 and b = W2 b1 + b2: two linear layers are one.",
    ),
    Exercise(
        chapter=2, number=4, names=("to_sigmoid",), checker=_check_to_sigmoid,
        hints=("Write the hidden layer of the tanh network as 2 sigmoid(2 z) - 1 with z = W1 x + b1, and ask which "
               "first layer gives the sigmoid the argument 2 z.",
               "The output layer then computes W2 (2 s - 1) + b2 with s = sigmoid(2 z). Multiply out: the factor 2 "
               "joins W2, and -W2 times a vector of ones joins b2.",
               "first_s: weight 2 W1, bias 2 b1. second_s: weight 2 W2, bias b2 - W2.sum(dim=1)."),
        solution_code="""
def to_sigmoid(first, second):
    first_s = nn.Linear(first.in_features, first.out_features)
    second_s = nn.Linear(second.in_features, second.out_features)
    with torch.no_grad():
        first_s.weight.copy_(2 * first.weight)  # tanh(z) = 2 sigmoid(2z) - 1
        first_s.bias.copy_(2 * first.bias)
        second_s.weight.copy_(2 * second.weight)
        second_s.bias.copy_(second.bias - second.weight.sum(dim=1))  # W2 (2s - 1) = 2 W2 s - W2 1
    return first_s, second_s
""",
        placeholder="""
def to_sigmoid(first, second):
    return ___  # (first_s, second_s): second_s(torch.sigmoid(first_s(x))) == second(torch.tanh(first(x)))
""",
        wrong=(("def to_sigmoid(first, second):\n"
                "    second_s = nn.Linear(second.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        second_s.weight.copy_(2 * second.weight)\n"
                "        second_s.bias.copy_(second.bias - second.weight.sum(dim=1))\n"
                "    return first, second_s", "argument of the sigmoid"),
               ("def to_sigmoid(first, second):\n"
                "    first_s = nn.Linear(first.in_features, first.out_features)\n"
                "    second_s = nn.Linear(second.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        first_s.weight.copy_(2 * first.weight)\n"
                "        first_s.bias.copy_(2 * first.bias)\n"
                "        second_s.weight.copy_(2 * second.weight)\n"
                "        second_s.bias.copy_(second.bias)\n"
                "    return first_s, second_s", "keeps the output bias"),
               ("def to_sigmoid(first, second):\n"
                "    first_s = nn.Linear(first.in_features, first.out_features)\n"
                "    second_s = nn.Linear(second.in_features, second.out_features)\n"
                "    with torch.no_grad():\n"
                "        first_s.weight.copy_(2 * first.weight)\n"
                "        first_s.bias.copy_(2 * first.bias)\n"
                "        second_s.weight.copy_(2 * second.weight)\n"
                "        second_s.bias.copy_(second.bias + second.weight.sum(dim=1))\n"
                "    return first_s, second_s", "wrong direction")),
        correct_message="Every tanh network is a sigmoid network with the same number of neurons, and back.",
    ),
    Exercise(
        chapter=2, number=5, names=("n_neurons",), checker=_check_width_by_bound,
        hints=("With N neurons the knots are Delta = 6 / N apart, and the bound is Delta**2 / 8 * 4. "
               "Which Delta makes it at most 1e-3?",
               "Delta**2 / 2 <= 1e-3 gives Delta <= (2e-3) ** 0.5, about 0.0447. Then N >= 6 / Delta; N is a whole number."),
        solution_code="""
import math

largest_spacing = (8 * 1e-3 / 4) ** 0.5  # spacing**2 / 8 * max|f''| <= 1e-3, with max|f''| = 4
n_neurons = math.ceil((3 - (-3)) / largest_spacing)  # 6 / 0.0447 = 134.2, so 135
""",
        placeholder="n_neurons = ___  # the width the bound asks for: sup error below 1e-3 on K = [-3, 3]",
        wrong=(("n_neurons = 134", "round the other way"),
               ("n_neurons = 68", "length 6"),
               ("n_neurons = 3000", "spacing squared"),
               ("n_neurons = 134.16", "not a whole number")),
        correct_message="135 neurons: the bound is then 9.9e-4.",
    ),
]
