"""Chapter 9, recurrent networks: the checked exercises.

The checks build their own small recurrent layers and draw their weights and
inputs from a ``torch.Generator`` (PyTorch's initialisation runs inside
``torch.random.fork_rng``), so they neither depend on nor move the reader's
global random state.
"""

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from . import Exercise, NotQuite, as_number, function, name_mistake, number

SETUP = "import torch\nfrom torch import nn\nfrom torch.nn.utils.rnn import pack_padded_sequence\n"


# Building blocks private to this chapter.

def _filled(make, generator, scale=0.5):
    """The module ``make()`` with every parameter drawn from N(0, scale^2) by ``generator``."""
    with torch.random.fork_rng(devices=[]):  # PyTorch's own initialisation must not move the reader's random numbers
        module = make()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(scale * torch.randn(parameter.shape, generator=generator))
    return module


def _padded_run(generator, batch, time, features, hidden, lengths):
    """A GRU's states at every step of a right-padded batch run without packing, and its packed final state."""
    gru = _filled(lambda: nn.GRU(features, hidden, batch_first=True), generator)
    inputs = torch.randn(batch, time, features, generator=generator)
    lengths = torch.tensor(lengths)
    with torch.no_grad():
        outputs, _ = gru(inputs)  # the padded steps are run too: their states are not zero
        _, h_n = gru(pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False))
    return outputs, lengths, h_n[-1]


_SIZES = ((4, 7, 3, 5, [7, 3, 1, 5]),  # one full-length sequence, one of length 1
          (1, 6, 2, 4, [6]),  # a batch of one
          (5, 9, 4, 3, [1, 1, 2, 9, 4]),
          (3, 1, 2, 2, [1, 1, 1]))  # sequences of one step


def _padded_cases(seed):
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for batch, time, features, hidden, lengths in _SIZES:
        outputs, lengths, final = _padded_run(generator, batch, time, features, hidden, lengths)
        cases.append((f"a batch of {batch} padded to {time} steps with lengths {lengths.tolist()}",
                      (outputs, lengths), final))
    return cases


# Exercise 5: the state at each sequence's last real token.

def _check_last_states(last_states):
    generator = torch.Generator().manual_seed(95)
    outputs, lengths, _ = _padded_run(generator, 3, 8, 3, 4, [5, 2, 7])  # every sequence shorter than 8 steps
    rows = torch.arange(3)
    name_mistake(last_states, (outputs, lengths), (
        (outputs[:, -1], "That is the last column of the padded batch: for every sequence shorter than the batch, "
                         "the state after its padding, not after its last real token."),
        (outputs[rows, lengths], "That is one step too late, the state after the first padding token: "
                                 "time steps are counted from 0."),
        (outputs[:, lengths - 1], "Indexing the time axis with the lengths alone picks those steps for every "
                                  "sequence (shape (batch, batch, hidden)); each row needs its own length."),
    ))
    for description, arguments, final in _padded_cases(5):
        function(last_states, lambda outputs, lengths, final=final: final, [(description, arguments)],
                 name="last_states(outputs, lengths)", atol=1e-5)


# Exercise 6: one step of a GRU cell.

def _gru_variants(x, h, cell):
    """The right step and the typical wrong ones, for the diagnosis."""
    W_hn, b_hn = cell.weight_hh.chunk(3)[2], cell.bias_hh.chunk(3)[2]
    x_r, x_z, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    before = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    outside = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
    swapped_r, swapped_z = torch.sigmoid(x_z + h_z), torch.sigmoid(x_r + h_r)  # rows read as z, r, n
    swapped_n = torch.tanh(x_n + swapped_r * h_n)
    return (
        ((1 - z) * before + z * h, "The reset gate multiplies h before the product with W_hn: that is the textbook "
                                   "GRU, a different model from nn.GRUCell's. Look at where r_t sits in the "
                                   "chapter's equation for n_t."),
        ((1 - z) * outside + z * h, "b_hn is added outside the reset gate; look at where it sits in the chapter's "
                                    "equation for n_t."),
        (z * n + (1 - z) * h, "z and 1 - z are swapped: look at which state z_t multiplies in the chapter's "
                              "equation for h_t."),
        ((1 - swapped_z) * swapped_n + swapped_z * h, "The gates' rows are read in the wrong order: check the order "
                                                      "in which nn.GRUCell stacks them in weight_ih."),
    )


def _check_gru_step(gru_step):
    generator = torch.Generator().manual_seed(96)
    cases = []
    for batch, inputs, hidden in ((4, 5, 8), (1, 3, 3), (6, 8, 2), (0, 5, 4)):
        cell = _filled(lambda: nn.GRUCell(inputs, hidden), generator)
        x, h = torch.randn(batch, inputs, generator=generator), torch.randn(batch, hidden, generator=generator)
        cases.append((f"nn.GRUCell({inputs}, {hidden}) on a batch of {batch}", (x, h, cell)))
    x, h, cell = cases[0][1]
    with torch.no_grad():
        name_mistake(gru_step, (x, h, cell), _gru_variants(x, h, cell))

    def reference(x, h, cell):
        with torch.no_grad():
            return cell(x, h)

    function(gru_step, reference, cases, name="gru_step(x, h, cell)", atol=1e-5)


# Exercise 7: the mean of the states over the real tokens.

def _reference_mean_pool(outputs, lengths):
    return torch.stack([outputs[row, :length].mean(dim=0) for row, length in enumerate(lengths.tolist())])


def _check_mean_pool(mean_pool):
    generator = torch.Generator().manual_seed(97)
    outputs, lengths, _ = _padded_run(generator, 3, 8, 3, 4, [5, 2, 7])
    real = (torch.arange(8) < lengths[:, None]).unsqueeze(-1)
    name_mistake(mean_pool, (outputs, lengths), (
        (outputs.mean(dim=1), "That averages the padded steps too: the mean must run over each sequence's real "
                              "tokens only."),
        ((outputs * real).sum(dim=1) / 8, "The sum over the real tokens is right, but it is divided by the padded "
                                          "length of the batch, not by each sequence's own number of tokens."),
        ((outputs * real).sum(dim=1), "That is the sum over the real tokens, not their mean."),
    ))
    cases = [(description, arguments) for description, arguments, _ in _padded_cases(7)]
    function(mean_pool, _reference_mean_pool, cases, name="mean_pool(outputs, lengths)", atol=1e-5)


# Exercise 8: the forget-gate bias that keeps a tenth of the first symbol over 49 steps.

_KEEP = 0.1 ** (1 / 49)
_BIAS = math.log(_KEEP / (1 - _KEEP))


def _check_gate_bias(bias):
    value = as_number(bias, name="The bias")
    fifty = 0.1 ** (1 / 50)
    if math.isclose(value, _KEEP, rel_tol=1e-3):
        raise NotQuite(f"{value:.4g} is the gate value sigma(b) whose 49th power is 0.1; the question asks for the "
                       "bias b that gives it.")
    if math.isclose(value, math.log(fifty / (1 - fifty)), rel_tol=1e-3):
        raise NotQuite(f"{value:.4g} is the bias for 50 multiplications; the first token is followed by 49 "
                       "distractors.")
    if math.isclose(value, math.log10(_KEEP / (1 - _KEEP)), rel_tol=1e-3):
        raise NotQuite(f"{value:.4g} uses the base-10 logarithm; the sigmoid's inverse uses the natural one.")
    number(bias, _BIAS, name="The bias", rel=3e-3)  # 3.03 counts


EXERCISES = [
    Exercise(
        chapter=9, number=5, names=("last_states",), checker=_check_last_states,
        hints=("Sequence i has its real tokens at time steps 0 to lengths[i] - 1; the padding follows.",
               "Index the rows and the time axis together: one time step per row, outputs[rows, steps], with "
               "rows = torch.arange(batch) and steps computed from the lengths.",
               "Time steps count from 0, so the last real token of sequence i is at step lengths[i] - 1."),
        solution_code="""
def last_states(outputs, lengths):
    rows = torch.arange(len(outputs), device=outputs.device)
    return outputs[rows, lengths - 1]  # time steps count from 0: the last real token is at lengths - 1
""",
        placeholder="""
def last_states(outputs, lengths):
    # outputs: (batch, time, hidden), the states at every step of a right-padded batch; lengths: (batch,)
    return ___  # (batch, hidden): each sequence's state at its last real token
""",
        wrong=(("def last_states(outputs, lengths):\n    return outputs[:, -1]", "last column of the padded batch"),
               ("def last_states(outputs, lengths):\n    return outputs[torch.arange(len(outputs)), lengths]",
                "one step too late"),
               ("def last_states(outputs, lengths):\n    return outputs[:, lengths - 1]", "its own length")),
        correct_message="These are the final states h_n that the packed sequence gives, without packing.",
    ),
    Exercise(
        chapter=9, number=6, names=("gru_step",), checker=_check_gru_step,
        hints=("cell.weight_ih has shape (3 * hidden, inputs): the rows of r, z and n stacked in that order; "
               "cell.weight_hh and the two biases are stacked the same way. .chunk(3, dim=1) splits a product "
               "into the three parts.",
               "r and z are sigmoids of the sum of their input part and their recurrent part; n is a tanh in which "
               "r multiplies the whole recurrent part of n, W_hn h + b_hn.",
               "The new state mixes n and the old h: h_new = (1 - z) * n + z * h."),
        solution_code="""
def gru_step(x, h, cell):
    x_r, x_z, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)  # the reset gate multiplies W_hn h + b_hn, after the product
    return (1 - z) * n + z * h  # z near 1 keeps the old state
""",
        placeholder="""
def gru_step(x, h, cell):
    # x: (batch, inputs), h: (batch, hidden); cell: an nn.GRUCell whose weights you use
    return ___  # the new state, (batch, hidden)
""",
        wrong=(("def gru_step(x, h, cell):\n"
                "    W_hn, b_hn = cell.weight_hh.chunk(3)[2], cell.bias_hh.chunk(3)[2]\n"
                "    x_r, x_z, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)\n"
                "    h_r, h_z, _ = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)\n"
                "    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)\n"
                "    n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)\n"
                "    return (1 - z) * n + z * h", "before the product"),
               ("def gru_step(x, h, cell):\n"
                "    x_r, x_z, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)\n"
                "    h_r, h_z, h_n = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)\n"
                "    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)\n"
                "    n = torch.tanh(x_n + r * h_n)\n"
                "    return z * n + (1 - z) * h", "swapped"),
               ("def gru_step(x, h, cell):\n"
                "    x_z, x_r, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)\n"
                "    h_z, h_r, h_n = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)\n"
                "    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)\n"
                "    n = torch.tanh(x_n + r * h_n)\n"
                "    return (1 - z) * n + z * h", "wrong order"),
               ("def gru_step(x, h, cell):\n"
                "    W_hn, b_hn = cell.weight_hh.chunk(3)[2], cell.bias_hh.chunk(3)[2]\n"
                "    x_r, x_z, x_n = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)\n"
                "    h_r, h_z, _ = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)\n"
                "    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)\n"
                "    n = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)\n"
                "    return (1 - z) * n + z * h", "b_hn is added outside")),
        correct_message="This is nn.GRUCell's step; the chapter's gru_by_hand runs it over time.",
    ),
    Exercise(
        chapter=9, number=7, names=("mean_pool",), checker=_check_mean_pool,
        hints=("Build a (batch, time) mask that is True on each sequence's real steps: compare torch.arange(time) "
               "with the lengths, broadcast as a column.",
               "Zero the padded states with the mask (add a last axis to it so it broadcasts over hidden), sum over "
               "time, and divide by each sequence's own length."),
        solution_code="""
def mean_pool(outputs, lengths):
    real = torch.arange(outputs.shape[1], device=outputs.device) < lengths[:, None]  # (batch, time): True if real
    return (outputs * real[:, :, None]).sum(dim=1) / lengths[:, None]
""",
        placeholder="""
def mean_pool(outputs, lengths):
    # outputs: (batch, time, hidden), the states at every step of a right-padded batch; lengths: (batch,)
    return ___  # (batch, hidden): each sequence's mean state over its real tokens
""",
        wrong=(("def mean_pool(outputs, lengths):\n    return outputs.mean(dim=1)", "averages the padded steps"),
               ("def mean_pool(outputs, lengths):\n"
                "    real = torch.arange(outputs.shape[1]) < lengths[:, None]\n"
                "    return (outputs * real[:, :, None]).sum(dim=1) / outputs.shape[1]", "padded length"),
               ("def mean_pool(outputs, lengths):\n"
                "    real = torch.arange(outputs.shape[1]) < lengths[:, None]\n"
                "    return (outputs * real[:, :, None]).sum(dim=1)", "not their mean")),
        correct_message="This is PooledRNN's readout, which also clamps the count at 1 for rows without real tokens.",
    ),
    Exercise(
        chapter=9, number=8, names=("bias",), checker=_check_gate_bias,
        hints=("Find first the gate value p with p ** 49 = 0.1, then the bias b with sigmoid(b) = p.",
               "The sigmoid's inverse is the logit, ln(p / (1 - p)); torch.logit computes it (math.log would need "
               "`import math`, which this chapter has not made)."),
        solution_code="""
keep = 0.1 ** (1 / 49)  # the gate value whose 49th power is 0.1: about 0.954
bias = torch.logit(torch.tensor(keep, dtype=torch.float64)).item()  # sigmoid(bias) = keep: about 3.03
""",
        placeholder="bias = ___  # the b with sigmoid(b) ** 49 = 0.1",
        wrong=(("bias = 0.1 ** (1 / 49)", "gate value"),
               ("bias = torch.logit(torch.tensor(0.1 ** (1 / 50))).item()", "50 multiplications"),
               ("bias = 2.0", "not right")),
        correct_message=f"b = {_BIAS:.3f}: the chapter's +3 gives a factor of about 0.09.",
    ),
]
