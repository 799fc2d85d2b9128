"""Chapter 6's backward signal through article A's fresh network over ten seeds: how much each block shrinks it.

Chapter 6 (06_mlp) builds article A's tabular classifier (``nbcode.article_a.tabular_classifier``, 30 inputs) from
its seed, puts it in evaluation mode (no dropout), computes the cross-entropy on the breast-cancer training split
and measures, at initialisation, the gradient with respect to every block's output: going back through a block
(a Linear, then its ReLU or sigmoid) divides that gradient's norm by a factor. The code below is the chapter's
cell, copied (the chapter keeps it visible to teach it), and the tests check that the chapter's glued factors
equal this study's entry for seed 0, the chapter's own run.

Per seed: the geometric mean of the factor over the five sigmoid blocks and over the four ReLU blocks that
follow another block, their smallest and largest values, the share of the ReLU units that are on, and the
first linear layer's weight-gradient norm over the last one's. About a second per seed on one core.
"""

CHAPTER = "06_mlp"
SETTINGS = {}
SEEDS = list(range(10))
SMOKE = {}
GLUE = {"mlp_articleA_sigmoid_block_shrink": "sigmoid_shrink", "mlp_articleA_relu_block_shrink": "relu_shrink",
        "mlp_articleA_gradient_span": "gradient_span"}


def run(seed):
    """The chapter's gradient cell for article A's fresh network, with ``seed``, on the CPU."""
    import numpy as np
    import torch
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from nbcode import article_a
    from nbcode.data import load_breast_cancer

    device = nbcode.setup(seed, "cpu")
    table = load_breast_cancer(device=device)
    n_features = table.train.tensors[0].shape[1]
    torch.manual_seed(seed)
    fresh = article_a.tabular_classifier(n_features).to(device).eval()
    train_inputs, train_targets = table.train.tensors
    block_outputs = []
    signal = train_inputs
    for layer in fresh:
        signal = layer(signal)
        if isinstance(layer, (nn.ReLU, nn.Sigmoid)):
            signal.retain_grad()
            block_outputs.append((type(layer).__name__, signal))
    F.cross_entropy(signal, train_targets).backward()
    linears = [layer for layer in fresh if isinstance(layer, nn.Linear)]
    norms = [layer.weight.grad.norm().item() for layer in linears]
    shrink = {"Sigmoid": [], "ReLU": []}
    for (_, block_input), (activation, block_output) in zip(block_outputs, block_outputs[1:]):
        shrink[activation].append((block_output.grad.norm() / block_input.grad.norm()).item())
    relu_on = [(output > 0).float().mean().item() for activation, output in block_outputs if activation == "ReLU"]
    result = {}
    for activation, factors in shrink.items():
        key = activation.lower()
        result[f"{key}_shrink"] = float(nbcode.significant(float(np.exp(np.mean(np.log(factors)))), 2))
        result[f"{key}_shrink_min"] = round(min(factors), 2)
        result[f"{key}_shrink_max"] = round(max(factors), 2)
    result["relu_on_min"] = round(min(relu_on), 2)
    result["relu_on_max"] = round(max(relu_on), 2)
    result["gradient_span"] = float(nbcode.significant(norms[0] / norms[-1], 2))
    return result
