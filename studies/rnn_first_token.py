"""Chapter 9's first-token task over ten seeds: which cells learn to carry one symbol across 49 distractors.

Each sequence has ``range_length`` one-hot tokens; its class is its first token, one of 4 symbols seen only
there, and the other tokens come from 8 further symbols. A plain RNN, an LSTM and a GRU with state size
``range_hidden`` (the gated cells with ``gate_bias`` added to the LSTM's forget-gate and the GRU's update-gate
biases, and, as the control, without it) train for ``range_steps`` Adam steps on fresh batches, the gradient
norm clipped to 1, and are scored on a fixed test set of 1,000 sequences. The chapter (09_rnn) runs seed 0,
which is this study's entry for seed 0: the code below is the chapter's cell, copied (the chapter keeps it
visible to teach it), and the tests check that the chapter's glued accuracies equal that entry. Beyond the
chapter, three gated cells train for ``long_steps``: the LSTM with the chapter's bias (continued), an LSTM with
forget-gate bias +3 and a GRU with update-gate bias +1.

Per seed and model: the test accuracy after ``range_steps`` and whether it reached 0.99 ("solved"), the mean
training loss of the last 20 steps, the largest gradient norm before clipping, whether every loss and norm was
finite; for the long runs the accuracy after ``long_steps``; for the plain RNN, its test accuracy's lowest and
highest value over the last 30 steps and the accuracy of its predictions under the best relabelling of the
four classes (how much of the first symbol its final state carries, whatever the readout makes of it), how
many steps clipping acted on and the first of them, and the largest singular value of its recurrent weights.
About 30 s per seed (all seven models) on one core of the recording machine.
"""

import math

CHAPTER = "09_rnn"
SETTINGS = {"range_length": 50, "range_hidden": 16, "range_steps": 300, "range_learning_rate": 1e-2,
            "gate_bias": 2.0, "batch_size": 64, "long_steps": 800}
PARAMETERS = {name: name for name in ("range_length", "range_hidden", "range_steps", "range_learning_rate",
                                      "gate_bias", "batch_size")}  # the chapter's parameters of the same names
SEEDS = list(range(10))
SMOKE = {"range_steps": 4, "long_steps": 6, "range_length": 10}
# name: (cell, bias added to the forget or update gate, None for the chapter's gate_bias; steps, None for range_steps)
MODELS = {"rnn": ("RNN", 0.0, None), "lstm": ("LSTM", None, "long"), "gru": ("GRU", None, None),
          "lstm_nobias": ("LSTM", 0.0, None), "gru_nobias": ("GRU", 0.0, None),
          "lstm_bias3": ("LSTM", 3.0, "long"), "gru_bias1": ("GRU", 1.0, "long")}
CHAPTER_MODELS = ("rnn", "lstm", "gru", "lstm_nobias", "gru_nobias")
GLUE = {f"range_{name}_acc": f"{name}_acc" for name in CHAPTER_MODELS}  # (its losses: to 3 digits)
N_CLASSES, N_DISTRACTORS, TEST_SIZE, LAST = 4, 8, 1000, 30


def run(seed, range_length, range_hidden, range_steps, range_learning_rate, gate_bias, batch_size, long_steps):
    """The chapter's first-token cell for one seed, on the CPU, and three gated cells trained for longer.

    The chapter's five models train for ``range_steps``; the LSTM with the chapter's bias goes on to
    ``long_steps`` (its state at ``range_steps`` is the chapter's, and its accuracy there is measured), and so do
    an LSTM with forget-gate bias +3 and a GRU with update-gate bias +1, which the chapter does not train.
    """
    import itertools

    import torch
    from torch import nn

    import nbcode

    nbcode.setup(seed, "cpu")

    def first_token_batch(size, generator):
        first = torch.randint(N_CLASSES, (size,), generator=generator)
        rest = torch.randint(N_CLASSES, N_CLASSES + N_DISTRACTORS, (size, range_length - 1), generator=generator)
        tokens = torch.cat([first[:, None], rest], dim=1)
        return nn.functional.one_hot(tokens, N_CLASSES + N_DISTRACTORS).float(), first

    class FirstTokenClassifier(nn.Module):
        def __init__(self, cell, bias):
            super().__init__()
            self.recurrent = getattr(nn, cell)(N_CLASSES + N_DISTRACTORS, range_hidden, batch_first=True)
            if cell != "RNN":
                with torch.no_grad():
                    self.recurrent.bias_ih_l0[range_hidden : 2 * range_hidden] += bias
            self.classifier = nn.Linear(range_hidden, N_CLASSES)

        def forward(self, x):
            _, state = self.recurrent(x)
            final = state[0] if isinstance(state, tuple) else state
            return self.classifier(final[-1])

    test_x, test_y = first_token_batch(TEST_SIZE, torch.Generator().manual_seed(10_000 + seed))

    def test_accuracy(model):
        with torch.no_grad():
            return (model(test_x).argmax(dim=1) == test_y).float().mean().item()

    measured = {}
    for name, (cell, bias, steps) in MODELS.items():
        torch.manual_seed(seed)
        model = FirstTokenClassifier(cell, gate_bias if bias is None else bias)
        optimizer = torch.optim.Adam(model.parameters(), lr=range_learning_rate)
        generator = torch.Generator().manual_seed(seed)
        losses, norms, last_accuracies = [], [], []
        for step in range(long_steps if steps == "long" else range_steps):
            x, y = first_token_batch(batch_size, generator)
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
            optimizer.step()
            losses.append(loss.item())
            if name == "rnn" and step >= range_steps - LAST:
                last_accuracies.append(test_accuracy(model))
            if step + 1 == range_steps:  # the chapter's model, as it ends
                accuracy = test_accuracy(model)
                last = losses[-20:]
                measured |= {f"{name}_acc": round(accuracy, 4), f"{name}_solved": accuracy >= 0.99,
                             f"{name}_final_loss": _number(sum(last) / len(last)),
                             f"{name}_max_grad_norm": _number(max(norms)),
                             f"{name}_finite": all(math.isfinite(v) for v in losses + norms)}
        if steps == "long":
            accuracy = test_accuracy(model)
            measured |= {f"{name}_acc_long": round(accuracy, 4), f"{name}_solved_long": accuracy >= 0.99}
        if name == "rnn":
            with torch.no_grad():
                predicted = model(test_x).argmax(dim=1)
            agree = torch.zeros(N_CLASSES, N_CLASSES)
            agree.index_put_((test_y, predicted), torch.ones(TEST_SIZE), accumulate=True)
            relabelled = max(sum(agree[true, label] for true, label in enumerate(labels)).item()
                             for labels in itertools.permutations(range(N_CLASSES))) / TEST_SIZE
            clipped = [step for step, norm in enumerate(norms) if norm > 1.0]
            measured |= {"rnn_acc_last_min": round(min(last_accuracies), 4),
                         "rnn_acc_last_max": round(max(last_accuracies), 4),
                         "rnn_relabelled_acc": round(relabelled, 4),
                         "rnn_clipped_steps": len(clipped), "rnn_first_clipped_step": clipped[0] + 1 if clipped else 0,
                         "rnn_recurrent_norm": round(torch.linalg.matrix_norm(
                             model.recurrent.weight_hh_l0.detach(), 2).item(), 4)}
    return measured


def _number(value):
    return round(value, 4) if math.isfinite(value) else None
