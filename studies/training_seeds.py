"""Chapter 5's classifier runs and its sine fit over ten seeds: test F1, optimisers, selection, decay, regularisation.

Chapter 5 (05_training) builds a 30-64-64-2 ReLU classifier with dropout 0.1 from its seed and trains copies of it
on the breast-cancer table for ``epochs`` epochs with batches of ``batch_size``: with SGD at 0.01, SGD with
momentum 0.9 and Adam at ``learning_rate`` (the optimiser comparison, each from the same weights and batches), and
with Adam as the chapter's model, whose weights of the best validation loss are tested once. It retrains that run
with article A's ``weight_decay=1e-7`` and records the decay's own part of every Adam step; trains the classifier
without dropout with Adam at 1e-2 and tests the last and the best epoch's weights; trains it with AdamW
(``weight_decay=1e-2``, exercise 2); and fits 20 noisy samples of sin x (drawn with the seed + 100) with a
1-128-128-1 network for ``regularisation_steps`` full-batch AdamW steps without regularisation, with weight decay
1.0 and with dropout 0.3. The chapter runs its seed, which is this study's entry for seed 0 (for the loops over
three or five seeds, their first run): the code below is the chapter's cells, copied (the chapter keeps them
visible to teach them), in the chapter's order, and the tests check that the chapter's glued values equal that
entry.

Per seed: the chapter's model's test F1 (malignant positive), accuracy and best epoch; whether the final training
losses are ordered SGD > momentum > Adam; the selection run's best epoch, the test loss that restoring its weights
saves and the change of test F1; whether AdamW's test F1 equals Adam's, and the ratio of their weights' norms; the
sine fits' mean squared error against sin x and whether decay and dropout lower it; the parameters with a zero
gradient on the whole training set at the end of the Adam run and the median fraction of eta that the decay alone
moves their weights; the share of the decay's own steps (squared norm) on the 1% of parameters it moves most, how
many of those had a zero gradient at the first step and how many of all the parameters did, and the decay's own steps over the change in the final
weights (norms). About 15 s per seed on one core of the recording machine.
"""

CHAPTER = "05_training"
SETTINGS = {"epochs": 40, "batch_size": 32, "learning_rate": 1e-3, "hidden": 64, "dropout": 0.1,
            "regularisation_steps": 2000}
SEEDS = list(range(10))
SMOKE = {"epochs": 3, "regularisation_steps": 100}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"training_test_f1": "test_f1", "training_test_acc": "test_acc", "training_best_epoch": "best_epoch",
        "training_zero_gradients": "zero_gradients", "training_decay_eps_median": "eps_median",
        "training_decay_top_share": "top_share", "training_decay_top_zero_at_start": "top_zero_at_start",
        "training_decay_own_ratio": "own_ratio", "training_decay_zero_at_start": "zero_at_start"}


def run(seed, epochs, batch_size, learning_rate, hidden, dropout, regularisation_steps):
    """The chapter's classifier runs with ``seed``, on the CPU, and its measurement of article A's decay."""
    import copy
    from functools import partial

    import torch
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from nbcode import metrics
    from nbcode.data import load_breast_cancer
    from nbcode.train import evaluate, fit, predict

    device = nbcode.setup(seed, "cpu")
    data = load_breast_cancer(device=device)
    malignant_f1 = partial(metrics.f1, positive=0)
    n_features = data.train.tensors[0].shape[1]

    class Classifier(nn.Module):
        def __init__(self, n_features, hidden, dropout):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, 2),
            )

        def forward(self, x):
            return self.layers(x)

    # The optimiser comparison, for the chapter's own seed (its first run_seed).
    optimisers = {"sgd": lambda p: torch.optim.SGD(p, lr=0.01),
                  "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
                  "adam": lambda p: torch.optim.Adam(p, lr=1e-3)}
    torch.manual_seed(seed)
    initial = Classifier(data.train.tensors[0].shape[1], hidden, dropout).to(device)
    final_loss = {}
    for name, make_optimiser in optimisers.items():
        model = copy.deepcopy(initial)
        torch.manual_seed(seed)
        final_loss[name] = fit(model, F.cross_entropy, make_optimiser(model.parameters()), data.train, data.val,
                               epochs=epochs, batch_size=batch_size, progress=False)["train_loss"][-1]

    # The training loop's run, with nbcode.fit.
    torch.manual_seed(seed)
    model = copy.deepcopy(initial)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    history = fit(model, F.cross_entropy, optimizer, data.train, data.val, epochs=epochs, batch_size=batch_size,
                  metrics={"f1": malignant_f1, "acc": metrics.accuracy}, monitor="loss", progress=False)

    # Article A's weight decay, measured (the chapter's cell, less its control run and its table by group).
    model.eval()
    model.zero_grad()
    F.cross_entropy(model(data.train.tensors[0]), data.train.tensors[1]).backward()
    model.train()
    gradient = torch.cat([p.grad.flatten() for p in model.parameters()])
    weights_without = torch.cat([p.detach().flatten() for p in model.parameters()])
    zero_gradient = gradient == 0
    decay_term = 1e-7 * weights_without[zero_gradient].abs()
    fraction = decay_term / (decay_term + 1e-8)

    decay_parts = [torch.zeros_like(p) for p in initial.parameters()]
    first_nonzero = [torch.full_like(p, float("inf")) for p in initial.parameters()]

    def record_decay(optimizer, args, kwargs, beta1=0.9, beta2=0.999, eps=1e-8, decay=1e-7):
        for part, first, parameter in zip(decay_parts, first_nonzero, optimizer.param_groups[0]["params"]):
            state = optimizer.state[parameter]
            t = int(state["step"]) + 1 if state else 1
            m, v = (state["exp_avg"], state["exp_avg_sq"]) if state else (0.0, 0.0)

            def adam_step(g):
                m_new, v_new = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
                return learning_rate * (m_new / (1 - beta1**t)) / ((v_new / (1 - beta2**t)).sqrt() + eps)

            batch_gradient = parameter.grad.detach()
            part += adam_step(batch_gradient + decay * parameter.detach()) - adam_step(batch_gradient)
            first.copy_(torch.where(first.isinf() & (batch_gradient != 0), float(t), first))

    torch.manual_seed(seed)
    repeat = copy.deepcopy(initial)
    with torch.no_grad():
        for parameter in repeat.parameters():
            parameter.mul_(1.0)
    decay_optimizer = torch.optim.Adam(repeat.parameters(), lr=learning_rate, weight_decay=1e-7)
    decay_optimizer.register_step_pre_hook(record_decay)
    fit(repeat, F.cross_entropy, decay_optimizer, data.train, data.val, epochs=epochs, batch_size=batch_size,
        metrics={"f1": malignant_f1, "acc": metrics.accuracy}, progress=False)
    weights_with = torch.cat([p.detach().flatten() for p in repeat.parameters()])
    change = weights_with - weights_without
    own_part = torch.cat([part.flatten() for part in decay_parts])
    first_step = torch.cat([first.flatten() for first in first_nonzero])
    most = own_part.abs().topk(len(own_part) // 100).indices

    test = evaluate(model, data.test, F.cross_entropy, {"acc": metrics.accuracy, "f1": malignant_f1})

    # When keeping the best weights matters: Adam at 1e-2 without dropout, the last and the best epoch's weights.
    torch.manual_seed(seed)
    run_model = Classifier(n_features, hidden, dropout=0.0).to(device)
    run_optimizer = torch.optim.Adam(run_model.parameters(), lr=1e-2)
    kept_history = fit(run_model, F.cross_entropy, run_optimizer, data.train, data.val, epochs=epochs,
                       batch_size=batch_size, restore_best=False, progress=False)
    last_test = evaluate(run_model, data.test, F.cross_entropy, {"f1": malignant_f1})
    run_model.load_state_dict(kept_history.best_state)
    best_test = evaluate(run_model, data.test, F.cross_entropy, {"f1": malignant_f1})

    # Exercise 2: AdamW with weight_decay=1e-2 against the Adam run above (train_seed in the chapter's last cells).
    torch.manual_seed(seed)
    net = Classifier(n_features, hidden, dropout).to(device)
    torch.manual_seed(seed)
    fit(net, F.cross_entropy, torch.optim.AdamW(net.parameters(), lr=learning_rate, weight_decay=1e-2), data.train,
        data.val, epochs=epochs, batch_size=batch_size, metrics={"f1": malignant_f1}, monitor="loss", progress=False)
    adamw_f1 = round(malignant_f1(predict(net, data.test)[0], data.test.tensors[1]), 4)
    adamw_norm = torch.cat([p.detach().flatten() for p in net.parameters()]).norm().item()

    # The regularisation section's sine fit: the chapter's points for this seed, and its first run (run_seed = seed).
    generator = torch.Generator().manual_seed(seed + 100)
    x_train = torch.rand(20, 1, generator=generator) * 6 - 3
    y_train = torch.sin(x_train) + 0.3 * torch.randn(20, 1, generator=generator)
    x_grid = torch.linspace(-3, 3, 200).unsqueeze(1)

    def fit_curve(run_seed, weight_decay=0.0, dropout=0.0):
        torch.manual_seed(run_seed)
        curve = nn.Sequential(nn.Linear(1, 128), nn.ReLU(), nn.Dropout(dropout),
                              nn.Linear(128, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))
        optimiser = torch.optim.AdamW(curve.parameters(), lr=1e-2, weight_decay=weight_decay)
        for _ in range(regularisation_steps):
            loss = F.mse_loss(curve(x_train), y_train)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        curve.eval()
        with torch.no_grad():
            return F.mse_loss(curve(x_grid), torch.sin(x_grid)).item()

    sine_errors = {name: fit_curve(seed, **options) for name, options in
                   (("none", {}), ("decay", {"weight_decay": 1.0}), ("dropout", {"dropout": 0.3}))}

    return {"test_f1": round(test["f1"], 4), "test_acc": round(test["acc"], 4), "best_epoch": history.best_epoch,
            "order_holds": bool(final_loss["sgd"] > final_loss["momentum"] > final_loss["adam"]),
            "selection_best_epoch": kept_history.best_epoch,
            "selection_gain": round(last_test["loss"] - best_test["loss"], 4),
            "selection_f1_change": round(best_test["f1"] - last_test["f1"], 4),
            "adamw_same_f1": adamw_f1 == round(test["f1"], 4),
            "adamw_norm_ratio": round(adamw_norm / weights_without.norm().item(), 4),
            "sine_error_none": round(sine_errors["none"], 4), "sine_error_decay": round(sine_errors["decay"], 4),
            "sine_error_dropout": round(sine_errors["dropout"], 4),
            "sine_decay_better": sine_errors["decay"] < sine_errors["none"],
            "sine_dropout_better": sine_errors["dropout"] < sine_errors["none"],
            "zero_gradients": int(zero_gradient.sum()),
            "eps_median": float(nbcode.significant(fraction.median().item(), 2)),
            "top_share": float(nbcode.significant((own_part[most].norm() ** 2 / own_part.norm() ** 2).item(), 2)),
            "top_zero_at_start": int((first_step[most] > 1).sum()),
            "zero_at_start": int((first_step > 1).sum()),
            "own_ratio": float(nbcode.significant((own_part.norm() / change.norm()).item(), 2))}
