import os
import subprocess
import sys
import random

import numpy as np
import pytest
import torch

import nbcode


def draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_same_seed_same_draws_and_deterministic_mode():
    nbcode.setup(seed=3, device="cpu")
    first = draws()
    nbcode.setup(seed=3, device="cpu")
    assert draws() == first
    assert torch.are_deterministic_algorithms_enabled()
    nbcode.setup(seed=4, device="cpu")
    assert draws() != first


def test_auto_device_is_what_is_available():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert nbcode.setup(device="auto").type == expected
    assert nbcode.setup(device="cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_without_gpu_says_what_to_use_instead():
    with pytest.raises(RuntimeError, match="no.*GPU|needs a CUDA GPU") as error:
        nbcode.setup(device="cuda")
    assert "device='cpu'" in str(error.value) and "device='auto'" in str(error.value)


@pytest.mark.parametrize("name", ["gpu", "tpu", "cuda:x", ""])
def test_unknown_device_names_the_choices(name):
    with pytest.raises(ValueError, match="Unknown device.*'auto', 'cpu', 'cuda'"):
        nbcode.setup(device=name)


def test_auto_threads_leave_half_the_cores(monkeypatch):
    monkeypatch.delenv("NBCODE_THREADS", raising=False)
    for cores, expected in [(1, 1), (2, 1), (4, 2), (16, 8), (64, 8)]:
        monkeypatch.setattr("os.sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False)
        assert nbcode.cpu_threads("auto") == expected


def test_threads_from_argument_and_environment(monkeypatch):
    monkeypatch.setenv("NBCODE_THREADS", "2")
    assert nbcode.cpu_threads("auto") == 2
    assert nbcode.cpu_threads(3) == 3
    nbcode.setup(threads=1)
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -2, "many", 1.5j])
def test_bad_thread_counts_are_refused(bad, monkeypatch):
    with pytest.raises(ValueError, match="not a thread count"):
        nbcode.cpu_threads(bad)
    monkeypatch.setenv("NBCODE_THREADS", "zero")
    with pytest.raises(ValueError, match="NBCODE_THREADS"):
        nbcode.setup()


def test_deterministic_switch():
    nbcode.setup(device="cpu", deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.benchmark
    assert torch.get_float32_matmul_precision() == "high"
    nbcode.setup(device="cpu")  # "auto": deterministic everywhere but on a CUDA GPU
    assert torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.benchmark
    assert torch.get_float32_matmul_precision() == "highest"
    with pytest.raises(ValueError, match="deterministic="):
        nbcode.setup(device="cpu", deterministic="yes")


def test_setup_leaves_the_compiler_unloaded_and_tells_it_the_mode():
    # A fresh interpreter: this one may have loaded the compiler already.
    script = (
        "import sys, torch, nbcode\n"
        "nbcode.setup(device='cpu')\n"
        "assert torch.are_deterministic_algorithms_enabled()\n"
        "print('torch._inductor' in sys.modules)\n"
        "import torch._inductor.config as config\n"
        "print(config.deterministic)\n"
        "nbcode.setup(device='cpu', deterministic=False)\n"
        "print(config.deterministic, torch.are_deterministic_algorithms_enabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TORCHINDUCTOR_DETERMINISTIC"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "True", "False", "False"]
