"""Chapter 10, attention and the Transformer: the checked exercises.

The checks draw their inputs from their own ``torch.Generator`` and build the
reference model inside ``torch.random.fork_rng``, so they neither depend on nor
move the reader's global random state.
"""

import math

import torch
from torch.nn import functional as F

from . import Exercise, NotQuite, attempt, function, name_mistake

SETUP = "import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


# Exercise 4: the mean largest attention weight, with and without the scaling.

def _reference_largest_weight(q, k, scaled):
    scores = torch.einsum("td,tkd->tk", q, k)
    if scaled:
        scores = scores / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1).max(dim=-1).values.mean()


def _check_largest_weight(mean_largest_weight):
    generator = torch.Generator().manual_seed(104)
    q, k = torch.randn(50, 16, generator=generator), torch.randn(50, 10, 16, generator=generator)
    scores = torch.einsum("td,tkd->tk", q, k)
    name_mistake(mean_largest_weight, (q, k, True), (
        (torch.softmax(scores / 16, dim=-1).max(dim=-1).values.mean(),
         "With scaled=True the scores are divided by d, not by its square root."),
        (torch.softmax(scores / 4, dim=0).max(dim=-1).values.mean(),
         "The softmax runs over the trials: each query's weights must sum to 1 over its keys."),
        (torch.softmax(scores, dim=-1).max(dim=-1).values.mean(),
         "With scaled=True the result is the unscaled one: the scaling is not applied."),
        (torch.softmax(scores / 4, dim=-1).mean(),
         "That is the mean of all the weights, which is 1/keys whatever the scores: take each trial's largest."),
    ))
    cases = []
    for trials, keys, d in ((50, 10, 16), (200, 64, 4), (7, 1, 9), (30, 5, 256)):
        q, k = torch.randn(trials, d, generator=generator), torch.randn(trials, keys, d, generator=generator)
        for scaled in (True, False):
            cases.append((f"{trials} trials of {keys} keys with d = {d}, scaled={scaled}", (q, k, scaled)))
    q, k = 4 * torch.randn(20, 8, 256, generator=generator)[:, 0], 4 * torch.randn(20, 8, 256, generator=generator)
    cases.append(("large scores (q and k of size about 4 per entry, d = 256, unscaled)", (q, k, False)))
    function(mean_largest_weight, _reference_largest_weight, cases, name="mean_largest_weight(q, k, scaled)")


# Exercise 6: the causal mask, in this chapter's convention (True = may attend).

def _check_causal_mask(causal_mask):
    got = attempt(causal_mask, (5,))
    if got is not None and got.shape == (5, 5):
        if got.dtype != torch.bool:
            if torch.isinf(got).any():
                raise NotQuite("That is the additive form, 0 and -inf; this chapter's attention takes a boolean mask "
                               "(dtype torch.bool) and hides the entries where it is False.")
            raise NotQuite(f"The mask should hold booleans (dtype torch.bool), as attention's masked_fill(~mask, ...) "
                           f"needs; it has dtype {got.dtype}.")
        ones = torch.ones(5, 5, dtype=torch.bool)
        for wrong, message in (
                (ones.triu(1), "True marks the future: that is nn.Transformer's convention (True = hidden). This "
                               "chapter's attention wants True where position i may attend to position j."),
                (ones.tril(-1), "The diagonal is False: a position must be able to attend to itself, or position 0 "
                                "has nothing to attend to and its softmax is nan."),
                (ones.triu(), "True on and above the diagonal lets position i attend to the positions after it, "
                              "the future, and hides its past."),
                (ones, "Nothing is hidden: every position may attend to the future.")):
            if torch.equal(got, wrong):
                raise NotQuite(message)
    cases = [(f"n = {n}", (n,)) for n in (5, 1, 2, 8, 0)]
    function(causal_mask, lambda n: torch.ones(n, n, dtype=torch.bool).tril(), cases, name="causal_mask(n)")


# Exercise 7: attention with a padding mask on the keys.

def _real_keys(lengths, m):
    return torch.arange(m) < lengths[:, None]  # (batch, m): True on real keys


def _reference_padded_attention(q, k, v, lengths):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=_real_keys(lengths, k.shape[1])[:, None, :])


def _attention_case(generator, batch, n, m, d, d_v, lengths, scale=1.0):
    q = scale * torch.randn(batch, n, d, generator=generator)
    k = scale * torch.randn(batch, m, d, generator=generator)
    return q, k, torch.randn(batch, m, d_v, generator=generator), torch.tensor(lengths, dtype=torch.long)


def _padded_attention_mistakes(q, k, v, lengths):
    real = _real_keys(lengths, k.shape[1])
    mask = real[:, None, :]
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    mistakes = [
        (F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0),
         "The scores are not divided by sqrt(d_k), so the weights come out too sharp."),
        (F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1 / d),
         "The scores are divided by d_k, not by its square root."),
        (F.scaled_dot_product_attention(q, k, v),
         "Padded keys get weight: the padding mask is not applied."),
        (torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-2) @ v,
         "The softmax runs over the queries: each query's weights must sum to 1 over the keys."),
        (torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v,
         "The mask is inverted: it hides the real keys and leaves the padding."),
        (F.scaled_dot_product_attention(q, k, v, attn_mask=_real_keys(lengths + 1, k.shape[1])[:, None, :]),
         "Each sequence also attends to its first padded key: keys are counted from 0, so lengths[b] real keys "
         "are keys 0 to lengths[b] - 1."),
    ]
    if q.shape[1] == k.shape[1]:  # a mask on the queries only broadcasts when there are as many queries as keys
        mistakes.append((torch.softmax(scores.masked_fill(~real[:, :, None], float("-inf")), dim=-1) @ v,
                         "The mask hides queries (rows of the scores) instead of keys (columns): add the query "
                         "axis to the mask in the other place."))
    return mistakes


def _check_padded_attention(padded_attention):
    generator = torch.Generator().manual_seed(107)
    for arguments in (_attention_case(generator, 3, 5, 7, 8, 4, [7, 3, 1]),
                      _attention_case(generator, 2, 6, 6, 4, 4, [6, 2])):
        name_mistake(padded_attention, arguments, _padded_attention_mistakes(*arguments))
    cases = []
    for batch, n, m, d, d_v, lengths in ((3, 5, 7, 8, 4, [7, 3, 1]), (2, 6, 6, 4, 4, [6, 2]),
                                         (1, 1, 4, 16, 3, [2]), (4, 3, 9, 2, 5, [9, 1, 5, 8])):
        cases.append((f"a batch of {batch}, {n} queries and {m} keys of size {d}, key lengths {lengths}",
                      _attention_case(generator, batch, n, m, d, d_v, lengths)))
    cases.append(("large scores (q and k of size about 10 per entry, d = 8, key lengths [8, 3])",
                  _attention_case(generator, 2, 4, 8, 8, 3, [8, 3], scale=10.0)))
    function(padded_attention, _reference_padded_attention, cases, name="padded_attention(q, k, v, lengths)",
             rtol=1e-4, atol=1e-5)


# Exercise 8: the parameters of the character model.

def _reference_parameter_count(vocabulary, size, layers, context, heads):
    from nbcode.models import CharTransformer

    with torch.random.fork_rng(devices=[]):  # the reader's random numbers stay as they were
        model = CharTransformer(vocabulary, size, layers, context, heads=heads)
    return sum(parameter.numel() for parameter in model.parameters())


def _parameter_mistakes(vocabulary, size, layers, context):
    d, L, V = size, layers, vocabulary
    return (
        (-context * d, "The learned positions are missing: the model has one vector of size numbers for each of the "
                       "context positions."),
        (-2 * d, "The LayerNorm after the last block is missing."),
        (-4 * d * L, "The two LayerNorms of each block are missing (a gain and a bias each)."),
        (-(4 * L + 2) * d, "The LayerNorms, with their gains and biases, are missing."),
        (-(d * V + V), "The output layer, from size numbers to one logit per character, is missing."),
        (-V, "The output layer's biases, one per character, are missing."),
        (-(9 * d * L + V), "The biases of the linear maps are missing."),
        (-(9 * d * L + V + (4 * L + 2) * d), "Only the weight matrices are counted: the biases of the linear maps "
                                            "and the gains and biases of the LayerNorms are missing."),
        (-L * (6 * d * d + 3 * d), "The MLP of each block is 4 * size wide (dim_feedforward=4 * size), not size."),
        (-V * d, "One vocabulary-by-size table is missing: the model has both a token embedding and an output layer "
                 "(their weights are not shared)."),
    )


def _builds_modules(candidate, arguments):
    """Whether calling ``candidate`` registers a parameter in any module, on any device, the meta device included."""
    from torch.nn.modules.module import register_module_parameter_registration_hook

    registered = []
    handle = register_module_parameter_registration_hook(lambda module, name, parameter: registered.append(name))
    try:
        with torch.random.fork_rng(devices=[]):  # a model built here must not move the reader's random numbers
            candidate(*arguments)
    except Exception:  # noqa: BLE001 - the full check reports the reader's error in its own words
        pass
    finally:
        handle.remove()
    return bool(registered)


def _check_parameter_count(char_model_parameters):
    if callable(char_model_parameters) and _builds_modules(char_model_parameters, (65, 128, 3, 64, 4)):
        raise NotQuite("char_model_parameters builds the model (or some of its layers) and counts what it holds. On "
                       "the meta device or any other, that is count_parameters again: it gives the number without "
                       "saying where it comes from. The exercise asks for the count from the shapes of the layers: "
                       "write it out as a sum, layer by layer, without building any module.")
    if callable(char_model_parameters):
        shape = (65, 128, 3, 64)  # the chapter's model
        got = [attempt(char_model_parameters, shape + (heads,)) for heads in (1, 4, 8)]
        if all(value is not None and value.numel() == 1 for value in got):
            values = [int(value.item()) for value in got]
            if len(set(values)) > 1:
                raise NotQuite("Your count changes with the number of heads; the heads split the size numbers of the "
                               "query, key and value maps into slices and add no weights of their own.")
            difference = values[1] - _reference_parameter_count(*shape, 4)
            for missing, message in _parameter_mistakes(*shape):
                if difference == missing:
                    raise NotQuite(message)
    cases = [(f"CharTransformer({v}, {d}, {n}, {c}, heads={h})", (v, d, n, c, h))
             for v, d, n, c, h in ((65, 128, 3, 64, 4), (13, 16, 2, 14, 2), (10, 8, 1, 5, 8), (100, 32, 4, 256, 1),
                                   (7, 12, 0, 3, 3))]
    function(char_model_parameters, _reference_parameter_count, cases, name="char_model_parameters", rtol=0, atol=0.5)


EXERCISES = [
    Exercise(
        chapter=10, number=4, names=("mean_largest_weight",), checker=_check_largest_weight,
        hints=("q[t] has shape (d,) and k[t] shape (keys, d): the scores of trial t are k[t] @ q[t]. For all trials "
               "at once, k @ q[:, :, None] has shape (trials, keys, 1).",
               "Divide by math.sqrt(d) when scaled is True, take torch.softmax over the keys (the last dimension), "
               "then .max(dim=-1).values for each trial's largest weight, and .mean() over the trials."),
        solution_code="""
def mean_largest_weight(q, k, scaled):
    scores = (k @ q[:, :, None]).squeeze(-1)  # (trials, keys): q . k for each key
    if scaled:
        scores = scores / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1).max(dim=-1).values.mean()
""",
        placeholder="""
def mean_largest_weight(q, k, scaled):
    # q: (trials, d), one query per trial; k: (trials, keys, d), its keys; scaled: divide the scores by sqrt(d)
    return ___  # the largest softmax weight of each trial, averaged over the trials
""",
        wrong=(("def mean_largest_weight(q, k, scaled):\n"
                "    scores = (k @ q[:, :, None]).squeeze(-1)\n"
                "    if scaled:\n"
                "        scores = scores / q.shape[-1]\n"
                "    return torch.softmax(scores, dim=-1).max(dim=-1).values.mean()", "not by its square root"),
               ("def mean_largest_weight(q, k, scaled):\n"
                "    scores = (k @ q[:, :, None]).squeeze(-1)\n"
                "    if scaled:\n"
                "        scores = scores / math.sqrt(q.shape[-1])\n"
                "    return torch.softmax(scores, dim=0).max(dim=-1).values.mean()", "runs over the trials"),
               ("def mean_largest_weight(q, k, scaled):\n"
                "    scores = (k @ q[:, :, None]).squeeze(-1)\n"
                "    if scaled:\n"
                "        scores = scores / math.sqrt(q.shape[-1])\n"
                "    weights = scores.exp() / scores.exp().sum(dim=-1, keepdim=True)\n"
                "    return weights.max(dim=-1).values.mean()", "large scores")),
        correct_message="Now run it for d = 16 and d = 256, with and without the scaling.",
    ),
    Exercise(
        chapter=10, number=6, names=("causal_mask",), checker=_check_causal_mask,
        hints=("Position i may attend to position j when j <= i: the entries on and below the diagonal.",
               "torch.ones(n, n, dtype=torch.bool) and one of .tril() or .triu() gives it; which one keeps the "
               "lower triangle with the diagonal?"),
        solution_code="""
def causal_mask(n):
    return torch.ones(n, n, dtype=torch.bool).tril()  # True where j <= i
""",
        placeholder="""
def causal_mask(n):
    return ___  # (n, n) booleans, True where position i may attend to position j
""",
        wrong=(("def causal_mask(n):\n    return torch.ones(n, n, dtype=torch.bool).triu(1)",
                "nn.Transformer's convention"),
               ("def causal_mask(n):\n    return torch.ones(n, n, dtype=torch.bool).tril(-1)", "diagonal is False"),
               ("def causal_mask(n):\n    return torch.ones(n, n).tril()", "booleans"),
               ("def causal_mask(n):\n"
                "    return torch.zeros(n, n).masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float('-inf'))",
                "additive form")),
        correct_message="nn.Transformer and nn.MultiheadAttention want its opposite, ~causal_mask(n).",
    ),
    Exercise(
        chapter=10, number=7, names=("padded_attention",), checker=_check_padded_attention,
        hints=("Start from the chapter's formula: scores q @ k.transpose(-2, -1) / sqrt(d_k), of shape "
               "(batch, n, m), a softmax over the keys, then @ v.",
               "Key j of sequence b is real when j < lengths[b]: torch.arange(m) < lengths[:, None] is True on the "
               "real keys, shape (batch, m).",
               "Every query of a sequence hides the same keys: give the mask a query axis, mask[:, None, :], of shape "
               "(batch, 1, m), and fill the scores with -inf where it is False before the softmax."),
        solution_code="""
def padded_attention(q, k, v, lengths):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (batch, n, m)
    real = torch.arange(k.shape[1], device=k.device) < lengths[:, None]  # (batch, m): True on the real keys
    scores = scores.masked_fill(~real[:, None, :], float("-inf"))  # the same keys hidden from every query
    return torch.softmax(scores, dim=-1) @ v
""",
        placeholder="""
def padded_attention(q, k, v, lengths):
    # q: (batch, n, d), k: (batch, m, d), v: (batch, m, d_v); key j of sequence b is padding when j >= lengths[b]
    return ___  # (batch, n, d_v)
""",
        wrong=(("def padded_attention(q, k, v, lengths):\n"
                "    scores = q @ k.transpose(-2, -1)\n"
                "    real = torch.arange(k.shape[1]) < lengths[:, None]\n"
                "    return torch.softmax(scores.masked_fill(~real[:, None, :], float('-inf')), dim=-1) @ v",
                "not divided by sqrt(d_k)"),
               ("def padded_attention(q, k, v, lengths):\n"
                "    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v",
                "not applied"),
               ("def padded_attention(q, k, v, lengths):\n"
                "    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n"
                "    real = torch.arange(k.shape[1]) < lengths[:, None]\n"
                "    return torch.softmax(scores.masked_fill(~real[:, None, :], float('-inf')), dim=1) @ v",
                "runs over the queries"),
               ("def padded_attention(q, k, v, lengths):\n"
                "    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n"
                "    real = torch.arange(k.shape[1]) < lengths[:, None]\n"
                "    return torch.softmax(scores.masked_fill(~real[:, :, None], float('-inf')), dim=-1) @ v",
                "hides queries"),
               ("def padded_attention(q, k, v, lengths):\n"
                "    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n"
                "    real = torch.arange(k.shape[1]) < lengths[:, None]\n"
                "    weights = scores.exp().masked_fill(~real[:, None, :], 0)\n"
                "    return weights / weights.sum(dim=-1, keepdim=True) @ v", "large scores")),
        correct_message="It matches F.scaled_dot_product_attention with the boolean mask real[:, None, :].",
    ),
    Exercise(
        chapter=10, number=8, names=("char_model_parameters",), checker=_check_parameter_count,
        hints=("List the modules of CharTransformer in nbcode/models.py (the chapter printed its code): two "
               "embedding tables, `layers` blocks, a final LayerNorm and the output layer.",
               "One block (nn.TransformerEncoderLayer) holds the query, key and value maps (in_proj: 3 * size by size, "
               "with 3 * size biases), out_proj (size by size, size biases), linear1 (size to 4 * size) and linear2 "
               "(back), each with biases, and two LayerNorms with a gain and a bias of size numbers each.",
               "The number of heads does not appear in the count: the heads split the projections into slices."),
        solution_code="""
def char_model_parameters(vocabulary, size, layers, context, heads):
    d = size
    embeddings = vocabulary * d + context * d  # token vectors and learned positions
    attention = 3 * (d * d + d) + (d * d + d)  # query, key and value maps, and out_proj; heads only slice them
    mlp = (d * 4 * d + 4 * d) + (4 * d * d + d)  # Linear(d, 4d) and Linear(4d, d)
    norms = 2 * 2 * d  # two LayerNorms per block, a gain and a bias each
    return embeddings + layers * (attention + mlp + norms) + 2 * d + (d * vocabulary + vocabulary)
""",
        placeholder="""
def char_model_parameters(vocabulary, size, layers, context, heads):
    return ___  # the number of parameters of CharTransformer(vocabulary, size, layers, context, heads=heads)
""",
        wrong=(("def char_model_parameters(vocabulary, size, layers, context, heads):\n"
                "    d = size\n"
                "    block = 4 * (d * d + d) + (8 * d * d + 5 * d) + 4 * d\n"
                "    return vocabulary * d + layers * block + 2 * d + d * vocabulary + vocabulary",
                "learned positions are missing"),
               ("def char_model_parameters(vocabulary, size, layers, context, heads):\n"
                "    d = size\n"
                "    block = heads * 4 * (d * d + d) + (8 * d * d + 5 * d) + 4 * d\n"
                "    return (vocabulary + context) * d + layers * block + 2 * d + d * vocabulary + vocabulary",
                "changes with the number of heads"),
               ("def char_model_parameters(vocabulary, size, layers, context, heads):\n"
                "    d = size\n"
                "    block = 4 * d * d + 8 * d * d\n"
                "    return (vocabulary + context) * d + layers * block + d * vocabulary",
                "Only the weight matrices"),
               ("def char_model_parameters(vocabulary, size, layers, context, heads):\n"
                "    from nbcode.models import CharTransformer\n"
                "    with torch.device(\"meta\"):\n"
                "        model = CharTransformer(vocabulary, size, layers, context, heads=heads)\n"
                "    return sum(parameter.numel() for parameter in model.parameters())",
                "meta device")),
        correct_message="Check it on the chapter's model: char_model_parameters(len(characters), charlm_size, "
                        "charlm_layers, charlm_context, 4) against count_parameters(charlm).",
    ),
]
