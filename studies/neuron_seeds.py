"""Chapter 1's two classifiers over ten seeds: the breast-cancer neuron, and one neuron against one hidden layer on two moons.

Chapter 1 (01_neuron) trains one sigmoid neuron on the breast-cancer table (SGD, ``learning_rate``, batches of
``batch_size``, ``epochs`` epochs, the weights of the best validation loss) and tests it once; then, on
scikit-learn's two moons (300 training and 300 test points drawn with the seed), a single neuron and a network
with one hidden layer of 8 tanh neurons, each trained with 500 full-batch Adam steps. The chapter runs its seed,
which is this study's entry for seed 0: the code below is the chapter's, copied (the chapter keeps it visible
to teach it), in the chapter's order. Before the neuron is built, the chapter's earlier cells draw a 3-input
``nn.Linear``, a 30-to-4 ``nn.Linear`` and a batch of 5 x 30 normal numbers from the generator that
``nbcode.setup`` seeded; ``run`` draws them too, so that the neuron starts from the chapter's weights. The tests
check that the chapter's glued accuracies equal this study's entry for seed 0.

Per seed: the neuron's test accuracy and mistakes (of 114 tumours); on the moons, each model's training and test
accuracy, and whether the hidden layer is ahead on the test points. About 2 s per seed on one core.
"""

CHAPTER = "01_neuron"
SETTINGS = {"epochs": 30, "batch_size": 32, "learning_rate": 0.1}
SEEDS = list(range(10))
SMOKE = {"epochs": 2}
PARAMETERS = {name: name for name in SETTINGS}  # the chapter's parameters of the same names
GLUE = {"neuron_test_acc": "neuron_test_acc", "moons_neuron_acc": "moons_neuron_acc",
        "moons_hidden_acc": "moons_hidden_acc"}


def run(seed, epochs, batch_size, learning_rate):
    """The chapter's breast-cancer neuron and its two-moons cell, with ``seed``, on the CPU."""
    import torch
    from sklearn.datasets import make_moons
    from torch import nn
    from torch.nn import functional as F

    import nbcode
    from nbcode import metrics
    from nbcode.data import load_breast_cancer
    from nbcode.train import evaluate, fit, predict

    device = nbcode.setup(seed, "cpu")
    # The chapter's cells before the neuron draw these from the same generator (a neuron, a layer, a batch).
    nn.Linear(in_features=3, out_features=1)
    nn.Linear(30, 4)
    torch.randn(5, 30)

    class Neuron(nn.Module):
        def __init__(self, n_inputs):
            super().__init__()
            self.linear = nn.Linear(n_inputs, 1)

        def forward(self, x):
            return self.linear(x).squeeze(-1)

    def bce_loss(logits, labels):
        return F.binary_cross_entropy_with_logits(logits, labels.float())

    data = load_breast_cancer(device=device)
    inputs, labels = data.train.tensors
    neuron = Neuron(inputs.shape[1]).to(device)
    optimizer = torch.optim.SGD(neuron.parameters(), lr=learning_rate)
    fit(neuron, bce_loss, optimizer, data.train, data.val, epochs=epochs, batch_size=batch_size,
        metrics={"acc": metrics.accuracy}, progress=False)
    logits, test_labels = predict(neuron, data.test)
    test = evaluate(neuron, data.test, bce_loss, {"acc": metrics.accuracy})
    measured = {"neuron_test_acc": round(test["acc"], 4), "neuron_test_errors": int(((logits > 0).long() != test_labels).sum())}

    def moons(data_seed, n=600):
        points, classes = make_moons(n_samples=n, noise=0.15, random_state=data_seed)
        points = torch.tensor(points, dtype=torch.float32, device=device)
        classes = torch.tensor(classes, device=device)
        return (points[: n // 2], classes[: n // 2]), (points[n // 2 :], classes[n // 2 :])

    def train_full_batch(model, points, classes, steps=500, lr=0.05):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(steps):
            optimizer.zero_grad()
            bce_loss(model(points).squeeze(-1), classes).backward()
            optimizer.step()
        return model

    def accuracy_of(model, points, classes):
        with torch.no_grad():
            return ((model(points).squeeze(-1) > 0).long() == classes).float().mean().item()

    run_seed = seed  # the chapter's moons_experiment(seed)
    torch.manual_seed(run_seed)
    (train_x, train_y), (test_x, test_y) = moons(run_seed)
    one_neuron = train_full_batch(nn.Linear(2, 1).to(device), train_x, train_y)
    hidden_layer = train_full_batch(nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(device),
                                    train_x, train_y)
    for name, model in (("neuron", one_neuron), ("hidden", hidden_layer)):
        measured[f"moons_{name}_train_acc"] = round(accuracy_of(model, train_x, train_y), 4)
        measured[f"moons_{name}_acc"] = round(accuracy_of(model, test_x, test_y), 4)
    measured["moons_hidden_ahead"] = measured["moons_hidden_acc"] > measured["moons_neuron_acc"]
    return measured
