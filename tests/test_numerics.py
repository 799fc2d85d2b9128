"""The pinned numerical setting and the choice between exact and tolerant comparison."""

import subprocess
import sys

import pytest

from nbcode import numerics

PINS = "torch==2.14.1\nnumpy==2.4.6  # comment\n-e .\n"


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(PINS)
    return path


@pytest.fixture
def pinned_machine(monkeypatch):
    """x86-64 Linux with AVX2, no GPU, and exactly the versions of PINS installed."""
    monkeypatch.setattr(numerics.platform, "system", lambda: "Linux")
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(numerics, "_has_avx2", lambda: True)
    monkeypatch.setattr(numerics, "vendor", lambda: "AuthenticAMD")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("torch.backends.mps.is_available", lambda: False)
    installed = {"torch": "2.14.1+cu130", "numpy": "2.4.6"}
    monkeypatch.setattr(numerics, "_installed", installed.get)
    return installed


def test_requirements_pins_are_read_and_other_lines_ignored(requirements):
    assert numerics.pinned_requirements(requirements) == {"torch": "2.14.1", "numpy": "2.4.6"}


def test_the_pinned_machine_compares_exactly(pinned_machine, requirements):
    mode, reason = numerics.comparison_mode("AuthenticAMD", {}, requirements)
    assert mode == "exact" and "ATEN_CPU_CAPABILITY=avx2" in reason


@pytest.mark.parametrize("change, reason", [
    (lambda m, installed: installed.update(torch="2.15.0"), "torch 2.15.0 is installed; the outputs were made with 2.14.1"),
    (lambda m, installed: installed.pop("numpy"), "numpy is not installed"),
    (lambda m, installed: m.setattr(numerics.platform, "machine", lambda: "arm64"), "Linux on arm64"),
    (lambda m, installed: m.setattr(numerics, "_has_avx2", lambda: False), "no AVX2"),
    (lambda m, installed: m.setattr(numerics, "vendor", lambda: "GenuineIntel"), "GenuineIntel"),
    (lambda m, installed: m.setattr("torch.cuda.is_available", lambda: True), "a GPU is present"),
])
def test_anything_the_outputs_were_not_made_with_makes_it_tolerant(change, reason, pinned_machine, requirements,
                                                                   monkeypatch):
    change(monkeypatch, pinned_machine)
    mode, why = numerics.comparison_mode("AuthenticAMD", {}, requirements)
    assert mode == "tolerant" and reason in why


def test_each_chapter_compares_exactly_only_on_its_recording_vendor(pinned_machine, requirements, monkeypatch):
    assert numerics.comparison_mode("AuthenticAMD", {}, requirements)[0] == "exact"
    mode, why = numerics.comparison_mode("GenuineIntel", {}, requirements)
    assert mode == "tolerant" and "made on GenuineIntel" in why
    monkeypatch.setattr(numerics, "vendor", lambda: "GenuineIntel")
    assert numerics.comparison_mode("GenuineIntel", {}, requirements)[0] == "exact"
    mode, why = numerics.comparison_mode(None, {}, requirements)
    assert mode == "tolerant" and "no record of the processor" in why
    assert numerics.recorded_vendor({"nbcode": {"recorded_on": "GenuineIntel"}}) == "GenuineIntel"
    assert numerics.recorded_vendor({"kernelspec": {}}) is None


def test_native_numerics_and_missing_requirements_are_tolerant(pinned_machine, requirements, tmp_path):
    assert numerics.comparison_mode("AuthenticAMD", {"NBCODE_NUMERICS": "native"}, requirements)[0] == "tolerant"
    mode, why = numerics.comparison_mode("AuthenticAMD", {}, tmp_path / "absent.txt")
    assert mode == "tolerant" and "pinned versions are unknown" in why


def test_a_maintainer_can_force_either_mode(pinned_machine, requirements):
    pinned_machine["torch"] = "2.15.0"
    assert numerics.comparison_mode("AuthenticAMD", {"NBCODE_COMPARE": "exact"}, requirements) == (
        "exact", "forced by NBCODE_COMPARE=exact")
    pinned_machine["torch"] = "2.14.1"
    assert numerics.comparison_mode("AuthenticAMD", {"NBCODE_COMPARE": "tolerant"}, requirements)[0] == "tolerant"
    with pytest.raises(ValueError, match="NBCODE_COMPARE='strict'.*'exact', 'tolerant'"):
        numerics.comparison_mode("AuthenticAMD", {"NBCODE_COMPARE": "strict"}, requirements)


def test_chapter_environment_pins_the_code_paths_and_makes_the_data_folder_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environment = numerics.chapter_environment({"NBCODE_DATA": "../shared/data", "OPENBLAS_CORETYPE": "Zen"})
    assert {name: environment[name] for name in numerics.PINNED} == numerics.PINNED
    assert environment["OPENBLAS_CORETYPE"] == "Zen", "a machine's own OpenBLAS core type is kept"
    assert numerics.chapter_environment({})["OPENBLAS_CORETYPE"] == "Haswell"
    assert environment["NBCODE_DATA"] == str((tmp_path / ".." / "shared" / "data").resolve())
    native = numerics.chapter_environment({"NBCODE_NUMERICS": "native"})
    assert not set(numerics.PINNED) & set(native)
    with pytest.raises(ValueError, match="NBCODE_NUMERICS='avx2'.*'pinned'.*'native'"):
        numerics.chapter_environment({"NBCODE_NUMERICS": "avx2"})


TRAIN_A_CNN = """
import hashlib, torch, torch.nn as nn
import nbcode
nbcode.setup(seed=0, device="cpu")
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
optimizer = torch.optim.Adam(model.parameters(), 1e-3)
inputs, labels = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
for _ in range(10):
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(inputs), labels).backward()
    optimizer.step()
print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(),
      hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest())
"""


def _train(environment):
    run = subprocess.run([sys.executable, "-c", TRAIN_A_CNN], env=environment, capture_output=True, text=True,
                         timeout=120, check=True)
    return run.stdout.split()


@pytest.mark.skipif(not numerics._has_avx2(), reason="the pinned code path needs an AVX2 processor")
def test_the_pinned_setting_reaches_pytorch_and_is_reproducible():
    capability, threads, weights = _train(numerics.chapter_environment({"PATH": ""}))
    assert (capability, threads) == ("AVX2", "1")
    assert _train(numerics.chapter_environment({"PATH": ""}))[2] == weights
