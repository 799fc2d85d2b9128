"""Chapter 3, loss functions: the checked exercises."""

import math

import torch
from torch.nn import functional as F

from . import ___, Exercise, NotQuite, NotAttempted, as_number, function, number

SETUP = "import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


# Exercise 1: the gradient of binary cross-entropy with respect to the logit.

def _reference_bce_logit_grad(z, y):
    logits = z.detach().double().requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(logits, y.double(), reduction="sum")  # sum: each example's own loss
    (grad,) = torch.autograd.grad(loss, logits)
    return grad


def _bce_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        ("8 random logits with labels 0 and 1",
         (3 * torch.randn(8, generator=generator), torch.randint(0, 2, (8,), generator=generator).float())),
        ("6 random logits with soft labels between 0 and 1",
         (3 * torch.randn(6, generator=generator), torch.rand(6, generator=generator))),
        ("the large logits z = (-100, -20, 20, 100) with labels (1, 0, 1, 0)",
         (torch.tensor([-100.0, -20.0, 20.0, 100.0]), torch.tensor([1.0, 0.0, 1.0, 0.0]))),
        ("one example, z = (0.7,), y = (1,)", (torch.tensor([0.7]), torch.tensor([1.0]))),
        ("an empty batch", (torch.zeros(0), torch.zeros(0))),
    ]


def _sigmoid_parts(z):
    p = torch.sigmoid(z.double())
    return p, p * (1 - p)


_BCE_MISTAKES = (
    (lambda z, y: 2 * (_sigmoid_parts(z)[0] - y) * _sigmoid_parts(z)[1],
     "returns the derivative of the squared error (sigmoid(z) - y)**2, not of cross-entropy"),
    (lambda z, y: (_sigmoid_parts(z)[0] - y) / _sigmoid_parts(z)[1],
     "returns the derivative with respect to the probability p = sigmoid(z); the question asks for the logit z, "
     "one step further back, through the sigmoid"),
    (lambda z, y: _sigmoid_parts(z)[1],
     "returns the sigmoid's own derivative sigmoid(z) (1 - sigmoid(z)), which is only one factor of the chain rule "
     "(and does not depend on the label)"),
    (lambda z, y: (_sigmoid_parts(z)[0] - y) / len(z),
     "divides by the number of examples: that is the gradient of the mean loss, and each example's own loss is asked for"),
)


def _check_bce_logit_grad(bce_logit_grad):
    function(bce_logit_grad, _reference_bce_logit_grad, _bce_cases(), name="bce_logit_grad", rtol=1e-4, atol=1e-6,
             mistakes=_BCE_MISTAKES)


# Exercise 3: a log-softmax that neither overflows nor underflows.

_FLOAT32_LARGEST_EXPONENT = math.log(torch.finfo(torch.float32).max)  # 88.72: exp of more is inf
_FLOAT32_SMALLEST_LOG = math.log(torch.finfo(torch.float32).tiny)  # -87.34: a probability below this rounds badly


def _reference_log_softmax(z):
    return F.log_softmax(z.double(), dim=1)


def _log_softmax_cases():
    generator = torch.Generator().manual_seed(6)
    return [
        # The square batch first: there a maximum subtracted along the wrong dimension runs, and is named.
        ("random logits, a batch of 3 with 3 classes", (3 * torch.randn(3, 3, generator=generator),)),
        ("random logits, a batch of 4 with 5 classes", (3 * torch.randn(4, 5, generator=generator),)),
        ("the logits [[1000, 999, 0]]", (torch.tensor([[1000.0, 999.0, 0.0]]),)),
        ("the logits [[-1000, -999, -1001]]", (torch.tensor([[-1000.0, -999.0, -1001.0]]),)),
        ("the logits [[0, -200, 5]]", (torch.tensor([[0.0, -200.0, 5.0]]),)),
        ("two rows on different scales, [[1000, 999], [0, -1]]", (torch.tensor([[1000.0, 999.0], [0.0, -1.0]]),)),
        ("one class, [[3], [-2]]", (torch.tensor([[3.0], [-2.0]]),)),
        ("a batch of one with 7 classes", (3 * torch.randn(1, 7, generator=generator),)),
        ("an empty batch of shape (0, 5)", (torch.zeros(0, 5),)),
    ]


def _log_softmax_wrong_dim(z):
    return z - z.exp().sum(dim=0, keepdim=True).log()


def _log_softmax_no_keepdim(z):
    shifted = z - z.max(dim=1).values  # lines the row maxima up with the columns
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


_LOG_SOFTMAX_MISTAKES = (
    (lambda z: torch.softmax(z, dim=1), "returns the probabilities, the softmax, not their logarithms"),
    (_log_softmax_wrong_dim, "normalises over the batch (dim=0) instead of over each example's classes"),
    (_log_softmax_no_keepdim, "subtracts each row's maximum from a column instead of from its row: "
                              "z.max(dim=1).values has shape (N,), and broadcasting lines it up with the last dimension"),
)


def _explain_non_finite(got, want, z, description):
    """Raise NotQuite saying why ``got`` holds inf or nan for the logits ``z``, when the right answer is finite."""
    bad = ~torch.isfinite(got)
    row = int(bad.any(dim=1).nonzero()[0])
    logits, wrong, right = z[row].double(), got[row][bad[row]], want[row][bad[row]]
    where = f"log_softmax returns inf or nan for {description}" + (f", in row {row + 1}" if len(z) > 1 else "")
    if (wrong == -math.inf).all() and (right < _FLOAT32_SMALLEST_LOG).all():
        raise NotQuite(f"{where}, where the right values are finite (as low as {right.min().item():.5g}): a probability "
                       "that small rounds to 0 in float32 before its logarithm is taken, and log(0) = -inf.")
    if logits.max() > _FLOAT32_LARGEST_EXPONENT:
        raise NotQuite(f"{where}: exp({logits.max().item():g}) overflows float32, whose largest number is about "
                       f"3.4e38 = e^{_FLOAT32_LARGEST_EXPONENT:.1f}.")
    if logits.max() < _FLOAT32_SMALLEST_LOG:
        raise NotQuite(f"{where}: exp({logits.max().item():g}) and the row's other exponentials all round to 0 "
                       "in float32, and log(0) = -inf.")
    raise NotQuite(f"{where}, although that row's logits are moderate: after what was subtracted from them, "
                   "all of the row's exponentials round to 0.")


def _check_log_softmax(log_softmax):
    if log_softmax is ___:
        raise NotAttempted
    for description, (z,) in _log_softmax_cases():
        try:
            got = log_softmax(z.clone())
        except Exception:  # noqa: BLE001 - function reports the reader's error in its words
            got = None
        if torch.is_tensor(got) and got.shape == z.shape and not torch.isfinite(got).all():
            _explain_non_finite(got.detach().double(), _reference_log_softmax(z), z, description)
        function(log_softmax, _reference_log_softmax, [(description, (z,))], name="log_softmax", rtol=1e-5, atol=1e-4,
                 mistakes=_LOG_SOFTMAX_MISTAKES)


# Exercise 5: the loss of equal logits.

def _check_initial_loss(initial_loss):
    value = as_number(initial_loss, name="the loss")
    known = {
        math.log2(10): "is log of 10 to the base 2, the loss in bits: PyTorch's cross-entropy uses the natural logarithm.",
        math.log10(10): "is log of 10 to the base 10: PyTorch's cross-entropy uses the natural logarithm.",
        0.1: "is the probability the model gives each class, the true one included; the loss is computed from it.",
        10 * math.log(10): "adds up all ten classes' -log p; only the true class's probability enters the loss.",
        0.0: "would mean that the true class gets probability 1; with equal logits no class is favoured.",
    }
    for wrong, message in known.items():
        if math.isclose(value, wrong, rel_tol=2e-3, abs_tol=1e-6):
            raise NotQuite(f"{value:.4g} {message}")
    number(value, math.log(10), name="the loss", rel=2e-3)


EXERCISES = [
    Exercise(
        chapter=3, number=1, names=("bce_logit_grad",), checker=_check_bce_logit_grad,
        hints=("Write the loss of one example with the logit: l(z, y) = y log(1 + e^-z) + (1 - y) log(1 + e^z), "
               "and differentiate each logarithm.",
               "d/dz log(1 + e^-z) = sigmoid(z) - 1 and d/dz log(1 + e^z) = sigmoid(z). Add them, weighted by y and "
               "1 - y, and simplify.",
               "The result is one subtraction: the prediction minus the target. torch.sigmoid computes the "
               "prediction without overflowing."),
        solution_code="""
def bce_logit_grad(z, y):
    return torch.sigmoid(z) - y  # the prediction minus the target


z = torch.tensor(0.7, requires_grad=True)
(g,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, torch.tensor(1.0)), z)
print(g.item(), bce_logit_grad(torch.tensor(0.7), torch.tensor(1.0)).item())  # both -0.3318
""",
        placeholder="""
def bce_logit_grad(z, y):
    return ___  # the derivative of each example's loss with respect to its logit
""",
        wrong=(("def bce_logit_grad(z, y):\n    return y - torch.sigmoid(z)", "check the sign"),
               ("def bce_logit_grad(z, y):\n    return 2 * (torch.sigmoid(z) - y)", "factor of two"),
               ("def bce_logit_grad(z, y):\n    p = torch.sigmoid(z)\n    return 2 * (p - y) * p * (1 - p)",
                "squared error"),
               ("def bce_logit_grad(z, y):\n    p = torch.sigmoid(z)\n    return -y / p + (1 - y) / (1 - p)",
                "with respect to the probability"),
               ("def bce_logit_grad(z, y):\n    return (torch.sigmoid(z) - y) / len(z)", "mean loss"),
               ("def bce_logit_grad(z, y):\n    return torch.exp(z) / (1 + torch.exp(z)) - y", "inf or nan")),
        correct_message="sigmoid(z) - y: the prediction minus the target, at most 1 in size however wrong the logit.",
    ),
    Exercise(
        chapter=3, number=3, names=("log_softmax",), checker=_check_log_softmax,
        hints=("log softmax(z)_k = z_k - log sum_c exp(z_c). The danger is the exponentials: some logits are far "
               "above 88, where exp overflows float32.",
               "Subtract each row's largest logit first: z - m is the same log-softmax (exercise 2) and its "
               "exponentials are at most 1. Keep the maxima a column: z.max(dim=1, keepdim=True).values.",
               "Do not take the logarithm of the softmax: a probability can round to 0 even when its logarithm, "
               "(z - m)_k - log sum_c exp((z - m)_c), is an ordinary number."),
        solution_code="""
def log_softmax(z):
    shifted = z - z.max(dim=1, keepdim=True).values  # every exponent <= 0, the largest exactly 0
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()
""",
        placeholder="""
def log_softmax(z):
    return ___  # log of the softmax of each row of z, shape (N, K), for any logits
""",
        wrong=(("def log_softmax(z):\n    return z - z.exp().sum(dim=1, keepdim=True).log()",
                "exp(1000) overflows"),
               ("def log_softmax(z):\n    return torch.softmax(z, dim=1).log()", "rounds to 0 in float32 before"),
               ("def log_softmax(z):\n    shifted = z - z.max()\n"
                "    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()", "in row 2"),
               ("def log_softmax(z):\n    shifted = z - z.max(dim=1).values\n"
                "    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()", "broadcasting"),
               ("def log_softmax(z):\n    return torch.softmax(z, dim=1)", "not their logarithms"),
               ("def log_softmax(z):\n    return z - z.exp().sum(dim=0, keepdim=True).log()", "over the batch")),
        correct_message="The log-sum-exp trick, row by row: F.log_softmax computes it the same way.",
    ),
    Exercise(
        chapter=3, number=5, names=("initial_loss",), checker=_check_initial_loss,
        hints=("Equal logits give every class the same probability. Which?",
               "Cross-entropy is -log of the probability of the true class, with the natural logarithm."),
        solution_code="""
initial_loss = F.cross_entropy(torch.zeros(4, 10), torch.tensor([0, 3, 7, 9])).item()  # any labels
print(initial_loss, math.log(10))  # 2.3026 2.3026
""",
        placeholder="initial_loss = ___  # the cross-entropy of equal logits over 10 classes",
        wrong=(("initial_loss = math.log2(10)", "bits"),
               ("initial_loss = 0.1", "probability the model gives"),
               ("initial_loss = -math.log(10)", "check the sign"),
               ("initial_loss = 10 * math.log(10)", "only the true class")),
        correct_message="log 10 = 2.3026: every class gets probability 1/10.",
    ),
]
