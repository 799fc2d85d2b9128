"""Chapter 12's random ensembles over ten seeds: kurtosis against width, the NNGP kernel, biases, the deep kernel's
slope, criticality and the L/N law, as the chapter draws them.

Chapter 12 (12_field_theory) draws every random network from one generator seeded with its ``seed``, section after
section: the one-hidden-layer ReLU ensembles of the kurtosis law (``ensemble_size`` networks at each of
``kurtosis_widths``), the ReLU and erf kernels at width ``kernel_width`` (``kernel_ensemble_size`` networks each),
the ReLU networks with biases, the two-hidden-layer ensembles (``deep_ensemble_sizes`` networks at ``deep_widths``),
the criticality check and the depth grid (``depth_ensemble_size`` one-input networks at every width in
``depth_widths`` and depth in ``depths``). This study replays those cells in that order for ten seeds, without the
figures (which draw nothing): the code below is the chapter's, copied (the chapter keeps it visible to teach it),
and the tests check that the chapter's glued values equal this study's entry for seed 0.

Per seed: the fitted slope of log(kurtosis) against log(width); the kernel's relative error at width
``kernel_width`` (the larger of ReLU's and erf's) and the larger ratio of error to sampling error; with biases, the
recursion's error, its sampling error and the best constant shift's error; the two-hidden-layer kernel's slope over
all widths and over the widths whose error clears three times its sampling error (and how many widths those are);
the largest deviation of the full two-hidden-layer ensembles' kurtosis from 3[(1 + 5/N)^2 - 1] in standard errors;
the variance of layer 30 at criticality and its median network's; the fitted coefficient c of kappa = c L/N, and
the depth grid's largest deviation from the exact formula (relative and in standard errors). Rounded as the chapter
glues them. About a minute per seed on one core of the recording machine (recorded while the other core was
busy); ten seeds are recorded all the same.
"""

import math

CHAPTER = "12_field_theory"
SETTINGS = {"ensemble_size": 400_000, "kurtosis_widths": [2, 4, 8, 16, 32, 64, 128], "kernel_ensemble_size": 100_000,
            "kernel_width": 1024, "deep_widths": [4, 8, 16, 64, 256],
            "deep_ensemble_sizes": [1_000_000, 1_000_000, 1_000_000, 250_000, 16_000], "depth_ensemble_size": 100_000,
            "depth_widths": [32, 64, 128], "depths": [1, 2, 4, 8]}
SEEDS = list(range(10))
SMOKE = {"ensemble_size": 20_000, "kurtosis_widths": [2, 4, 8], "kernel_ensemble_size": 20_000, "kernel_width": 64,
         "deep_widths": [4, 16], "deep_ensemble_sizes": [100_000, 200_000], "depth_ensemble_size": 5_000,
         "depth_widths": [32], "depths": [1, 2]}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"fieldtheory_kurtosis_slope": "kurtosis_slope", "nngp_kernel_rel_err": "kernel_rel_err",
        "ft_kernel_ratio": "kernel_ratio", "ft_bias_err": "bias_err", "ft_bias_floor": "bias_floor",
        "ft_bias_shift_err": "shift_err", "ft_kernel_slope_all": "kernel_slope_all",
        "ft_kernel_slope_above": "kernel_slope_above", "ft_full_kurtosis_max_z": "full_kurtosis_max_z",
        "ft_crit_variance": "crit_variance", "ft_crit_median": "crit_median",
        "ft_depth_coefficient": "depth_coefficient", "ft_depth_deviation": "depth_deviation",
        "ft_depth_max_z": "depth_max_z"}


def run(seed, ensemble_size, kurtosis_widths, kernel_ensemble_size, kernel_width, deep_widths, deep_ensemble_sizes,
        depth_ensemble_size, depth_widths, depths):
    """The chapter's ensemble cells with ``seed``, in the chapter's order, on the CPU."""
    import numpy as np
    import torch

    import nbcode
    from nbcode import significant

    from studies.ft_erf_kurtosis import excess_kurtosis
    from studies.ft_erf_kurtosis import random_network_outputs as sampler

    device = nbcode.setup(seed, "cpu")
    generator = torch.Generator(device=device).manual_seed(seed)

    def random_network_outputs(n_networks, width, inputs, depth=1, activation=torch.relu, sigma_w2=2.0,
                               sigma_b2=0.0, rng=None):
        rng = generator if rng is None else rng
        return sampler(n_networks, width, inputs, rng, depth, activation, sigma_w2, sigma_b2, device)

    def rounded(value, digits):
        return float(significant(value, digits))

    # The kurtosis law's ensembles (drawn first, in the chapter's first code cell).
    x0 = torch.tensor([[1.0, 0.0]], device=device)
    samples = {width: random_network_outputs(ensemble_size, width, x0)[:, 0].double() for width in kurtosis_widths}

    # The two-point function.
    angles = torch.tensor([0.0, 30, 60, 90, 135, 180], device=device) * math.pi / 180
    circle = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)

    def base_kernel(inputs, sigma_w2):
        return sigma_w2 / inputs.shape[1] * inputs @ inputs.T

    def relu_kernel(k):
        norms = torch.sqrt(torch.outer(k.diagonal(), k.diagonal()))
        theta = torch.arccos((k / norms).clamp(-1, 1))
        return norms / (2 * math.pi) * (torch.sin(theta) + (math.pi - theta) * torch.cos(theta))

    def erf_kernel(k):
        scale = torch.sqrt(torch.outer(1 + 2 * k.diagonal(), 1 + 2 * k.diagonal()))
        return 2 / math.pi * torch.arcsin(2 * k / scale)

    def empirical_covariance(outputs):
        outputs = outputs.double()
        return outputs.T @ outputs / len(outputs)

    def relative_error(estimate, exact):
        return (torch.linalg.norm(estimate - exact) / torch.linalg.norm(exact)).item()

    def sampling_error(outputs, exact):
        outputs = outputs.double()
        variances = empirical_covariance(outputs**2) - empirical_covariance(outputs) ** 2
        return math.sqrt(variances.sum().item() / len(outputs)) / torch.linalg.norm(exact).item()

    kernels, floors = {}, {}
    for name, activation, sigma_w2, formula in (("ReLU", torch.relu, 2.0, relu_kernel),
                                                ("erf", torch.erf, 1.0, erf_kernel)):
        outputs = random_network_outputs(kernel_ensemble_size, kernel_width, circle, activation=activation,
                                         sigma_w2=sigma_w2)
        exact = formula(base_kernel(circle.double(), sigma_w2))
        kernels[name] = (empirical_covariance(outputs), exact)
        floors[name] = sampling_error(outputs, exact)
    kernel_rel_err = max(relative_error(empirical, exact) for empirical, exact in kernels.values())
    kernel_ratio = max(relative_error(*kernels[name]) / floors[name] for name in kernels)

    # Biases.
    def relu_nngp(inputs, depth, sigma_w2=2.0, sigma_b2=0.0):
        k = sigma_b2 + base_kernel(inputs, sigma_w2)
        for _ in range(depth - 1):
            k = sigma_b2 + sigma_w2 * relu_kernel(k)
        return sigma_b2 + relu_kernel(k)

    bias_variance, bias_width = 1.0, 64
    with_biases = random_network_outputs(kernel_ensemble_size, bias_width, circle, sigma_b2=bias_variance)
    empirical = empirical_covariance(with_biases)
    exact = relu_nngp(circle.double(), 1, sigma_b2=bias_variance)
    without = relu_nngp(circle.double(), 1)
    best_shift = (empirical - without).mean()
    bias_err = relative_error(empirical, exact)
    bias_floor = sampling_error(with_biases, exact)
    shift_err = relative_error(without + best_shift, empirical)

    # Two hidden layers: the kernel's error against width.
    deep_exact = relu_nngp(circle.double(), 2)
    deep_sizes = dict(zip(deep_widths, deep_ensemble_sizes))

    def loglog_slope(xs, ys):
        return float(np.polyfit(np.log(xs), np.log(ys), 1)[0]) if len(xs) > 1 else float("nan")

    deep_errors, deep_floors, deep_outputs = {}, {}, {}
    for width in deep_widths:
        deep_outputs[width] = random_network_outputs(deep_sizes[width], width, circle, depth=2, rng=generator)
        deep_errors[width] = relative_error(empirical_covariance(deep_outputs[width]), deep_exact)
        deep_floors[width] = sampling_error(deep_outputs[width], deep_exact)
    above_floor = [width for width in deep_errors if deep_errors[width] > 3 * deep_floors[width]]
    slope_above = loglog_slope(above_floor, [deep_errors[width] for width in above_floor])
    slope_all = loglog_slope(deep_widths, [deep_errors[w] for w in deep_widths])

    # Criticality, with the exact one-input sampler.
    def one_input_network(n_networks, width, depth, sigma_w2=2.0, input_variance=1.0):
        variance = torch.full((n_networks,), input_variance, device=device)
        variances = []
        for _ in range(depth):
            variances.append(variance)
            preactivations = variance.sqrt()[:, None] * torch.randn(n_networks, width, device=device,
                                                                    generator=generator)
            mean_square = torch.relu(preactivations).pow(2).mean(1)
            variance = sigma_w2 * mean_square
        outputs = mean_square.sqrt() * torch.randn(n_networks, device=device, generator=generator)
        return outputs.double(), torch.stack(variances).double()

    critical_depth, critical_width, critical_networks = 30, depth_widths[-1], depth_ensemble_size // 5
    for sigma_w2 in (1.5, 2.0, 2.5):
        _, variances = one_input_network(critical_networks, critical_width, critical_depth, sigma_w2, sigma_w2 / 2)
        if sigma_w2 == 2.0:
            crit_variance = variances.mean(1)[-1].item()
            crit_median = variances[-1].median().item()

    # Non-Gaussianity against depth: the full ensembles first, then the grid.
    def kurtosis_theory(width, depth):
        return 3 * ((1 + 5 / width) ** depth - 1)

    def kurtosis_standard_error(values, blocks=20):
        estimates = [excess_kurtosis(block) for block in values.chunk(blocks)]
        return float(np.std(estimates, ddof=1) / math.sqrt(blocks))

    full_z = []
    for width in deep_widths:
        values = deep_outputs[width][:, 0].double()
        full_z.append((excess_kurtosis(values) - kurtosis_theory(width, 2)) / kurtosis_standard_error(values))
    depth_kurtosis, depth_errors = {}, {}
    for width in depth_widths:
        for depth in depths:
            outputs, _ = one_input_network(depth_ensemble_size, width, depth)
            depth_kurtosis[width, depth] = excess_kurtosis(outputs)
            depth_errors[width, depth] = kurtosis_standard_error(outputs)
    ratios = np.array([depth / width for width, depth in depth_kurtosis])
    measured = np.array(list(depth_kurtosis.values()))
    exact_kurtosis = np.array([kurtosis_theory(width, depth) for width, depth in depth_kurtosis])
    small = ratios <= 1 / 16
    coefficient = float((ratios[small] * measured[small]).sum() / (ratios[small] ** 2).sum())
    deviation = float(np.max(np.abs(measured / exact_kurtosis - 1)))
    depth_z = float(np.max(np.abs(measured - exact_kurtosis) / np.array(list(depth_errors.values()))))

    # The kurtosis law itself (the chapter fits it after the deep section, from the samples drawn first).
    kurtosis = [excess_kurtosis(samples[width]) for width in kurtosis_widths]
    kurtosis_slope = float(np.polyfit(np.log(kurtosis_widths), np.log(kurtosis), 1)[0])

    return {"kurtosis_slope": rounded(kurtosis_slope, 3), "kernel_rel_err": rounded(kernel_rel_err, 2),
            "kernel_ratio": rounded(kernel_ratio, 2), "bias_err": rounded(bias_err, 2),
            "bias_floor": rounded(bias_floor, 2), "shift_err": rounded(shift_err, 2),
            "kernel_slope_all": rounded(slope_all, 2), "kernel_slope_above": rounded(slope_above, 2),
            "widths_above": len(above_floor),
            "full_kurtosis_max_z": rounded(max(abs(z) for z in full_z), 2),
            "crit_variance": rounded(crit_variance, 3), "crit_median": rounded(crit_median, 2),
            "depth_coefficient": rounded(coefficient, 3), "depth_deviation": rounded(deviation, 2),
            "depth_max_z": rounded(depth_z, 2)}
