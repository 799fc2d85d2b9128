"""Chapter 12's training experiment over ten seeds: wide networks against their neural-tangent-kernel linear model.

Chapter 12 (12_field_theory) trains one-hidden-layer ReLU networks f(x) = sum_j v_j ReLU(w_j x + b_j) / sqrt(N) in
the NTK parameterisation (every parameter N(0, 1)) at each of ``training_widths`` on 12 points of sin 2x, by
full-batch gradient descent (learning rate 0.1, ``training_steps`` steps), with its ``seed``, and compares each with
the linear model of its empirical NTK run for the same steps and with that model's limit, kernel regression. This
study repeats that cell for ten seeds: the code below is the chapter's, copied (the chapter keeps it visible to
teach it), and the tests check that the chapter's glued values equal this study's entry for seed 0.

Per seed: the fitted log-log slopes against width of the relative parameter change, the kernel's relative change and
the network's relative gap to its linear model; at the widest width the relative gaps to the linear model and to
kernel regression, the linear model's distance from its limit, the parameter and kernel changes, the largest gap and
the smallest eigenvalue of Theta(X, X) with the share of its mode left after training; at the narrowest width the
relative gap and the linear model's distance from its limit; the largest training MSE over the widths. Rounded as
the chapter glues them. About 10 s per seed on one core of the recording machine.
"""

import math

CHAPTER = "12_field_theory"
SETTINGS = {"training_widths": [16, 64, 256, 1024, 4096, 16384], "training_steps": 2000}
SEEDS = list(range(10))
SMOKE = {"training_widths": [16, 64], "training_steps": 100}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"ft_change_slope": "change_slope", "ft_ntk_change_slope": "ntk_change_slope", "ft_gap_slope": "gap_slope",
        "ft_gap_relative_widest": "gap_widest", "ft_kreg_gap_widest": "kreg_gap_widest",
        "ft_lin_to_limit_widest": "lin_to_limit_widest", "ft_lin_to_limit_smallest": "lin_to_limit_smallest",
        "ft_gap_relative_smallest": "gap_smallest", "ft_change_widest": "change_widest",
        "ft_ntk_change_widest": "ntk_change_widest", "ft_gap_max_widest": "max_gap_widest",
        "ft_ntk_min_eigenvalue": "min_eigenvalue_widest", "ft_slowest_mode_left": "slowest_mode_left",
        "ft_max_train_mse": "max_train_mse"}


def run(seed, training_widths, training_steps):
    """The chapter's training cell with ``seed``, on the CPU."""
    import numpy as np
    import torch

    import nbcode
    from nbcode import significant

    device = nbcode.setup(seed, "cpu")

    def rounded(value, digits):
        return float(significant(value, digits))

    def relative_error(estimate, exact):
        return (torch.linalg.norm(estimate - exact) / torch.linalg.norm(exact)).item()

    def loglog_slope(xs, ys):
        return float(np.polyfit(np.log(xs), np.log(ys), 1)[0]) if len(xs) > 1 else float("nan")

    x_train = torch.linspace(-2, 2, 12, device=device).unsqueeze(1)
    y_train = torch.sin(2 * x_train).squeeze(1)
    x_test = torch.linspace(-3, 3, 121, device=device).unsqueeze(1)
    learning_rate = 0.1

    def network(parameters, x):
        w, b, v = parameters
        return torch.relu(x @ w.T + b) @ v / math.sqrt(len(v))

    def jacobian(parameters, x):
        at_one_input = lambda p, xi: network(p, xi[None])[0]  # noqa: E731 (the chapter's code)
        rows = torch.func.vmap(torch.func.jacrev(at_one_input), in_dims=(None, 0))(parameters, x)
        return torch.cat([row.flatten(1) for row in rows], dim=1)

    def ntk(parameters, x1, x2):
        return jacobian(parameters, x1) @ jacobian(parameters, x2).T

    def linear_model_predictions(initial, steps):
        ntk_train, ntk_test = ntk(initial, x_train, x_train), ntk(initial, x_test, x_train)
        f_train, f_test = network(initial, x_train), network(initial, x_test)
        regression = f_test.double() + ntk_test.double() @ torch.linalg.pinv(
            ntk_train.double(), rtol=1e-6, hermitian=True) @ (y_train - f_train).double()
        for _ in range(steps):
            residual = f_train - y_train
            f_train = f_train - 2 * learning_rate / len(x_train) * ntk_train @ residual
            f_test = f_test - 2 * learning_rate / len(x_train) * ntk_test @ residual
        smallest = torch.linalg.eigvalsh(ntk_train.double())[0].item()
        return f_test, regression, smallest

    def train_and_compare(width, run_seed):
        torch.manual_seed(run_seed)
        initial = [torch.randn(width, 1, device=device), torch.randn(width, device=device),
                   torch.randn(width, device=device)]
        parameters = [p.clone().requires_grad_() for p in initial]
        optimizer = torch.optim.SGD(parameters, lr=learning_rate)
        for _ in range(training_steps):
            loss = ((network(parameters, x_train) - y_train) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        trained = [p.detach() for p in parameters]
        with torch.no_grad():
            linear, regression, smallest_eigenvalue = linear_model_predictions(initial, training_steps)
            trained_test, initial_test = network(trained, x_test), network(initial, x_test)
            changed = torch.linalg.norm((trained_test - initial_test).double()).item()
            ntk_change = relative_error(ntk(trained, x_train, x_train), ntk(initial, x_train, x_train))
        moved = math.sqrt(sum(((p - p0) ** 2).sum().item() for p, p0 in zip(trained, initial)))
        size = math.sqrt(sum((p0**2).sum().item() for p0 in initial))
        return {"mse": loss.item(), "change": moved / size, "ntk_change": ntk_change,
                "max_gap": (trained_test - linear).abs().max().item(),
                "relative_gap": relative_error(linear - initial_test, trained_test - initial_test),
                "regression_gap": torch.linalg.norm(trained_test.double() - regression).item() / changed,
                "linear_to_limit": torch.linalg.norm(linear.double() - regression).item() / changed,
                "smallest_eigenvalue": smallest_eigenvalue}

    runs = {width: train_and_compare(width, seed) for width in training_widths}
    slopes = {key: loglog_slope(training_widths, [runs[w][key] for w in training_widths])
              for key in ("change", "ntk_change", "relative_gap")}
    widest, narrowest = runs[training_widths[-1]], runs[training_widths[0]]
    slowest = widest["smallest_eigenvalue"]
    return {"change_slope": rounded(slopes["change"], 2), "ntk_change_slope": rounded(slopes["ntk_change"], 2),
            "gap_slope": rounded(slopes["relative_gap"], 2), "gap_widest": rounded(widest["relative_gap"], 2),
            "kreg_gap_widest": rounded(widest["regression_gap"], 2),
            "lin_to_limit_widest": rounded(widest["linear_to_limit"], 2),
            "change_widest": rounded(widest["change"], 2), "ntk_change_widest": rounded(widest["ntk_change"], 2),
            "max_gap_widest": rounded(widest["max_gap"], 2), "min_eigenvalue_widest": rounded(slowest, 2),
            "slowest_mode_left": rounded(math.exp(-2 * learning_rate * slowest * training_steps / len(x_train)), 2),
            "gap_smallest": rounded(narrowest["relative_gap"], 2),
            "lin_to_limit_smallest": rounded(narrowest["linear_to_limit"], 2),
            "max_train_mse": rounded(max(r["mse"] for r in runs.values()), 2)}
