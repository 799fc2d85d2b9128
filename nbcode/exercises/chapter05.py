"""Chapter 5, training: the checked exercises.

Besides the framework's building blocks this module has its own, for update
rules: an update is checked by running it for several steps from a zero state
next to PyTorch's optimiser on the same random gradients, and a wrong one is
named by the variant (a common mistake) whose trajectory it follows.
"""

import importlib
import itertools
import math

import torch

from . import Exercise, NotQuite, NotAttempted, ___, as_number, number, tensor

SETUP = "import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


# Exercise 1: the critical learning rate of the line-fitting problem.

def _line_hessian(x):
    x = x.double()
    return 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]], dtype=torch.float64)


def _critical_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        ("100 inputs of mean 2 (as in the chapter)", 2 + torch.randn(100, generator=generator)),
        ("7 inputs of mean -5 and standard deviation 3", -5 + 3 * torch.randn(7, generator=generator)),
        ("1000 centred inputs of standard deviation 0.1", 0.1 * torch.randn(1000, generator=generator)),
        ("20 inputs of mean 50", 50 + 10 * torch.randn(20, generator=generator)),
        ("a single input x = 3", torch.tensor([3.0])),
    ]


def _check_critical_rate(critical_learning_rate):
    if critical_learning_rate is ___:
        raise NotAttempted
    if not callable(critical_learning_rate):
        raise NotQuite(f"critical_learning_rate should be a function; it is {type(critical_learning_rate).__name__}.")
    for description, x in _critical_cases():
        try:
            answer = critical_learning_rate(x.clone())
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:
            raise NotQuite(f"critical_learning_rate raised {type(error).__name__} for {description}: {error}") from None
        if answer is ___:
            raise NotAttempted
        if answer is None:
            raise NotQuite(f"critical_learning_rate returned None for {description}: is a `return` missing?")
        value = as_number(answer, name=f"The rate for {description}")
        hessian = _line_hessian(x)
        smallest, largest = torch.linalg.eigvalsh(hessian).tolist()
        right = 2 / largest
        if math.isfinite(value) and math.isclose(value, right, rel_tol=1e-4):
            continue
        named = (
            (2 / smallest if smallest > 0 else math.inf,
             "is the limit set by the smallest eigenvalue, the flattest direction; the steepest direction "
             "diverges first (torch.linalg.eigvalsh sorts its eigenvalues in ascending order)."),
            (1 / largest, "is half the right value: at 1/λ_max the steps begin to overshoot and oscillate, "
                          "but they still converge."),
            (4 / largest, "is twice the right value: is the factor 2 of the squared error's second derivative "
                          "missing from your Hessian?"),
            (2 / (len(x) * largest), f"is {len(x)} times too small: the loss is a mean over the {len(x)} points, "
                                     "not a sum."),
            (2 / max(hessian[0, 0].item(), hessian[1, 1].item()),
             "uses only the diagonal of the Hessian: w and b interact through the mean of x, "
             "and the off-diagonal terms change the eigenvalues."),
        )
        for wrong, message in named:
            # A mistake only explains an answer on a case where it lies well away from the right rate (on 20 inputs
            # of mean 50 the diagonal's rate is within 0.04% of it, so an answer 0.03% off is no evidence of it).
            telling = not math.isclose(wrong, right, rel_tol=1e-3)
            if telling and (math.isclose(value, wrong, rel_tol=1e-4) or (math.isinf(value) and math.isinf(wrong))):
                raise NotQuite(f"For {description}, your rate {value:.6g} {message}")
        number(value, right, name=f"The rate for {description}", rel=1e-4, abs=0.0)  # rates can be 1e-4 small


# Exercises 2 and 3: an update rule, step by step next to PyTorch's optimiser.

def _run_candidate(step, name, arguments):
    """Call the reader's update with fresh copies of ``arguments``; return its tuple or raise NotQuite."""
    fresh = [argument.clone() if torch.is_tensor(argument) else argument for argument in arguments]
    try:
        result = step(*fresh)
    except (NotQuite, NotAttempted):
        raise
    except Exception as error:
        raise NotQuite(f"{name} raised {type(error).__name__}: {error}") from None
    if result is ___:
        raise NotAttempted
    if result is None:
        raise NotQuite(f"{name} returned None: is a `return` missing?")
    return result


def _as_tensors(result, count, name, what):
    if isinstance(result, list):
        raise NotQuite(f"{name} returned a list; it should return a tuple of {count} values, {what}: "
                       "`return a, b` makes one.")
    if not isinstance(result, tuple) or len(result) != count:
        size = len(result) if isinstance(result, tuple) else 1
        raise NotQuite(f"{name} returned {size} value(s); it should return {count}, {what}.")
    if any(value is ___ for value in result):
        raise NotAttempted
    return [torch.as_tensor(value).detach().double() for value in result]


def _same(path, other, rtol=1e-4, atol=1e-6):
    return all(a.shape == b.shape and torch.allclose(a, b.double(), rtol=rtol, atol=atol) for a, b in zip(path, other))


def _check_order(got, wanted, name, what):
    """NotQuite if the first step's values are right but returned in another order."""
    if _same(got, wanted):
        return
    for order in itertools.permutations(range(len(got))):
        if _same([got[i] for i in order], wanted):
            raise NotQuite(f"{name} returned the right values in the wrong order: return {what}.")


def _gradients(generator, shape, steps, scale, zero_share=0.0):
    gradients = [scale * torch.randn(shape, generator=generator) for _ in range(steps)]
    if zero_share:
        dead = torch.rand(shape, generator=generator) < zero_share  # entries whose gradient is always 0
        gradients = [g.masked_fill(dead, 0.0) for g in gradients]
    return gradients


# Exercise 2: AdamW.

_BETAS, _EPS = (0.9, 0.999), 1e-8


def _adamw_cases():
    generator = torch.Generator().manual_seed(6)
    cases = []
    for description, shape, lr, weight_decay, scale, zero_share in (
            ("5 weights, lr 0.1, weight_decay 0.1", (5,), 0.1, 0.1, 1.0, 0.0),
            ("a 3 x 4 weight matrix with some gradients always 0, lr 0.05, weight_decay 0.5", (3, 4), 0.05, 0.5,
             1.0, 0.3),
            ("6 weights with gradients of size 1e-3, lr 0.01, weight_decay 1.0", (6,), 0.01, 1.0, 1e-3, 0.0),
            ("one weight, lr 1e-3, weight_decay 1e-2, as in exercise 2's training run", (1,), 1e-3, 1e-2, 1.0, 0.0)):
        theta = torch.randn(shape, generator=generator)
        cases.append((description, theta, _gradients(generator, shape, 6, scale, zero_share), lr, weight_decay))
    return cases


def _functional_path(name, theta, gradients, options):
    """PyTorch's own update functions (``torch.optim.adamw.adamw`` and friends), which the optimiser classes call.

    Called directly, they skip the optimiser class's first-use import of torch._dynamo, which takes seconds.
    """
    parameter = theta.clone().double()
    first, second, velocity, step = torch.zeros_like(parameter), torch.zeros_like(parameter), [None], torch.tensor(0.0)
    path = []
    for gradient in gradients:
        gradient = gradient.clone().double()
        if name == "SGD":
            sgd = importlib.import_module("torch.optim.sgd").sgd
            sgd([parameter], [gradient], velocity, foreach=False, weight_decay=0.0, lr=options["lr"],
                momentum=options["momentum"], dampening=0.0, nesterov=False, maximize=False)
            path.append([parameter.clone(), velocity[0].clone() if velocity[0] is not None else gradient])
        else:
            update = getattr(importlib.import_module(f"torch.optim.{name.lower()}"), name.lower())
            (beta1, beta2) = options["betas"]
            update([parameter], [gradient], [first], [second], [], [step], foreach=False, amsgrad=False,
                   beta1=beta1, beta2=beta2, lr=options["lr"], weight_decay=options.get("weight_decay", 0.0),
                   eps=options["eps"], maximize=False)
            path.append([parameter.clone(), first.clone(), second.clone()])
    return path


def _class_path(name, theta, gradients, options):
    parameter = theta.clone().double().requires_grad_(True)
    optimizer = getattr(torch.optim, name)([parameter], **options)
    keys = ("momentum_buffer",) if name == "SGD" else ("exp_avg", "exp_avg_sq")
    path = []
    for gradient in gradients:
        parameter.grad = gradient.clone().double()
        optimizer.step()
        state = optimizer.state[parameter]
        # SGD keeps no velocity when momentum is 0: its velocity is then the gradient itself.
        path.append([parameter.detach().clone()] + [state[key].clone() if key in state else parameter.grad.clone()
                                                     for key in keys])
    return path


def _torch_path(name, theta, gradients, **options):
    """The states (parameters first) after each step of ``torch.optim.<name>`` on ``gradients``, in float64."""
    try:
        return _functional_path(name, theta, gradients, options)
    except (ImportError, TypeError, AttributeError):  # another PyTorch release changed these functions
        return _class_path(name, theta, gradients, options)


def _adam_by_hand(theta, gradients, lr, weight_decay, decay="decoupled", corrected=True):
    (beta1, beta2), theta = _BETAS, theta.double()
    m, v, path = torch.zeros_like(theta), torch.zeros_like(theta), []
    for t, g in enumerate(gradients, start=1):
        g = g.double()
        if decay == "decoupled":
            theta = theta * (1 - lr * weight_decay)
        elif decay == "unscaled":
            theta = theta * (1 - weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if corrected else (m, v)
        theta = theta - lr * m_hat / (v_hat.sqrt() + _EPS)
        if decay == "after":  # a mistake: the decay applied to the weights after the Adam step
            theta = theta * (1 - lr * weight_decay)
        path.append([theta, m, v])
    return path


def _check_adamw(adamw_step):
    if adamw_step is ___:
        raise NotAttempted
    if not callable(adamw_step):
        raise NotQuite(f"adamw_step should be a function; it is {type(adamw_step).__name__}.")
    for description, theta0, gradients, lr, weight_decay in _adamw_cases():
        reference = _torch_path("AdamW", theta0, gradients, lr=lr,
                                weight_decay=weight_decay, betas=_BETAS, eps=_EPS)
        theta, m, v = theta0.clone(), torch.zeros_like(theta0), torch.zeros_like(theta0)
        path = []
        for t, gradient in enumerate(gradients, start=1):
            result = _run_candidate(adamw_step, "adamw_step", (theta, gradient, m, v, t, lr, weight_decay))
            theta, m, v = _as_tensors(result, 3, "adamw_step", "(theta, m, v)")
            path.append((theta, m, v))
        _check_order(path[0], reference[0], "adamw_step", "(theta, m, v)")
        thetas, wanted = [p[0] for p in path], [r[0] for r in reference]
        if _same(thetas, wanted) and _same([p[1] for p in path], [r[1] for r in reference]) \
                and _same([p[2] for p in path], [r[2] for r in reference]):
            continue
        adam = _torch_path("Adam", theta0, gradients, lr=lr, weight_decay=weight_decay,
                           betas=_BETAS, eps=_EPS)
        plain = _torch_path("Adam", theta0, gradients, lr=lr, betas=_BETAS, eps=_EPS)
        variants = (
            (adam, "your steps are those of Adam with its coupled decay (torch.optim.Adam(weight_decay=...)): the "
                   "decay term went into the gradient, and so through Adam's division by sqrt(v). AdamW's decay "
                   "acts on the weights themselves."),
            (plain, "your steps are those of Adam without any weight decay: the weights are never shrunk."),
            (_adam_by_hand(theta0, gradients, lr, weight_decay, corrected=False),
             "your steps skip the bias correction. m and v start at zero, and early on both fall short, v "
             "(by 1 - beta2**t, 0.001 at step 1) far more than m (by 1 - beta1**t, 0.1), so the uncorrected steps "
             "are too large, about 3 times at step 1; divide m by 1 - beta1**t and v by 1 - beta2**t."),
            (_adam_by_hand(theta0, gradients, lr, weight_decay, decay="after"),
             "your decay shrinks the weights after the Adam step; AdamW shrinks them as they were before it."),
            (_adam_by_hand(theta0, gradients, lr, weight_decay, decay="unscaled"),
             "your weights shrink by weight_decay of themselves each step: in AdamW the shrinking is scaled by "
             "the learning rate too."),
        )
        for other, message in variants:
            if _same(thetas, [o[0] for o in other]):
                raise NotQuite(f"For {description}: {message}")
        for t, ((got_theta, got_m, got_v), (want_theta, want_m, want_v)) in enumerate(zip(path, reference), start=1):
            if _same([got_theta], [want_theta]) and not _same([got_m], [want_m]) \
                    and _same([got_m], [want_m / (1 - _BETAS[0] ** t)]):
                raise NotQuite(f"For {description}, step {t}: you returned the bias-corrected m_hat as the state; "
                               "the state carried to the next step is the running average m itself.")
            tensor(got_theta, want_theta, name=f"theta after step {t} for {description}")
            tensor(got_m, want_m, name=f"m after step {t} for {description}")
            tensor(got_v, want_v, name=f"v after step {t} for {description}")


# Exercise 3: momentum.

def _momentum_cases():
    generator = torch.Generator().manual_seed(7)
    cases = []
    for description, shape, lr, momentum in (("4 parameters, lr 0.1, momentum 0.9", (4,), 0.1, 0.9),
                                             ("a 2 x 3 tensor, lr 0.5, momentum 0.5", (2, 3), 0.5, 0.5),
                                             ("one parameter, lr 0.01, momentum 0.99", (1,), 0.01, 0.99),
                                             ("3 parameters, momentum 0 (plain gradient descent)", (3,), 0.2, 0.0)):
        theta = torch.randn(shape, generator=generator)
        cases.append((description, theta, _gradients(generator, shape, 5, 1.0), lr, momentum))
    return cases


def _momentum_by_hand(theta, gradients, lr, momentum, kind):
    theta = theta.double()
    velocity, path = torch.zeros_like(theta), []
    for g in gradients:
        g = g.double()
        if kind == "damped":
            velocity = momentum * velocity + (1 - momentum) * g
            theta = theta - lr * velocity
        elif kind == "late":
            theta = theta - lr * velocity
            velocity = momentum * velocity + g
        elif kind == "nesterov":
            velocity = momentum * velocity + g
            theta = theta - lr * (g + momentum * velocity)
        elif kind == "uphill":
            velocity = momentum * velocity + g
            theta = theta + lr * velocity
        path.append([theta, velocity])
    return path


def _check_momentum(momentum_step):
    if momentum_step is ___:
        raise NotAttempted
    if not callable(momentum_step):
        raise NotQuite(f"momentum_step should be a function; it is {type(momentum_step).__name__}.")
    for description, theta0, gradients, lr, momentum in _momentum_cases():
        reference = _torch_path("SGD", theta0, gradients, lr=lr, momentum=momentum)
        theta, velocity, path = theta0.clone(), torch.zeros_like(theta0), []
        for gradient in gradients:
            result = _run_candidate(momentum_step, "momentum_step", (theta, velocity, gradient, lr, momentum))
            theta, velocity = _as_tensors(result, 2, "momentum_step", "(theta, velocity)")
            path.append((theta, velocity))
        _check_order(path[0], reference[0], "momentum_step", "(theta, velocity)")
        thetas, wanted = [p[0] for p in path], [r[0] for r in reference]
        velocities, wanted_velocities = [p[1] for p in path], [r[1] for r in reference]
        if _same(thetas, wanted) and _same(velocities, wanted_velocities):
            continue
        if _same(thetas, wanted):
            if lr != 1 and _same(velocities, [lr * w for w in wanted_velocities]):
                raise NotQuite(f"For {description}, the parameters are right but your velocity is lr times the "
                               "chapter's: there the velocity accumulates gradients, and the learning rate "
                               "multiplies it only in the parameter update.")
            tensor(velocities[-1], wanted_velocities[-1],
                   name=f"the velocity after {len(gradients)} steps for {description}")
        variants = (
            ("damped", "your velocity is damped: it gives the new gradient a weight below 1, as an exponential "
                       "average does. The chapter's momentum, and torch.optim.SGD's by default, adds the whole "
                       "gradient to mu times the old velocity."),
            ("late", "your parameters step with the velocity from before this step's gradient was added: on the "
                     "first step they do not move at all."),
            ("nesterov", "that is Nesterov's momentum (torch.optim.SGD(nesterov=True)), which steps along the "
                         "gradient plus mu times the new velocity; the chapter's heavy-ball momentum steps along "
                         "the velocity alone."),
            ("uphill", "your parameters move along the velocity, uphill: the step goes against it."),
        )
        for kind, message in variants:
            if _same(thetas, [p[0] for p in _momentum_by_hand(theta0, gradients, lr, momentum, kind)]):
                raise NotQuite(f"For {description}: {message}")
        for step, (got, want) in enumerate(zip(thetas, wanted), start=1):
            tensor(got, want, name=f"theta after step {step} for {description}")


EXERCISES = [
    Exercise(
        chapter=5, number=1, names=("critical_learning_rate",), checker=_check_critical_rate,
        hints=("The Hessian of L(w, b) = mean((w x + b - y)^2) does not depend on y or on (w, b): it is "
               "2 * [[mean(x^2), mean(x)], [mean(x), 1]], as in the chapter.",
               "Gradient descent diverges once |1 - eta * lambda| > 1 for some eigenvalue lambda: the limit is "
               "2 / lambda_max. torch.linalg.eigvalsh returns the eigenvalues in ascending order.",
               "hessian = 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]]); "
               "return 2 / torch.linalg.eigvalsh(hessian).max().item()."),
        solution_code="""
def critical_learning_rate(x):
    hessian = 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])
    return 2 / torch.linalg.eigvalsh(hessian).max().item()
""",
        placeholder="""
def critical_learning_rate(x):
    return ___  # the rate above which gradient descent diverges on the line fit to inputs x
""",
        wrong=(("def critical_learning_rate(x):\n"
                "    hessian = 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])\n"
                "    return 2 / torch.linalg.eigvalsh(hessian)[0].item()", "smallest eigenvalue"),
               ("def critical_learning_rate(x):\n"
                "    hessian = 2 * torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])\n"
                "    return 1 / torch.linalg.eigvalsh(hessian).max().item()", "half the right value"),
               ("def critical_learning_rate(x):\n"
                "    hessian = torch.tensor([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])\n"
                "    return 2 / torch.linalg.eigvalsh(hessian).max().item()", "factor 2 of the squared error"),
               ("def critical_learning_rate(x):\n"
                "    hessian = 2 * torch.tensor([[(x * x).sum(), x.sum()], [x.sum(), len(x)]])\n"
                "    return 2 / torch.linalg.eigvalsh(hessian).max().item()", "mean over the"),
               ("def critical_learning_rate(x):\n"
                "    return 2 / max(2 * (x * x).mean().item(), 2.0)", "only the diagonal")),
        correct_message="2 / λ_max of the Hessian 2 [[mean x², mean x], [mean x, 1]].",
    ),
    Exercise(
        chapter=5, number=2, names=("adamw_step",), checker=_check_adamw,
        hints=("Start from Adam's update in the chapter (m, v, their bias corrections, the step by "
               "m_hat / (sqrt(v_hat) + eps)). AdamW adds one thing: it shrinks the weights directly.",
               "The decay does not touch the gradient: m and v are computed from grad alone. PyTorch's AdamW "
               "first multiplies theta by (1 - lr * weight_decay), then takes the Adam step.",
               "theta = theta * (1 - lr * weight_decay); m = beta1 * m + (1 - beta1) * grad; "
               "v = beta2 * v + (1 - beta2) * grad ** 2; then divide m by 1 - beta1 ** t and v by 1 - beta2 ** t."),
        solution_code="""
def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    theta = theta * (1 - lr * weight_decay)  # decoupled: the decay acts on the weights, not on the gradient
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    theta = theta - lr * m_hat / (v_hat.sqrt() + eps)
    return theta, m, v
""",
        placeholder="""
def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    return ___  # (theta, m, v) after step t (t counts from 1)
""",
        wrong=(("def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):\n"
                "    grad = grad + weight_decay * theta\n"
                "    m = betas[0] * m + (1 - betas[0]) * grad\n"
                "    v = betas[1] * v + (1 - betas[1]) * grad**2\n"
                "    m_hat, v_hat = m / (1 - betas[0]**t), v / (1 - betas[1]**t)\n"
                "    return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v", "coupled decay"),
               ("def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):\n"
                "    theta = theta * (1 - lr * weight_decay)\n"
                "    m = betas[0] * m + (1 - betas[0]) * grad\n"
                "    v = betas[1] * v + (1 - betas[1]) * grad**2\n"
                "    return theta - lr * m / (v.sqrt() + eps), m, v", "bias correction"),
               ("def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):\n"
                "    theta = theta * (1 - weight_decay)\n"
                "    m = betas[0] * m + (1 - betas[0]) * grad\n"
                "    v = betas[1] * v + (1 - betas[1]) * grad**2\n"
                "    m_hat, v_hat = m / (1 - betas[0]**t), v / (1 - betas[1]**t)\n"
                "    return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v", "scaled by the learning rate"),
               ("def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):\n"
                "    theta = theta * (1 - lr * weight_decay)\n"
                "    m = betas[0] * m + (1 - betas[0]) * grad\n"
                "    v = betas[1] * v + (1 - betas[1]) * grad**2\n"
                "    m, v = m / (1 - betas[0]**t), v / (1 - betas[1]**t)\n"
                "    return theta - lr * m / (v.sqrt() + eps), m, v", "m_hat as the state"),
               ("def adamw_step(theta, grad, m, v, t, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):\n"
                "    m = betas[0] * m + (1 - betas[0]) * grad\n"
                "    v = betas[1] * v + (1 - betas[1]) * grad**2\n"
                "    m_hat, v_hat = m / (1 - betas[0]**t), v / (1 - betas[1]**t)\n"
                "    theta = theta - lr * m_hat / (v_hat.sqrt() + eps)\n"
                "    return theta * (1 - lr * weight_decay), m, v", "after the Adam step")),
        correct_message="Your steps follow torch.optim.AdamW's, including where a gradient is always 0: there "
                        "AdamW only shrinks the weight by lr * weight_decay per step.",
    ),
    Exercise(
        chapter=5, number=3, names=("momentum_step",), checker=_check_momentum,
        hints=("The chapter's momentum: first the velocity, v = mu * v + gradient; then the step along it, "
               "theta = theta - lr * v.",
               "Update the velocity before you use it, and add the whole gradient to it (no factor 1 - mu): "
               "that is torch.optim.SGD(momentum=mu)."),
        solution_code="""
def momentum_step(theta, velocity, gradient, lr, momentum):
    velocity = momentum * velocity + gradient
    theta = theta - lr * velocity
    return theta, velocity
""",
        placeholder="""
def momentum_step(theta, velocity, gradient, lr, momentum):
    return ___  # (theta, velocity) after one step
""",
        wrong=(("def momentum_step(theta, velocity, gradient, lr, momentum):\n"
                "    velocity = momentum * velocity + (1 - momentum) * gradient\n"
                "    return theta - lr * velocity, velocity", "damped"),
               ("def momentum_step(theta, velocity, gradient, lr, momentum):\n"
                "    theta = theta - lr * velocity\n"
                "    return theta, momentum * velocity + gradient", "do not move at all"),
               ("def momentum_step(theta, velocity, gradient, lr, momentum):\n"
                "    velocity = momentum * velocity + lr * gradient\n"
                "    return theta - velocity, velocity", "lr times the chapter's"),
               ("def momentum_step(theta, velocity, gradient, lr, momentum):\n"
                "    velocity = momentum * velocity + gradient\n"
                "    return theta - lr * (gradient + momentum * velocity), velocity", "Nesterov")),
        correct_message="Your steps follow torch.optim.SGD(lr, momentum=mu).",
    ),
]
