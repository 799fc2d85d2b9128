"""nbcode: the small library that the chapters of *Neural Networks, Tested* share.

Modules: :mod:`nbcode.data` (datasets as tensors), :mod:`nbcode.train` (the
training loop), :mod:`nbcode.models` (the models that more than one chapter or
benchmark trains), :mod:`nbcode.metrics`, :mod:`nbcode.plot`, :mod:`nbcode.pretrained`
(a pretrained sentence encoder), :mod:`nbcode.article_a` (article A's tabular
network and training loop, reproduced for chapters 5 and 6 to measure),
:mod:`nbcode.exercises` (the exercises that check themselves) and
:mod:`nbcode.studies` (the recorded studies' results, which chapters print).
The book's own machinery is not here but beside it, in ``booktools/``.
This file holds :func:`setup`, which every chapter calls first,
:func:`significant` and :func:`glue`.
"""

import os
import random
import sys

import numpy as np
import torch

__all__ = ["setup", "cpu_threads", "significant", "glue"]

# The output type under which myst-nb finds a glued value (myst_nb.ext.glue.GLUE_PREFIX).
GLUE_PREFIX = "application/papermill.record/"


def cpu_threads(threads="auto"):
    """Return the number of intra-op CPU threads PyTorch should use.

    ``"auto"`` uses ``NBCODE_THREADS`` if it is set, otherwise half the cores
    this process may run on (at least 1, at most 8). Half, because on a small
    machine another process is usually busy too (a second notebook under test,
    the browser, data loading), and PyTorch's worker threads slow down badly
    when they compete for cores: on a 2-core machine, two threads trained a
    small MLP 4-5 times slower than one thread while a second notebook ran, and
    were at best 1.3 times faster when nothing else ran.
    """
    if threads == "auto":
        threads = os.environ.get("NBCODE_THREADS", "auto")
    if threads == "auto":
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # macOS and Windows have no affinity masks
            cores = os.cpu_count() or 1
        return max(1, min(cores // 2, 8))
    try:
        count = int(threads)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise ValueError(
            f"threads={threads!r} is not a thread count: use 'auto' or a positive "
            "integer (also in the NBCODE_THREADS environment variable)."
        )
    return count


class _Rounded(float):
    """A float that prints only its significant digits: 3.33e+13, not 33300000000000.0."""

    def __new__(cls, value, digits):
        text = f"{value:.{digits}g}"
        rounded = super().__new__(cls, text)
        # "0" and "79" would read back as ints: keep a float's ".0", as repr does.
        rounded.text = text if any(mark in text for mark in ".enai") else text + ".0"
        return rounded

    def __repr__(self):
        return self.text


def significant(value, digits):
    """``value`` rounded to ``digits`` significant digits: a float that also prints that way.

    Chapters glue a measured number at the precision it can be trusted to: a
    rounding error such as 1.19e-07 to 2 digits, a ratio of gradient norms to
    3. Digits beyond that change with the processor or the library release,
    and a glued value that carries them would make the book's tests fragile.
    The glued text is what the value prints as, so it prints in ``g`` format
    (33300000000000.0 would show digits nobody measured).
    """
    return _Rounded(value, digits)


def glue(name, value):
    """Record ``value`` under ``name`` in the cell's outputs, for the book's text to quote.

    The book's pages write ``{glue:text}`name``` where a sentence quotes a
    number, and myst-nb fills in the value from the record this call leaves:
    the record is exactly what ``myst_nb.glue(name, value, display=False)``
    writes (tests/test_glue.py compares them), so the chapters need not import
    myst-nb, and neither Colab nor Jupyter shows it. Outside a Jupyter kernel
    (a plain script) there is no cell to record into, and it does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:  # a plain script: no cell, and no shell to start
        return
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + kind: data for kind, data in bundle.items()}, raw=True, metadata=metadata)


def _pick_device(device):
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind, _, index = str(device).partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and not index.isdigit()):
        raise ValueError(
            f"Unknown device {device!r}: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'."
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} needs a CUDA GPU, but PyTorch sees none here. "
                "Use device='auto' (GPU if there is one, else CPU) or device='cpu'. "
                "In Colab: Runtime > Change runtime type > GPU."
            )
        if index and int(index) >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={device!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s), numbered from 0."
            )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(
            f"device={device!r} needs Apple's Metal (MPS) backend, which is not available "
            "here. Use device='auto' or device='cpu'."
        )
    return torch.device(device)


def _use_deterministic_algorithms(mode):
    """``torch.use_deterministic_algorithms(mode)``, without loading the compiler.

    The public call imports ``torch._inductor`` only to copy ``mode`` into its
    config, 2-4 s of a chapter's start on a small CPU, for chapters that never
    compile. Set the flag directly, and give the compiler ``mode`` through its
    config when it is loaded, or else through the variable it reads when it loads.
    """
    set_flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if set_flag is None:  # a PyTorch without the private call: take the slow road
        torch.use_deterministic_algorithms(mode)
        return
    set_flag(mode, warn_only=False)
    inductor_config = sys.modules.get("torch._inductor.config")
    if inductor_config is not None:
        inductor_config.deterministic = mode
    else:
        os.environ["TORCHINDUCTOR_DETERMINISTIC"] = "1" if mode else "0"


def setup(seed=0, device="auto", threads="auto", deterministic="auto"):
    """Make a chapter reproducible and pick where it runs; return the device.

    Seeds Python, NumPy and PyTorch with ``seed``, sets the CPU thread count
    (see :func:`cpu_threads`) and resolves ``device``: ``"auto"`` picks CUDA,
    then Apple's MPS, then the CPU; naming a device that is absent raises an
    error that says what to use instead.

    ``deterministic="auto"`` makes PyTorch use deterministic algorithms on the
    CPU and MPS (an operation without one raises an error rather than silently
    varying), so committed outputs reproduce exactly. On a CUDA GPU it trades
    that for speed: cuDNN benchmarks its convolution algorithms and float32
    matrix products use TensorFloat-32, so runs agree only to within noise.
    ``True`` or ``False`` chooses either way on any device.
    """
    chosen = _pick_device(device)
    if deterministic == "auto":
        deterministic = chosen.type != "cuda"
    if deterministic not in (True, False):
        raise ValueError(f"deterministic={deterministic!r} must be 'auto', True or False.")
    torch.set_num_threads(cpu_threads(threads))
    # cuBLAS reads this when it starts; without it deterministic mode raises on GPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    _use_deterministic_algorithms(deterministic)
    torch.backends.cudnn.benchmark = not deterministic
    torch.set_float32_matmul_precision("highest" if deterministic else "high")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return chosen
