"""Chapter 4, backpropagation: the checked exercises."""

import torch
from torch.nn import functional as F

from . import ___, Exercise, NotQuite, NotAttempted, as_number, function, number, same, tensor

SETUP = "import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


# Exercise 1: the backward pass of a classifier with two hidden layers, by hand.

_KEYS = ("W2", "b2", "V", "c", "W1", "b1")  # in the order the backward pass reaches them


def _forward2(p, X, labels):
    A1 = X @ p["W1"].T + p["b1"]
    A2 = torch.relu(A1) @ p["V"].T + p["c"]
    return F.cross_entropy(torch.relu(A2) @ p["W2"].T + p["b2"], labels)


def _reference_gradients2(p, X, labels):
    leaves = {name: value.detach().clone().requires_grad_(True) for name, value in p.items()}
    grads = torch.autograd.grad(_forward2(leaves, X, labels), [leaves[name] for name in _KEYS])
    return dict(zip(_KEYS, grads))


def _mistaken_gradients2(p, X, labels, mean=True, mask1=True, mask2=True, bias_sum=True, full_one_hot=True):
    """The hand-written backward pass, with one of the typical mistakes switched on."""
    A1 = X @ p["W1"].T + p["b1"]
    H1 = torch.relu(A1)
    A2 = H1 @ p["V"].T + p["c"]
    H2 = torch.relu(A2)
    Z = H2 @ p["W2"].T + p["b2"]
    targets = F.one_hot(labels, Z.shape[1]) if full_one_hot else F.one_hot(labels)
    Z_bar = (torch.softmax(Z, dim=1) - targets) / (len(X) if mean else 1)
    A2_bar = (Z_bar @ p["W2"]) * ((A2 > 0) if mask2 else 1)
    A1_bar = (A2_bar @ p["V"]) * ((A1 > 0) if mask1 else 1)

    def bias(adjoint):
        return adjoint.sum(dim=0) if bias_sum else adjoint.mean(dim=0)

    return {"W2": Z_bar.T @ H2, "b2": bias(Z_bar), "V": A2_bar.T @ H1, "c": bias(A2_bar),
            "W1": A1_bar.T @ X, "b1": bias(A1_bar)}


_GRADIENT_MISTAKES = (
    (dict(mean=False), "is N times the right value, for a batch of N examples: the loss averages over the batch"),
    (dict(full_one_hot=False), "comes from one-hot targets with too few columns: F.one_hot(labels) makes as many "
                               "as the largest label in the batch, plus one, not one per class"),
    (dict(bias_sum=False), "is the right value divided by the batch size: the bias was added to every example's row, "
                           "so its adjoint collects from every row"),
    (dict(mask2=False), "is off because the adjoint goes back through the second ReLU unchanged: "
                        "a ReLU blocks it where its input was not positive"),
    (dict(mask1=False), "is off because the adjoint goes back through the first ReLU unchanged: "
                        "a ReLU blocks it where its input was not positive"),
)


def _network_cases():
    generator = torch.Generator().manual_seed(7)
    cases = []
    # Hidden layers of different widths first: there a transposed gradient has the wrong shape, and is named.
    for n, d, h1, h2, k in ((5, 3, 6, 4, 2), (16, 4, 8, 8, 3), (1, 2, 3, 5, 4), (12, 7, 1, 9, 5)):
        def draw(*shape, scale):
            return torch.randn(*shape, dtype=torch.float64, generator=generator) * scale

        p = {"W1": draw(h1, d, scale=d ** -0.5), "b1": draw(h1, scale=0.1),
             "V": draw(h2, h1, scale=h1 ** -0.5), "c": draw(h2, scale=0.1),
             "W2": draw(k, h2, scale=h2 ** -0.5), "b2": draw(k, scale=0.1)}
        X = draw(n, d, scale=1.0)
        labels = torch.zeros(1, dtype=torch.long) if n == 1 else torch.randint(0, k, (n,), generator=generator)
        description = (f"{n} example{'s' if n > 1 else ''} with {d} features, hidden layers of {h1} and {h2}, "
                       f"{k} classes")
        cases.append((description, p, X, labels))
    return cases


def _check_gradients2(gradients2):
    if gradients2 is ___:
        raise NotAttempted
    if not callable(gradients2):
        raise NotQuite(f"gradients2 should be a function; it is {type(gradients2).__name__}.")
    for description, p, X, labels in _network_cases():
        try:
            got = gradients2({name: value.clone() for name, value in p.items()}, X.clone(), labels.clone())
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:  # the reader's code failed: say where, in their words
            raise NotQuite(f"gradients2 raised {type(error).__name__} for {description}: {error}") from None
        if got is ___:
            raise NotAttempted
        if not isinstance(got, dict):
            raise NotQuite(f"gradients2 should return a dict of gradients with the keys {', '.join(_KEYS)}; "
                           f"for {description} it returned {type(got).__name__}.")
        missing = [key for key in _KEYS if key not in got]
        if missing:
            raise NotQuite(f"The dict gradients2 returns lacks the key(s) {', '.join(missing)} (for {description}).")
        want = _reference_gradients2(p, X, labels)
        for key in _KEYS:
            if same(got[key], want[key], rtol=1e-6, atol=1e-9):
                continue
            for switches, message in _GRADIENT_MISTAKES:
                try:
                    mistaken = _mistaken_gradients2(p, X, labels, **switches)[key]
                except RuntimeError:  # too few one-hot columns cannot even be subtracted when a batch lacks classes
                    continue
                if same(got[key], mistaken, rtol=1e-6, atol=1e-9) and not same(mistaken, want[key], 1e-6, 1e-9):
                    raise NotQuite(f"The gradient of {key} {message} (for {description}).")
            tensor(got[key], want[key], name=f"The gradient of {key} for {description}", rtol=1e-6, atol=1e-9)


# Exercise 5: the gradient by central differences.

def _reference_gradient(f, theta, epsilon):
    leaf = theta.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def _difference_cases():
    generator = torch.Generator().manual_seed(8)

    def draw(*shape):
        return torch.randn(*shape, dtype=torch.float64, generator=generator)

    inputs, second_weights, labels = draw(10, 6), draw(3, 2), torch.randint(0, 3, (10,), generator=generator)

    def cubes(theta):
        return (theta**3).sum()

    def coupled(theta):
        return torch.sin(theta).sum() * (theta**2).sum()

    def classifier(W):
        return F.cross_entropy(torch.tanh(inputs @ W.T) @ second_weights.T, labels)

    def exponential(theta):
        return torch.exp(3 * theta).sum()

    return [
        ("f(theta) = (theta**3).sum() at 5 random numbers, epsilon = 1e-4", (cubes, draw(5), 1e-4)),
        ("f(theta) = sin(theta).sum() * (theta**2).sum() at a random 3 x 4 matrix, epsilon = 1e-4",
         (coupled, draw(3, 4), 1e-4)),
        ("the cross-entropy of a small tanh classifier as a function of its 2 x 6 first weights, epsilon = 1e-5",
         (classifier, draw(2, 6), 1e-5)),
        ("f(theta) = exp(3 theta).sum() at the single number theta = (0.5,), epsilon = 1e-4",
         (exponential, torch.tensor([0.5], dtype=torch.float64), 1e-4)),
    ]


def _one_sided(f, theta, epsilon, direction=1):
    estimate = torch.zeros_like(theta)
    for index in range(theta.numel()):
        shifted = theta.clone()
        shifted.view(-1)[index] += direction * epsilon
        estimate.view(-1)[index] = direction * (f(shifted) - f(theta)) / epsilon
    return estimate


def _all_at_once(f, theta, epsilon):
    return (f(theta + epsilon) - f(theta - epsilon)) / (2 * epsilon)


def _not_restored(f, theta, epsilon):
    theta = theta.clone()
    estimate = torch.zeros_like(theta)
    for index in range(theta.numel()):
        theta.view(-1)[index] += epsilon
        up = f(theta)
        theta.view(-1)[index] -= 2 * epsilon
        estimate.view(-1)[index] = (up - f(theta)) / (2 * epsilon)  # the entry stays epsilon too low
    return estimate


_DIFFERENCE_MISTAKES = (
    (_one_sided, "matches the one-sided difference (f(theta + epsilon e_i) - f(theta)) / epsilon, whose error is of "
                 "order epsilon; the central difference's is of order epsilon squared"),
    (lambda f, theta, epsilon: _one_sided(f, theta, epsilon, direction=-1),
     "matches the one-sided difference (f(theta) - f(theta - epsilon e_i)) / epsilon, whose error is of order "
     "epsilon; the central difference's is of order epsilon squared"),
    (_all_at_once, "nudges every entry at once: that measures the derivative along the direction (1, 1, ..., 1), "
                   "one number; nudge one entry at a time"),
    (_not_restored, "leaves each nudged entry changed before going on to the next one, so the later partial "
                    "derivatives are measured at a different point"),
)


def _check_central_difference(central_difference):
    if central_difference is ___:
        raise NotAttempted
    cases = _difference_cases()
    if callable(central_difference):
        f, theta, epsilon = cases[0][1]
        kept = theta.clone()
        try:
            central_difference(f, kept, epsilon)
        except Exception:  # noqa: BLE001 - function reports the reader's error in its words
            pass
        if not torch.equal(kept, theta):
            raise NotQuite(f"central_difference changed the theta it was given ({cases[0][0]}): "
                           "the caller's parameters must come back as they were.")
    function(central_difference, _reference_gradient, cases, name="central_difference", rtol=1e-6, atol=1e-8,
             mistakes=_DIFFERENCE_MISTAKES)


# Exercise 6: gradients accumulate, and detach cuts one path.

def _check_t_grad(t_grad):
    value = as_number(t_grad, name="t.grad")
    t = 2.0
    right = 3 * (3 * t**2 * t**3)
    known = {
        right / 3: "is the gradient of one backward call, but there are three, and backward adds to .grad.",
        2 * right / 3: "treats s.detach() as s, and counts one backward call: detach makes it a constant, and "
                       "backward adds to .grad.",
        2 * right: "treats s.detach() as s: to autograd it is a constant, so only the path through s counts.",
        0.0: "would mean that no gradient flows at all; detach cuts only the path through s.detach().",
    }
    for wrong, message in known.items():
        if abs(value - wrong) <= 1e-3 * max(1.0, abs(wrong)):
            raise NotQuite(f"{value:g} {message}")
    number(value, right, name="t.grad")


EXERCISES = [
    Exercise(
        chapter=4, number=1, names=("gradients2",), checker=_check_gradients2,
        hints=("Forward: A1 = X W1^T + b1, H1 = ReLU(A1), A2 = H1 V^T + c, H2 = ReLU(A2), Z = H2 W2^T + b2. "
               "Keep A1, H1, A2, H2 and Z: the backward pass needs them.",
               "Backward, as in the chapter's backward: Z_bar = (softmax(Z) - one_hot) / N; then each linear layer "
               "gives its weight's gradient (adjoint^T @ its input), its bias's (column sums of the adjoint) and "
               "the adjoint of its input (adjoint @ weight); each ReLU multiplies by (its input > 0).",
               "Use F.one_hot(labels, Z.shape[1]), so that every class gets a column even when the batch lacks some, "
               "and take every size from the tensors, not from the chapter's parameters."),
        solution_code="""
def gradients2(p, X, labels):
    # Forward, keeping what the backward pass needs.
    A1 = X @ p["W1"].T + p["b1"]
    H1 = torch.relu(A1)
    A2 = H1 @ p["V"].T + p["c"]
    H2 = torch.relu(A2)
    Z = H2 @ p["W2"].T + p["b2"]
    # Backward: one line per forward line, in reverse.
    Z_bar = (torch.softmax(Z, dim=1) - F.one_hot(labels, Z.shape[1])) / len(X)
    A2_bar = (Z_bar @ p["W2"]) * (A2 > 0)
    A1_bar = (A2_bar @ p["V"]) * (A1 > 0)
    return {"W2": Z_bar.T @ H2, "b2": Z_bar.sum(dim=0), "V": A2_bar.T @ H1, "c": A2_bar.sum(dim=0),
            "W1": A1_bar.T @ X, "b1": A1_bar.sum(dim=0)}
""",
        placeholder="""
def gradients2(p, X, labels):
    return ___  # {"W1": ..., "b1": ..., "V": ..., "c": ..., "W2": ..., "b2": ...}, computed by hand
""",
        wrong=(("def gradients2(p, X, labels):\n"
                "    A1 = X @ p['W1'].T + p['b1']; H1 = torch.relu(A1)\n"
                "    A2 = H1 @ p['V'].T + p['c']; H2 = torch.relu(A2)\n"
                "    Z = H2 @ p['W2'].T + p['b2']\n"
                "    Z_bar = torch.softmax(Z, dim=1) - F.one_hot(labels, Z.shape[1])\n"
                "    A2_bar = (Z_bar @ p['W2']) * (A2 > 0)\n"
                "    A1_bar = (A2_bar @ p['V']) * (A1 > 0)\n"
                "    return {'W2': Z_bar.T @ H2, 'b2': Z_bar.sum(0), 'V': A2_bar.T @ H1, 'c': A2_bar.sum(0),\n"
                "            'W1': A1_bar.T @ X, 'b1': A1_bar.sum(0)}", "N times the right value"),
               ("def gradients2(p, X, labels):\n"
                "    A1 = X @ p['W1'].T + p['b1']; H1 = torch.relu(A1)\n"
                "    A2 = H1 @ p['V'].T + p['c']; H2 = torch.relu(A2)\n"
                "    Z = H2 @ p['W2'].T + p['b2']\n"
                "    Z_bar = (torch.softmax(Z, dim=1) - F.one_hot(labels, Z.shape[1])) / len(X)\n"
                "    A2_bar = (Z_bar @ p['W2']) * (A2 > 0)\n"
                "    A1_bar = A2_bar @ p['V']\n"
                "    return {'W2': Z_bar.T @ H2, 'b2': Z_bar.sum(0), 'V': A2_bar.T @ H1, 'c': A2_bar.sum(0),\n"
                "            'W1': A1_bar.T @ X, 'b1': A1_bar.sum(0)}", "first ReLU"),
               ("def gradients2(p, X, labels):\n"
                "    A1 = X @ p['W1'].T + p['b1']; H1 = torch.relu(A1)\n"
                "    A2 = H1 @ p['V'].T + p['c']; H2 = torch.relu(A2)\n"
                "    Z = H2 @ p['W2'].T + p['b2']\n"
                "    Z_bar = (torch.softmax(Z, dim=1) - F.one_hot(labels, Z.shape[1])) / len(X)\n"
                "    A2_bar = (Z_bar @ p['W2']) * (A2 > 0)\n"
                "    A1_bar = (A2_bar @ p['V']) * (A1 > 0)\n"
                "    return {'W2': Z_bar.T @ H2, 'b2': Z_bar.sum(0), 'V': H1.T @ A2_bar, 'c': A2_bar.sum(0),\n"
                "            'W1': A1_bar.T @ X, 'b1': A1_bar.sum(0)}", "(transposed?)"),
               ("def gradients2(p, X, labels):\n"
                "    A1 = X @ p['W1'].T + p['b1']; H1 = torch.relu(A1)\n"
                "    A2 = H1 @ p['V'].T + p['c']; H2 = torch.relu(A2)\n"
                "    Z = H2 @ p['W2'].T + p['b2']\n"
                "    Z_bar = (torch.softmax(Z, dim=1) - F.one_hot(labels)) / len(X)\n"
                "    A2_bar = (Z_bar @ p['W2']) * (A2 > 0)\n"
                "    A1_bar = (A2_bar @ p['V']) * (A1 > 0)\n"
                "    return {'W2': Z_bar.T @ H2, 'b2': Z_bar.sum(0), 'V': A2_bar.T @ H1, 'c': A2_bar.sum(0),\n"
                "            'W1': A1_bar.T @ X, 'b1': A1_bar.sum(0)}", "too few columns")),
        correct_message="The six gradients agree with autograd's on every network the check tried.",
    ),
    Exercise(
        chapter=4, number=5, names=("central_difference",), checker=_check_central_difference,
        hints=("For each entry i of theta: a copy with entry i raised by epsilon, a copy with it lowered by epsilon, "
               "and (f(up) - f(down)) / (2 epsilon).",
               "theta.view(-1)[i] (or theta.reshape(-1) on a clone) reaches entry i of a tensor of any shape; "
               "fill an estimate made with torch.zeros_like(theta) the same way.",
               "Nudge a clone, not theta itself, so that every partial derivative is measured at the same point "
               "and the caller's theta is left as it was."),
        solution_code="""
def central_difference(f, theta, epsilon):
    estimate = torch.zeros_like(theta)
    for index in range(theta.numel()):
        up, down = theta.clone(), theta.clone()
        up.view(-1)[index] += epsilon
        down.view(-1)[index] -= epsilon
        estimate.view(-1)[index] = (f(up) - f(down)) / (2 * epsilon)
    return estimate
""",
        placeholder="""
def central_difference(f, theta, epsilon):
    return ___  # the central-difference estimate of the gradient of f at theta, shaped like theta
""",
        wrong=(("def central_difference(f, theta, epsilon):\n"
                "    estimate = torch.zeros_like(theta)\n"
                "    for index in range(theta.numel()):\n"
                "        up = theta.clone()\n"
                "        up.view(-1)[index] += epsilon\n"
                "        estimate.view(-1)[index] = (f(up) - f(theta)) / epsilon\n"
                "    return estimate", "one-sided"),
               ("def central_difference(f, theta, epsilon):\n"
                "    estimate = torch.zeros_like(theta)\n"
                "    for index in range(theta.numel()):\n"
                "        up, down = theta.clone(), theta.clone()\n"
                "        up.view(-1)[index] += epsilon\n"
                "        down.view(-1)[index] -= epsilon\n"
                "        estimate.view(-1)[index] = (f(up) - f(down)) / epsilon\n"
                "    return estimate", "twice the right value"),
               ("def central_difference(f, theta, epsilon):\n"
                "    return (f(theta + epsilon) - f(theta - epsilon)) / (2 * epsilon)", "every entry at once"),
               ("def central_difference(f, theta, epsilon):\n"
                "    estimate = torch.zeros_like(theta)\n"
                "    for index in range(theta.numel()):\n"
                "        theta.view(-1)[index] += epsilon\n"
                "        up = f(theta)\n"
                "        theta.view(-1)[index] -= 2 * epsilon\n"
                "        estimate.view(-1)[index] = (up - f(theta)) / (2 * epsilon)\n"
                "    return estimate", "changed the theta")),
        correct_message="Central differences agree with autograd to about epsilon squared, with forward passes alone.",
    ),
    Exercise(
        chapter=4, number=6, names=("t_grad",), checker=_check_t_grad,
        hints=("One call first: s * s.detach() is s times a constant c = t**3. What is its derivative with respect "
               "to t, at t = 2?",
               "d(s c)/dt = 3 t**2 * c = 3 t**5 = 96 for one call. And what does a second backward() do to .grad?"),
        solution_code="""
t = torch.tensor(2.0, requires_grad=True)
for _ in range(3):
    s = t**3
    (s * s.detach()).backward()  # 3 t**2 * t**3 = 96, added to t.grad at every call
t_grad = t.grad.item()  # 288.0
""",
        placeholder="t_grad = ___  # your prediction of t.grad after the loop",
        wrong=(("t_grad = 96", "three"), ("t_grad = 576", "constant"), ("t_grad = 192", "one backward call"),
               ("t_grad = 0", "no gradient flows")),
        correct_message="3 calls of 3 t**5 = 96: detach cuts one path, and backward adds to .grad.",
    ),
]
