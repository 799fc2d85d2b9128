"""Chapter 12, wide networks as field theories: the checked exercises."""

import math

import torch

from . import Exercise, NotQuite, NotAttempted, ___, as_number, number, tensor

# The chapter's imports and the functions of its own that the solutions use, as the chapter defines them.
SETUP = '''import math
import numpy as np
import torch


def base_kernel(inputs, sigma_w2):
    return sigma_w2 / inputs.shape[1] * inputs @ inputs.T


def relu_kernel(k):
    norms = torch.sqrt(torch.outer(k.diagonal(), k.diagonal()))
    theta = torch.arccos((k / norms).clamp(-1, 1))
    return norms / (2 * math.pi) * (torch.sin(theta) + (math.pi - theta) * torch.cos(theta))


def erf_kernel(k):
    scale = torch.sqrt(torch.outer(1 + 2 * k.diagonal(), 1 + 2 * k.diagonal()))
    return 2 / math.pi * torch.arcsin(2 * k / scale)


def excess_kurtosis(values):
    centred = values - values.mean()
    return ((centred**4).mean() / (centred**2).mean() ** 2 - 3).item()


def kurtosis_theory(width, depth):
    return 3 * ((1 + 5 / width) ** depth - 1)
'''

_CHAPTER = {}
exec(SETUP, _CHAPTER)  # noqa: S102 - this module's own code: the references use the chapter's kernels
_base_kernel, _relu_kernel, _erf_kernel = _CHAPTER["base_kernel"], _CHAPTER["relu_kernel"], _CHAPTER["erf_kernel"]


def _is(value, expected, rel=0.05):
    return math.isclose(value, expected, rel_tol=rel, abs_tol=1e-9)


# Exercise 1: the excess kurtosis of an erf network. With u ~ N(0, 1/2), erf(u) = E_g[sign(sqrt(2) u - g)] for
# g ~ N(0, 1), and sqrt(2) u is N(0, 1) too, so E[erf(u)^n] = E[(-1)^(number of g_1..g_n above sqrt(2) u)], where that
# number is uniform on 0..n (five, or three, exchangeable Gaussians): E[erf(u)^2] = 1/3 and E[erf(u)^4] = 1/5, so
# kappa_term = 3 (1/5) / (1/3)^2 - 3 = 12/5 exactly (a Gauss-Hermite quadrature agrees to 1e-15).
_ERF_TERM = 2.4
_ERF_TERM_UNIT_VARIANCE = 1.6795156  # the same term with u ~ N(0, 1)
_ERF_ALONE = -1.2  # the excess kurtosis of erf(u) without the output weight v


def _check_erf_kurtosis(kappa_term, prediction):
    term = as_number(kappa_term, name="kappa_term")
    if not _is(term, _ERF_TERM):
        if _is(term, _ERF_TERM + 3):
            raise NotQuite(f"kappa_term = {term:.4g} is the kurtosis E[t^4] / E[t^2]^2; the excess kurtosis "
                           "subtracts a Gaussian's 3.")
        if _is(term, _ERF_TERM_UNIT_VARIANCE):
            raise NotQuite(f"kappa_term = {term:.4g} is the value for u with variance 1; at x0 = (1, 0) with "
                           "sigma_w2 = 1 and d = 2 the pre-activation's variance is k(x0, x0) = sigma_w2 |x0|^2 / d.")
        if _is(term, _ERF_ALONE):
            raise NotQuite(f"kappa_term = {term:.4g} is the excess kurtosis of erf(u) alone; the term is "
                           "t = v erf(u), with its output weight v ~ N(0, 1).")
        if _is(term, 15.0):
            raise NotQuite(f"kappa_term = {term:.4g} is ReLU's; the term here is t = v erf(u).")
        if _is(term, _ERF_TERM, rel=0.15):
            raise NotQuite(f"kappa_term = {term:.4g} is close, but more than 5% off: a fourth moment converges slowly, "
                           "so draw more samples (10**6 or more).")
        number(term, _ERF_TERM, name="kappa_term", rel=0.05)
    value = as_number(prediction, name="prediction")
    if _is(value, term):
        raise NotQuite(f"prediction = {value:.4g} is kappa_term itself, the value for a single neuron; "
                       "the network has N = 16 of them.")
    if _is(value, term / 16**2):
        raise NotQuite(f"prediction = {value:.4g} divides by N^2: the fourth cumulant of the sum grows like N "
                       "and the squared variance like N^2.")
    if _is(value, term / 4):
        raise NotQuite(f"prediction = {value:.4g} divides by sqrt(N); the excess kurtosis falls faster with width.")
    if _is(value, 15 / 16):
        raise NotQuite(f"prediction = {value:.4g} is ReLU's 15/N; use your kappa_term for erf.")
    number(value, _ERF_TERM / 16, name="prediction", rel=0.05)


# Exercise 3: the NNGP kernel of a deep erf network with biases.

def _erf_recursion(inputs, depth, sigma_w2, sigma_b2, hidden_bias=True, output_bias=True, output_scale=1.0,
                   layers_off=0, kernel=None):
    kernel = kernel or _erf_kernel
    inner = sigma_b2 if hidden_bias else 0.0
    k = inner + _base_kernel(inputs, sigma_w2)
    for _ in range(depth - 1 + layers_off):
        k = inner + sigma_w2 * kernel(k)
    return (sigma_b2 if output_bias else 0.0) + output_scale * kernel(k)


def _reference_erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):
    return _erf_recursion(inputs.double(), depth, sigma_w2, sigma_b2)


def _erf_nngp_cases():
    generator = torch.Generator().manual_seed(31)
    inputs = lambda n, d: torch.randn(n, d, generator=generator, dtype=torch.float64)  # noqa: E731
    return [(f"{n} inputs in {d} dimensions, depth {depth}, sigma_w2 = {sw2}, sigma_b2 = {sb2}", (inputs(n, d), depth, sw2, sb2))
            for n, d, depth, sw2, sb2 in ((5, 3, 3, 1.5, 0.5), (4, 2, 2, 0.8, 2.0), (6, 4, 1, 1.0, 0.3),
                                          (3, 5, 5, 3.0, 0.1), (1, 4, 2, 2.0, 1.0), (5, 3, 4, 1.2, 0.0))]


def _erf_nngp_mistakes(inputs, depth, sigma_w2, sigma_b2):
    recursion = lambda **changes: _erf_recursion(inputs, depth, sigma_w2, sigma_b2, **changes)  # noqa: E731
    return (
        (recursion(hidden_bias=False), "the bias enters only at the output here: a hidden neuron's bias is added to "
                                        "its pre-activation, inside the nonlinearity, at every hidden layer."),
        (recursion(output_bias=False), "the output's own bias is missing: it adds sigma_b2 to K_f."),
        (recursion(output_scale=sigma_w2), "the output's weights are scaled by sigma_w2 here; in this chapter they "
                                            "have variance 1 (with the 1/sqrt(N) factor)."),
        (recursion(layers_off=1), "it has one hidden layer too many: `depth` counts the hidden layers, and K^(1) is "
                                  "the first one's."),
        (recursion(layers_off=-1) if depth > 1 else None, "it has one hidden layer too few."),
        (recursion(kernel=_relu_kernel), "it is the kernel of a ReLU network; this one uses erf."),
    )


def _check_erf_nngp(erf_nngp):
    if erf_nngp is ___:
        raise NotAttempted
    if not callable(erf_nngp):
        raise NotQuite(f"erf_nngp should be a function; it is {type(erf_nngp).__name__}.")
    for description, (inputs, depth, sigma_w2, sigma_b2) in _erf_nngp_cases():
        want = _reference_erf_nngp(inputs, depth, sigma_w2, sigma_b2)
        try:
            got = erf_nngp(inputs.clone(), depth, sigma_w2, sigma_b2)
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:
            raise NotQuite(f"erf_nngp raised {type(error).__name__} for {description}: {error}") from None
        if got is ___:
            raise NotAttempted
        if got is None:
            raise NotQuite(f"erf_nngp returned None for {description}: is a `return` missing?")
        if torch.is_tensor(got) and got.shape == want.shape and not torch.allclose(got.double(), want, rtol=1e-6, atol=1e-9):
            for wrong, message in _erf_nngp_mistakes(inputs, depth, sigma_w2, sigma_b2):
                if wrong is not None and torch.allclose(got.double(), wrong, rtol=1e-6, atol=1e-9):
                    raise NotQuite(f"For {description} {message}")
        tensor(got, want, name=f"erf_nngp for {description}", rtol=1e-6, atol=1e-9)


# Exercise 4: the critical sigma_w^2 of a deep erf network.

def _check_erf_critical(sigma_w2_critical):
    value = as_number(sigma_w2_critical, name="sigma_w2_critical")
    if _is(value, 2.0, rel=1e-3):
        raise NotQuite("2 is ReLU's critical value, which keeps half of a symmetric signal; erf keeps all of a "
                       "small one, with its own slope at 0.")
    if _is(value, 1.0, rel=1e-3):
        raise NotQuite("1 would be right for an activation whose slope at 0 is 1 (tanh); erf's slope at 0 is "
                       "erf'(0) = 2 / sqrt(pi).")
    if _is(value, 4 / math.pi, rel=1e-3):
        raise NotQuite(f"{value:.4g} is the slope of K_erf at q = 0, not the sigma_w2 at which a small signal keeps "
                       "its size from layer to layer.")
    if _is(value, math.sqrt(math.pi) / 2, rel=1e-3):
        raise NotQuite(f"{value:.4g} is the critical sigma_w, the weights' standard deviation; the answer is a variance.")
    number(value, math.pi / 4, name="sigma_w2_critical", rel=1e-3)


# Exercise 5: how wide a deep network must be to stay close to Gaussian.

def _reference_width(depth, max_kurtosis):
    width = math.ceil(5 / ((1 + max_kurtosis / 3) ** (1 / depth) - 1))
    while _CHAPTER["kurtosis_theory"](width, depth) > max_kurtosis:
        width += 1
    while width > 1 and _CHAPTER["kurtosis_theory"](width - 1, depth) <= max_kurtosis:
        width -= 1
    return width


# Each case is at least 0.2% away from a width where the kurtosis equals the bound, so rounding cannot decide it.
_WIDTH_CASES = ((20, 0.1), (5, 0.3), (2, 1.0), (1, 0.07), (8, 0.5), (100, 2.0))


def _check_smallest_width(smallest_width):
    if smallest_width is ___:
        raise NotAttempted
    if not callable(smallest_width):
        raise NotQuite(f"smallest_width should be a function; it is {type(smallest_width).__name__}.")
    for depth, bound in _WIDTH_CASES:
        description = f"depth {depth} and max_kurtosis {bound}"
        try:
            got = smallest_width(depth, bound)
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:
            raise NotQuite(f"smallest_width raised {type(error).__name__} for {description}: {error}") from None
        if got is ___:
            raise NotAttempted
        if got is None:
            raise NotQuite(f"smallest_width returned None for {description}: is a `return` missing?")
        value = as_number(got, name=f"the width for {description}")
        want = _reference_width(depth, bound)
        if value == want:
            continue
        if value != round(value):
            raise NotQuite(f"The width for {description} is {value:.6g}: a width is a whole number of neurons, the "
                           "smallest one at which the kurtosis is at most max_kurtosis.")
        if value == want - 1:
            raise NotQuite(f"At width {value:.0f}, for {description}, the kurtosis is just above max_kurtosis: "
                           "round up, not down.")
        if value == math.ceil(15 * depth / bound):
            raise NotQuite(f"The width for {description} is {value:.0f}, what the leading order 15 L / N gives; "
                           "at finite width the kurtosis is larger than that, so use the exact formula.")
        if value == math.ceil(5 * depth / math.log(1 + bound / 3)):
            raise NotQuite(f"The width for {description} is {value:.0f}, what the large-width limit "
                           "3 (exp(5 L / N) - 1) gives; use the exact formula at finite width.")
        if value == math.ceil(15 / bound):
            raise NotQuite(f"The width for {description} is {value:.0f}, the answer for one hidden layer: "
                           "the kurtosis grows with depth.")
        raise NotQuite(f"The width for {description} is {value:.0f}, which is not the smallest width that keeps "
                       "the excess kurtosis at or below max_kurtosis.")


EXERCISES = [
    Exercise(
        chapter=12, number=1, names=("kappa_term", "prediction"), checker=_check_erf_kurtosis,
        hints=("At x0 = (1, 0) with sigma_w2 = 1 and d = 2, the pre-activation u is N(0, k(x0, x0)) with "
               "k(x0, x0) = sigma_w2 |x0|^2 / d = 1/2. Draw many u (10**6: a fourth moment converges slowly) and "
               "as many output weights v ~ N(0, 1), form t = v * erf(u), and apply excess_kurtosis.",
               "For a sum of N i.i.d. terms divided by sqrt(N), the excess kurtosis is kappa_term / N "
               "(the chapter's 15/N for ReLU): the prediction at width 16 is kappa_term / 16."),
        solution_code="""
run_seed = 0  # the chapter's last cell runs 0; the study ft_erf_kurtosis 0 to 9
torch.manual_seed(run_seed)
u = torch.randn(10**6, dtype=torch.float64) * math.sqrt(1.0 / 2)  # k(x, x) = sigma_w2 |x|^2 / d = 1/2
t = torch.randn(10**6, dtype=torch.float64) * torch.erf(u)  # t = v erf(u), v ~ N(0, 1)
kappa_term = excess_kurtosis(t)
prediction = kappa_term / 16  # kappa_N = kappa_term / N at N = 16
""",
        placeholder="""
kappa_term = ___  # the excess kurtosis of one term t = v erf(u), by sampling
prediction = ___  # the predicted excess kurtosis of an erf network of width 16
""",
        wrong=(("kappa_term, prediction = 2.4, 2.4", "kappa_term itself"),
               ("kappa_term, prediction = 5.4, 5.4 / 16", "subtracts a Gaussian's 3"),
               ("kappa_term, prediction = 1.68, 1.68 / 16", "variance 1"),
               ("kappa_term, prediction = 2.4, 2.4 / 256", "divides by N^2")),
        correct_message="kappa_term is 12/5 = 2.4 exactly (E[erf(u)^2] = 1/3, E[erf(u)^4] = 1/5), so kappa_16 = 0.15.",
    ),
    Exercise(
        chapter=12, number=3, names=("erf_nngp",), checker=_check_erf_nngp,
        hints=("Follow the chapter's recursion: K^(1) = sigma_b2 + base_kernel(inputs, sigma_w2); each further "
               "hidden layer K <- sigma_b2 + sigma_w2 * E[erf(u) erf(u')]; the output K_f = sigma_b2 + E[erf(u) erf(u')].",
               "erf_kernel(k) is E[erf(u) erf(u')] for (u, u') with covariance k; the chapter's relu_nngp is the "
               "same recursion with relu_kernel. `depth` hidden layers mean depth - 1 steps between K^(1) and the output."),
        solution_code="""
def erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):
    k = sigma_b2 + base_kernel(inputs, sigma_w2)  # K^(1): the first hidden layer's pre-activations
    for _ in range(depth - 1):
        k = sigma_b2 + sigma_w2 * erf_kernel(k)  # K^(l+1)
    return sigma_b2 + erf_kernel(k)  # K_f: output weights of variance 1, and the output's bias
""",
        placeholder="""
def erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):
    return ___  # K_f at every pair of inputs, shape (P, P)
""",
        wrong=(("def erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):\n"
                "    k = base_kernel(inputs, sigma_w2)\n"
                "    for _ in range(depth - 1):\n"
                "        k = sigma_w2 * erf_kernel(k)\n"
                "    return sigma_b2 + erf_kernel(k)",
                "only at the output"),
               ("def erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):\n"
                "    k = sigma_b2 + base_kernel(inputs, sigma_w2)\n"
                "    for _ in range(depth):\n"
                "        k = sigma_b2 + sigma_w2 * erf_kernel(k)\n"
                "    return sigma_b2 + erf_kernel(k)",
                "one hidden layer too many"),
               ("def erf_nngp(inputs, depth, sigma_w2=1.0, sigma_b2=0.0):\n"
                "    k = sigma_b2 + base_kernel(inputs, sigma_w2)\n"
                "    for _ in range(depth - 1):\n"
                "        k = sigma_b2 + sigma_w2 * erf_kernel(k)\n"
                "    return sigma_b2 + sigma_w2 * erf_kernel(k)",
                "variance 1")),
        correct_message="The hidden biases enter inside the nonlinearity at every layer; only the output's adds a constant.",
    ),
    Exercise(
        chapter=12, number=4, names=("sigma_w2_critical",), checker=_check_erf_critical,
        hints=("For a small variance q, 2q / (1 + 2q) is close to 2q and arcsin(x) close to x, so K_erf(q) is close "
               "to (4 / pi) q.",
               "So a small signal's variance is multiplied by sigma_w2 * 4 / pi per layer. Critical is the sigma_w2 "
               "for which that factor is exactly 1."),
        solution_code="""
sigma_w2_critical = math.pi / 4  # the factor sigma_w2 * 4 / pi of a small variance equals 1
""",
        placeholder="sigma_w2_critical = ___  # the critical sigma_w^2 of a deep erf network without biases",
        wrong=(("sigma_w2_critical = 2.0", "ReLU's"),
               ("sigma_w2_critical = 4 / math.pi", "slope of K_erf"),
               ("sigma_w2_critical = 1.0", "tanh")),
        correct_message="pi/4 = 0.785: below it a small signal dies out exponentially with depth, above it the "
                        "variance settles at a non-zero value.",
    ),
    Exercise(
        chapter=12, number=5, names=("smallest_width",), checker=_check_smallest_width,
        hints=("Solve 3 [(1 + 5/N)^L - 1] <= max_kurtosis for N: (1 + 5/N)^L <= 1 + max_kurtosis / 3.",
               "Take the L-th root: 5/N <= (1 + max_kurtosis / 3)^(1/L) - 1, so N >= 5 / ((1 + max_kurtosis / 3)^(1/L) - 1); "
               "the smallest whole N is math.ceil of that (or count N upwards with kurtosis_theory)."),
        solution_code="""
def smallest_width(depth, max_kurtosis):
    # 3 [(1 + 5/N)^L - 1] <= max_kurtosis  <=>  N >= 5 / ((1 + max_kurtosis / 3)^(1/L) - 1)
    return math.ceil(5 / ((1 + max_kurtosis / 3) ** (1 / depth) - 1))
""",
        placeholder="""
def smallest_width(depth, max_kurtosis):
    return ___  # the smallest width N whose excess kurtosis at this depth is at most max_kurtosis
""",
        wrong=(("def smallest_width(depth, max_kurtosis):\n"
                "    return math.ceil(15 * depth / max_kurtosis)",
                "leading order"),
               ("def smallest_width(depth, max_kurtosis):\n"
                "    return math.floor(5 / ((1 + max_kurtosis / 3) ** (1 / depth) - 1))",
                "round up"),
               ("def smallest_width(depth, max_kurtosis):\n"
                "    return 5 / ((1 + max_kurtosis / 3) ** (1 / depth) - 1)",
                "whole number"),
               ("def smallest_width(depth, max_kurtosis):\n"
                "    return math.ceil(15 / max_kurtosis)",
                "one hidden layer")),
        correct_message="A 20-layer ReLU network needs width 3,048 for an excess kurtosis of 0.1; one layer needs 150.",
    ),
]
