import contextlib
import re

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import nbcode
from nbcode import metrics
from nbcode import train
from nbcode.train import (History, autocast_dtype, count_parameters, evaluate, fit, mixed_precision, one_cycle_sgd,
                          predict)


def blobs(n=400, seed=0, spread=2.5):
    """Two Gaussian blobs in the plane, labelled 0 and 1, centred at (-spread, -spread) and (spread, spread)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=generator)
    points = torch.randn(n, 2, generator=generator) + spread * (2 * labels[:, None] - 1)
    return TensorDataset(points, labels)


def test_fit_learns_records_history_and_shows_one_line_per_epoch(capsys):
    nbcode.setup(0)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5),
                  blobs(), blobs(seed=1), epochs=4, batch_size=32, metrics={"acc": metrics.accuracy},
                  monitor="acc")
    assert [record["epoch"] for record in history.epochs] == [1, 2, 3, 4]
    assert set(history.epochs[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"}
    assert history["val_acc"][-1] > 0.95
    out = capsys.readouterr().out
    assert f"restored the weights of epoch {history.best_epoch} (best val_acc)" in out
    # What a screen (or a saved notebook) keeps of each progress bar: one line of numbers.
    shown = [re.sub(r"^.*\r(?=[^\n])", "", line) for line in out.split("\n")]
    assert re.fullmatch(r"epoch 1/4  train_loss \d\.\d{4}  train_acc \d\.\d{4}  val_loss \d\.\d{4}  val_acc \d\.\d{4}\s*",
                        shown[0])
    assert not any("it/s" in line or "s/it" in line for line in shown)


def overlapping_blobs(seed):
    """Blobs that overlap, so that no line separates them and each epoch's accuracy and loss differ."""
    return blobs(seed=seed, spread=0.75)


def train_with_a_peak(monitor):
    """A linear model after four epochs whose validation accuracy peaks at epoch 2 and loss at epoch 3.

    The learning rate is set per epoch: epoch 1 barely moves, epoch 2 takes a
    large step and epoch 3 a smaller one that lowers the loss but not the
    accuracy, and epoch 4's negative rate climbs the loss, so both get worse.
    Epoch 1 has the lowest accuracy, epoch 4 the highest loss.
    """
    nbcode.setup(0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    rates = [0.025, 8.0, 2.0, -0.5]
    # 13 batches per epoch; the scheduler's step after the last batch sets a rate that is never used.
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: rates[min(step, 51) // 13])
    history = fit(model, nn.CrossEntropyLoss(), optimizer, overlapping_blobs(0), overlapping_blobs(1), epochs=4,
                  batch_size=32, scheduler=scheduler, metrics={"acc": metrics.accuracy}, monitor=monitor,
                  progress=False)
    return model, history


def test_fit_restores_the_best_epoch_by_a_metric():
    # Higher is better for a metric: epoch 2, neither the first nor the last, and not the loss's best.
    model, history = train_with_a_peak("acc")
    accuracies = history["val_acc"]
    assert history.best_epoch == 2
    assert all(accuracies[1] > accuracy for accuracy in accuracies[:1] + accuracies[2:])
    restored = evaluate(model, overlapping_blobs(1), metrics={"acc": metrics.accuracy})["acc"]
    assert restored == accuracies[1] and restored != accuracies[-1]


def test_fit_restores_the_best_epoch_by_the_loss():
    # Lower is better for the loss: epoch 3, neither the first nor the last, and not the accuracy's best.
    model, history = train_with_a_peak("loss")
    losses = history["val_loss"]
    assert history.best_epoch == 3
    assert all(losses[2] < loss for loss in losses[:2] + losses[3:])
    restored = evaluate(model, overlapping_blobs(1), nn.CrossEntropyLoss())["loss"]
    assert restored == pytest.approx(losses[2]) and restored != pytest.approx(losses[-1])


def test_restore_best_false_keeps_the_last_weights_and_hands_over_the_best():
    def run(restore_best):
        nbcode.setup(0)
        model = nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 if step < 13 else -1.0)
        history = fit(model, nn.CrossEntropyLoss(), optimizer, blobs(), blobs(seed=1), epochs=3, batch_size=32,
                      scheduler=scheduler, restore_best=restore_best, progress=False)
        return model, history

    restored, restored_history = run(True)
    last, history = run(False)
    assert restored_history.best_state is None and history.best_epoch == restored_history.best_epoch == 1
    assert evaluate(last, blobs(seed=1), nn.CrossEntropyLoss())["loss"] == pytest.approx(history["val_loss"][-1])
    last.load_state_dict(history.best_state)
    assert all(torch.equal(a, b) for a, b in zip(last.state_dict().values(), restored.state_dict().values()))


def test_in_memory_and_dataloader_paths_agree_without_shuffling():
    nbcode.setup(0)
    data = blobs(64)
    model = nn.Linear(2, 2)
    from_tensors = predict(model, data.tensors, batch_size=16)
    from_loader = predict(model, DataLoader(data, batch_size=16))
    assert torch.equal(from_tensors[0], from_loader[0]) and torch.equal(from_tensors[1], from_loader[1])
    history = fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                  DataLoader(data, batch_size=16, shuffle=True), epochs=1, progress=False)
    assert history.monitor is None and history.best_epoch is None


def test_training_is_reproducible_with_the_same_seed():
    def run():
        nbcode.setup(7)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        fit(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters()), blobs(), epochs=2, progress=False)
        return model[0].weight.detach().clone()

    assert torch.equal(run(), run())


def test_evaluate_uses_eval_mode_without_gradients_and_restores_the_mode():
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(2, 2))
    model.train()
    first, second = predict(model, blobs(50)), predict(model, blobs(50))
    assert torch.equal(first[0], second[0])  # dropout is off
    assert not first[0].requires_grad and model.training


def test_bad_inputs_get_clear_errors():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match="TensorDataset, an \\(inputs, targets\\) pair"):
        fit(model, loss, optimizer, [[1.0, 2.0]], epochs=1)
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        fit(model, loss, optimizer, (torch.zeros(10, 2), torch.zeros(9)), epochs=1)
    with pytest.raises(ValueError, match=r"outputs of shape \(4, 2\).*targets of shape \(4, 3\)"):
        fit(model, nn.MSELoss(), optimizer, (torch.zeros(4, 2), torch.zeros(4, 3)), epochs=1, progress=False)
    with pytest.raises(ValueError, match="monitor='f1'"):
        fit(model, loss, optimizer, blobs(), blobs(), epochs=1, metrics={"acc": metrics.accuracy}, monitor="f1")


def test_history_indexing():
    history = History(epochs=[{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.25}])
    assert history["train_loss"] == [0.5, 0.25]


def test_count_parameters_counts_weights_and_biases_that_train():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert count_parameters(model) == 3 * 4 + 4 + 4 * 2 + 2
    model[0].weight.requires_grad_(False)
    assert count_parameters(model) == 4 + 4 * 2 + 2


def test_one_cycle_sgd_peaks_at_max_lr_and_lasts_exactly_the_training_run():
    model = nn.Linear(3, 2)
    optimizer, schedule = one_cycle_sgd(model, max_lr=0.2, epochs=4, n_examples=95, batch_size=10)
    assert optimizer.defaults["nesterov"] and optimizer.defaults["momentum"] == 0.9
    rates = []
    for _ in range(4 * 10):  # 4 epochs of ceil(95 / 10) = 10 batches
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert max(rates) == pytest.approx(0.2) and rates[0] < 0.2 / 10
    with pytest.raises(ValueError):  # one step more than the run has
        schedule.step()


def tiny_cnn():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 2))


def images(n=256, seed=0):
    """8x8 colour images whose class is whether the left or the right half is brighter.

    Three channels, because with one the usual and the channels-last layouts are the same.
    """
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=generator)
    pictures = torch.rand(n, 3, 8, 8, generator=generator)
    pictures[labels == 1, :, :, :4] += 1
    pictures[labels == 0, :, :, 4:] += 1
    return TensorDataset(pictures, labels)


def test_fast_path_off_the_gpu_changes_nothing_bit_for_bit():
    # The committed notebook outputs were made on the CPU by the default, so it must stay plain float32.
    def train_cnn(**fast):
        nbcode.setup(0, device="cpu")
        model = tiny_cnn()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=2 * 8)
        history = fit(model, nn.CrossEntropyLoss(), optimizer, images(), images(seed=1), epochs=2, batch_size=32,
                      scheduler=schedule, metrics={"acc": metrics.accuracy}, progress=False, **fast)
        return history.epochs, model.state_dict()

    (default_history, default_weights), (plain_history, plain_weights) = train_cnn(), train_cnn(fast=False)
    assert default_history == plain_history
    assert all(torch.equal(default_weights[name], plain_weights[name]) for name in plain_weights)


def test_fast_path_trains_in_bfloat16_with_channels_last_and_float32_weights():
    # The GPU path, forced on the CPU (which has bfloat16 autocast too) so that CI exercises it.
    nbcode.setup(0, device="cpu")
    model = tiny_cnn()
    seen = []
    model[0].register_forward_hook(lambda module, inputs, output: seen.append(
        (inputs[0].is_contiguous(memory_format=torch.channels_last),
         module.weight.is_contiguous(memory_format=torch.channels_last), output.dtype)))
    history = fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), images(),
                  images(seed=1), epochs=3, batch_size=32, metrics={"acc": metrics.accuracy}, monitor="acc",
                  progress=False, fast=True)
    # Every forward pass, training and validation, of every epoch: 3 epochs of 256 / 32 = 8 training batches
    # and one validation batch (fit validates in batches of at least 1024).
    assert seen == [(True, True, torch.bfloat16)] * 3 * (8 + 1)
    assert model[0].weight.dtype == torch.float32
    assert history["val_acc"][-1] > 0.9
    outputs, _ = predict(model, images(seed=1), fast=True)
    assert seen[-1] == (True, True, torch.bfloat16) and outputs.dtype == torch.float32
    with pytest.raises(ValueError, match="fast="):
        fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), images(), epochs=1,
            fast="yes")


def test_mixed_precision_for_hand_written_loops():
    layer = nn.Linear(4, 2)
    x = torch.randn(3, 4)
    with mixed_precision("cpu"):  # "auto" off the GPU: float32, as the committed outputs were made
        assert layer(x).dtype == torch.float32
    with mixed_precision(torch.device("cpu"), fast=True):
        assert layer(x).dtype == torch.bfloat16
    assert layer(x).dtype == torch.float32 and layer.weight.dtype == torch.float32
    with pytest.raises(ValueError, match="fast='fp16' must be 'auto', True or False"):
        mixed_precision("cpu", fast="fp16")


@pytest.fixture
def cuda_gpu(monkeypatch):
    """Pretend to have a CUDA GPU of a given compute capability: ``cuda_gpu(7, 5)``."""
    def pretend(major, minor):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, minor))
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)  # even on a T4
        return torch.device("cuda")
    return pretend


@pytest.mark.parametrize("capability, dtype", [((9, 0), torch.bfloat16), ((8, 0), torch.bfloat16),
                                               ((7, 5), torch.float16), ((7, 0), torch.float16),
                                               ((6, 1), None)])
def test_autocast_dtype_follows_the_gpus_compute_capability(cuda_gpu, capability, dtype):
    gpu = cuda_gpu(*capability)
    assert autocast_dtype(gpu) == dtype
    assert autocast_dtype(gpu, fast=False) is None
    assert autocast_dtype(gpu, fast=True) == (dtype or torch.bfloat16)
    # fit scales the loss exactly when it autocasts to float16.
    assert train._grad_scaler(gpu, autocast_dtype(gpu)).is_enabled() == (dtype == torch.float16)


def test_autocast_dtype_off_the_gpu_is_float32_unless_forced():
    for device in ("cpu", torch.device("cpu"), "mps"):
        assert autocast_dtype(device) is None and autocast_dtype(device, fast=False) is None
        assert autocast_dtype(device, fast=True) == torch.bfloat16
    assert not train._grad_scaler(torch.device("cpu"), None).is_enabled()
    with pytest.raises(ValueError, match="fast='bf16' must be 'auto', True or False"):
        autocast_dtype("cpu", fast="bf16")


def test_mixed_precision_is_float32_where_fit_would_need_loss_scaling(cuda_gpu):
    assert isinstance(mixed_precision(cuda_gpu(7, 5)), contextlib.nullcontext)
    assert isinstance(mixed_precision(cuda_gpu(7, 5), fast=True), contextlib.nullcontext)
    assert isinstance(mixed_precision(cuda_gpu(6, 1)), contextlib.nullcontext)
    assert mixed_precision(cuda_gpu(8, 0)).fast_dtype == torch.bfloat16


def test_float16_path_scales_the_loss_and_still_learns(monkeypatch):
    # A T4's path, run on the CPU, whose autocast and GradScaler do float16 too.
    monkeypatch.setattr(train, "autocast_dtype", lambda device, fast="auto": torch.float16)
    scalers, make_scaler = [], train._grad_scaler

    def recorded_scaler(device, dtype):
        scalers.append(make_scaler(device, dtype))
        return scalers[-1]

    monkeypatch.setattr(train, "_grad_scaler", recorded_scaler)
    nbcode.setup(0, device="cpu")
    model = tiny_cnn()
    seen = []
    model[0].register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3 * 8)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, images(), images(seed=1), epochs=3, batch_size=32,
                  scheduler=schedule, metrics={"acc": metrics.accuracy}, monitor="acc", progress=False)
    assert set(seen) == {torch.float16} and model[0].weight.dtype == torch.float32
    (scaler,) = scalers
    assert scaler.is_enabled() and scaler.state_dict()["_growth_tracker"] == 3 * 8  # one update per step
    assert schedule.last_epoch == 3 * 8 and history["val_acc"][-1] > 0.9
