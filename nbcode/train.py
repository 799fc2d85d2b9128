"""The training loop: :func:`fit`, :func:`evaluate`, :func:`predict` and :class:`History`.

Data is either in memory (a ``TensorDataset`` or an ``(inputs, targets)``
pair of tensors), which the loop slices with a random permutation each epoch,
with no per-example Python work, or any ``DataLoader`` yielding
``(inputs, targets)`` batches.
"""

import contextlib
import copy
import sys
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

__all__ = ["History", "fit", "evaluate", "predict", "count_parameters", "one_cycle_sgd", "mixed_precision",
           "autocast_dtype"]


@dataclass
class History:
    """What :func:`fit` measured: one dict per epoch, e.g. ``{"train_loss": .., "val_acc": ..}``."""

    epochs: list = field(default_factory=list)
    monitor: str = "val_loss"
    best_epoch: int = None
    best_state: dict = None  # the best epoch's weights, kept only by ``fit(..., restore_best=False)``

    def __getitem__(self, key):
        """All epochs' values of one quantity: ``history["val_acc"]``."""
        return [record[key] for record in self.epochs]

    def plot(self):
        """Training and validation curves, one panel per quantity."""
        from .plot import plot_history

        return plot_history(self)


def _as_dataset(data, name):
    if isinstance(data, (TensorDataset, DataLoader)):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(map(torch.is_tensor, data)):
        if len(data[0]) != len(data[1]):
            raise ValueError(
                f"{name} has {len(data[0])} inputs but {len(data[1])} targets; they must match."
            )
        return TensorDataset(*data)
    raise TypeError(
        f"{name} must be a TensorDataset, an (inputs, targets) pair of tensors or a "
        f"DataLoader, not {type(data).__name__}."
    )


def _batches(data, batch_size, shuffle, device):
    if isinstance(data, DataLoader):
        for inputs, targets in data:
            yield inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        return
    inputs, targets = data.tensors[0], data.tensors[1]
    order = torch.randperm(len(inputs), device=inputs.device) if shuffle else None
    for start in range(0, len(inputs), batch_size):
        if shuffle:
            index = order[start : start + batch_size]
            batch = inputs[index], targets[index]
        else:
            batch = inputs[start : start + batch_size], targets[start : start + batch_size]
        yield batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)


def _n_batches(data, batch_size):
    return len(data) if isinstance(data, DataLoader) else -(-len(data) // batch_size)


def count_parameters(model):
    """Number of trainable numbers in ``model``, the usual measure of its size."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


def one_cycle_sgd(model, max_lr, epochs, n_examples, batch_size, weight_decay=0.0):
    """The optimiser and schedule of chapter 6's fast recipe, for :func:`fit`.

    SGD with Nesterov momentum 0.9 and a ``OneCycleLR`` schedule that warms up
    to ``max_lr`` and anneals to almost zero over ``epochs`` epochs of
    ``n_examples`` in batches of ``batch_size`` (one scheduler step per batch,
    as :func:`fit` takes them). Returns ``(optimizer, scheduler)``.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True,
                                weight_decay=weight_decay)
    steps = epochs * -(-n_examples // batch_size)
    return optimizer, torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps)


def autocast_dtype(device, fast="auto"):
    """The 16-bit dtype the forward pass runs in on ``device``, or ``None`` for plain float32.

    With ``fast="auto"`` a CUDA GPU is chosen for by compute capability, because
    ``torch.cuda.is_bf16_supported()`` is also true where bfloat16 is only
    emulated: 8.0 and newer (A100, H100, L4, RTX 30xx and later) get
    ``torch.bfloat16``; 7.x (V100, T4), whose tensor cores multiply float16 but
    not bfloat16, get ``torch.float16``, which needs loss scaling; older GPUs,
    the CPU and MPS get ``None``, so CPU results reproduce exactly. ``False``
    is always ``None``; ``True`` forces autocast on any device: the GPU's
    16-bit dtype, bfloat16 everywhere else (how the unit tests run it on a CPU).
    """
    if fast not in ("auto", True, False):
        raise ValueError(f"fast={fast!r} must be 'auto', True or False.")
    if not fast:
        return None
    device = torch.device(device)
    if device.type != "cuda":
        return None if fast == "auto" else torch.bfloat16
    major, _ = torch.cuda.get_device_capability(device)
    if major == 7:
        return torch.float16  # Volta and Turing tensor cores multiply float16, not bfloat16
    if major < 7 and fast == "auto":
        return None  # no tensor cores: float16 would lose precision for little or no speed
    return torch.bfloat16


def _autocast(device, dtype):
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def _grad_scaler(device, dtype):
    """Loss scaling for float16, whose gradients would otherwise underflow to zero; a no-op otherwise."""
    return torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)


def mixed_precision(device, fast="auto"):
    """The autocast context for training loops written out by hand: :func:`fit`'s precision where it is safe.

    Wrap the forward pass and the loss, not ``backward()`` or the optimiser
    step: ``with mixed_precision(device): loss = loss_fn(model(x), y)``. It is
    :func:`autocast_dtype`'s choice with one exception: where that is float16
    (7.x GPUs such as the T4), it is plain float32, because float16 gradients
    underflow without the loss scaling that :func:`fit` does and a hand-written
    loop does not. So with ``fast="auto"``: bfloat16 autocast on GPUs of compute
    capability 8.0 and newer, float32 everywhere else, including the CPU, whose
    results reproduce exactly. ``fast`` is as in :func:`autocast_dtype`, except
    that a float16 choice still gives float32.
    """
    device = torch.device(device)
    dtype = autocast_dtype(device, fast)
    return _autocast(device, None if dtype == torch.float16 else dtype)


def _channels_last(inputs, dtype):
    """Image batches in channels-last memory, the layout tensor cores want for convolutions, under autocast."""
    return inputs.contiguous(memory_format=torch.channels_last) if dtype is not None and inputs.dim() == 4 else inputs


def _device_of(model):
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _loss(loss_fn, outputs, targets):
    try:
        return loss_fn(outputs, targets)
    except (RuntimeError, ValueError) as error:
        raise ValueError(
            f"The loss cannot compare model outputs of shape {tuple(outputs.shape)} "
            f"({outputs.dtype}) with targets of shape {tuple(targets.shape)} ({targets.dtype}): "
            f"{error}"
        ) from error


def _score(metrics, outputs, targets):
    return {name: metric(outputs, targets) for name, metric in (metrics or {}).items()}


@torch.no_grad()
def predict(model, data, batch_size=1024, fast="auto"):
    """Outputs of ``model`` for every example of ``data`` in order, and the targets.

    The model runs in evaluation mode (dropout off, batch norm using its running
    statistics) and is put back in the mode it was in. ``fast`` is as in
    :func:`fit`; under it the 16-bit outputs are cast back to float32.
    """
    data = _as_dataset(data, "data")
    device = _device_of(model)
    dtype = autocast_dtype(device, fast)
    was_training = model.training
    model.eval()
    outputs, targets = [], []
    for inputs, batch_targets in _batches(data, batch_size, False, device):
        with _autocast(device, dtype):
            batch_outputs = model(_channels_last(inputs, dtype))
        outputs.append(batch_outputs.float() if dtype is not None else batch_outputs)
        targets.append(batch_targets)
    model.train(was_training)
    return torch.cat(outputs), torch.cat(targets)


def evaluate(model, data, loss_fn=None, metrics=None, batch_size=1024, fast="auto"):
    """Loss (if ``loss_fn`` is given) and ``metrics`` of ``model`` on all of ``data``.

    ``metrics`` maps names to functions of ``(outputs, targets)``, such as
    :func:`nbcode.metrics.accuracy`; they see the whole dataset at once, so a
    score like F1 is computed from all predictions, not averaged over batches.
    """
    outputs, targets = predict(model, data, batch_size, fast)
    result = {"loss": _loss(loss_fn, outputs, targets).item()} if loss_fn else {}
    return result | _score(metrics, outputs, targets)


def fit(model, loss_fn, optimizer, train_data, val_data=None, *, epochs, batch_size=64,
        metrics=None, scheduler=None, monitor="loss", restore_best=True, progress=True, fast="auto"):
    """Train ``model`` for ``epochs`` epochs and return its :class:`History`.

    Each epoch has a training phase (``model.train()``, a shuffled pass over
    ``train_data`` in batches of ``batch_size``, one optimiser step per batch,
    then ``scheduler.step()`` if a scheduler is given, so use per-batch
    schedules such as ``OneCycleLR``) and, with ``val_data``, a validation phase
    (:func:`evaluate`: evaluation mode, no gradients). ``monitor`` names the
    validation quantity that picks the best epoch: ``"loss"`` (lower is better)
    or a key of ``metrics`` (higher is better). After the last epoch the model
    gets back the weights of its best epoch; with ``restore_best=False`` it keeps
    the last epoch's and ``history.best_state`` holds the best epoch's (a
    ``state_dict`` for ``model.load_state_dict``), so that both can be compared
    from one run. Progress shows as one line per
    epoch that ends with the epoch's numbers and no timings, so that a saved
    notebook shows the same text on every run.

    ``fast="auto"`` is the GPU path: the forward pass and loss run under
    autocast in :func:`autocast_dtype`'s 16-bit dtype and image batches use
    channels-last memory, the layout tensor cores want for convolutions, while
    weights, gradients and the optimiser stay float32. bfloat16 (GPUs of compute
    capability 8.0 and newer) has float32's range and needs no loss scaling;
    float16 (7.x, such as the T4) does, so the loss is scaled before
    ``backward()`` and the step is skipped when the scaled gradients overflow.
    On the CPU and older GPUs nothing changes, so CPU results reproduce exactly.
    ``True`` or ``False`` chooses either way on any device.
    """
    train_data = _as_dataset(train_data, "train_data")
    val_data = _as_dataset(val_data, "val_data") if val_data is not None else None
    if monitor != "loss" and monitor not in (metrics or {}):
        raise ValueError(f"monitor={monitor!r} must be 'loss' or one of the metrics {list(metrics or {})}.")
    device = _device_of(model)
    dtype = autocast_dtype(device, fast)
    scaler = _grad_scaler(device, dtype)
    if dtype is not None:
        model.to(memory_format=torch.channels_last)  # only 4-d weights change layout
    history = History(monitor=f"val_{monitor}" if val_data is not None else None)
    best_score, best_state = None, None
    width = len(str(epochs))
    for epoch in range(1, epochs + 1):
        model.train()
        bar = tqdm(total=_n_batches(train_data, batch_size), desc=f"epoch {epoch:>{width}}/{epochs}",
                   file=sys.stdout, disable=not progress, leave=True, dynamic_ncols=True)
        total_loss, seen, outputs, targets = 0.0, 0, [], []
        for inputs, batch_targets in _batches(train_data, batch_size, True, device):
            with _autocast(device, dtype):
                batch_outputs = model(_channels_last(inputs, dtype))
                loss = _loss(loss_fn, batch_outputs, batch_targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)  # skipped when float16 gradients overflowed
            scaler.update()
            if scheduler is not None:
                scheduler.step()  # every batch, skipped step or not, so the schedule lasts the run
            # Keep sums as tensors: calling .item() every step would wait for the GPU.
            total_loss = total_loss + loss.detach() * len(batch_targets)
            seen += len(batch_targets)
            if metrics:
                outputs.append(batch_outputs.detach().float() if dtype is not None else batch_outputs.detach())
                targets.append(batch_targets)
            bar.update()
        record = {"epoch": epoch, "train_loss": float(total_loss) / seen}
        if metrics:
            scores = _score(metrics, torch.cat(outputs), torch.cat(targets))
            record |= {f"train_{name}": value for name, value in scores.items()}
        if val_data is not None:
            scores = evaluate(model, val_data, loss_fn, metrics, batch_size=max(batch_size, 1024), fast=fast)
            record |= {f"val_{name}": value for name, value in scores.items()}
            score = -scores["loss"] if monitor == "loss" else scores[monitor]
            if best_score is None or score > best_score:
                best_score, history.best_epoch = score, epoch
                best_state = copy.deepcopy(model.state_dict())
        history.epochs.append(record)
        # The finished line replaces the live bar: numbers only, no timings.
        bar.bar_format = "{desc}"
        bar.set_description_str(_epoch_line(record, width, epochs), refresh=False)
        bar.close()
    if best_state is not None and not restore_best:
        history.best_state = best_state
    elif best_state is not None:
        model.load_state_dict(best_state)
        if progress:
            print(f"restored the weights of epoch {history.best_epoch} (best {history.monitor})")
    return history


def _epoch_line(record, width, epochs):
    numbers = "  ".join(f"{key} {value:.4f}" for key, value in record.items() if key != "epoch")
    return f"epoch {record['epoch']:>{width}}/{epochs}  {numbers}"
