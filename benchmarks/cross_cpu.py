"""Do PyTorch's CPU results depend on the processor? The same computation on emulated processors.

Runs one probe (ten training steps of a small MLP with Adam and of a small CNN
with SGD, and torch.sqrt checked against correctly rounded square roots) on
this machine and, through QEMU's user-mode emulator (`qemu-x86_64 -cpu
MODEL`, Debian's qemu-user package), on processors this machine is not: QEMU
answers CPUID as MODEL would, so PyTorch, oneDNN and MKL choose the kernels
they would choose there. Each run is made in the pinned setting of
booktools.numerics and in the native one. A probe whose weights' digest agrees
with this machine's pinned one would reproduce the book's committed outputs.

Emulation computes in software: IEEE operations (add, multiply, fused
multiply-add, square root) are exact there as on any processor, but the
approximate instructions (reciprocal and reciprocal square root estimates)
are QEMU's, not the emulated processor's, so a difference that only such
instructions explain says nothing certain about the real processor.

Example: python benchmarks/cross_cpu.py EPYC-Milan Haswell
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from booktools.numerics import chapter_environment  # noqa: E402

PROBE = """
import hashlib, numpy as np, torch, torch.nn as nn
torch.manual_seed(0)
def digest(model):
    return hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()[:12]
mlp = nn.Sequential(nn.Linear(30, 256), nn.Tanh(), nn.Linear(256, 256), nn.Sigmoid(), nn.Linear(256, 2))
cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
for model, optimizer, shape, classes in [(mlp, torch.optim.Adam(mlp.parameters(), 1e-3), (512, 30), 2),
                                         (cnn, torch.optim.SGD(cnn.parameters(), 0.05), (64, 1, 28, 28), 10)]:
    inputs, labels = torch.randn(*shape), torch.randint(0, classes, (shape[0],))
    for _ in range(10):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
x = torch.randn(512, 256).abs()
exact = torch.from_numpy(np.sqrt(x.numpy().astype(np.float64)).astype(np.float32))
print(torch.backends.cpu.get_cpu_capability(), digest(mlp), digest(cnn), int((torch.sqrt(x) != exact).sum()))
"""


def probe(environment, emulate=None):
    command = [sys.executable, "-c", PROBE]
    if emulate:
        command = ["qemu-x86_64", "-cpu", emulate, *command]
    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=1800)
    if run.returncode:
        raise SystemExit(f"the probe failed on {emulate or 'this machine'}:\n{run.stderr[-2000:]}")
    return run.stdout.split()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=["EPYC-Milan", "Haswell"],
                        help="QEMU CPU models to emulate (`qemu-x86_64 -cpu help` lists them)")
    args = parser.parse_args(argv)
    native = {name: value for name, value in os.environ.items() if name != "NBCODE_NUMERICS"}
    settings = {"pinned": chapter_environment(native), "native": chapter_environment(native | {"NBCODE_NUMERICS": "native"})}
    print(f"{'processor':22s}{'setting':9s}{'ATen':8s}{'MLP (Adam)':14s}{'CNN (SGD)':14s}inexact sqrt of 131,072")
    reference = None
    for emulate in [None, *args.models]:
        for setting, environment in settings.items():
            capability, mlp, cnn, inexact = probe(environment, emulate)
            reference = reference or (mlp, cnn)
            print(f"{emulate or 'this machine':22s}{setting:9s}{capability:8s}{mlp:14s}{cnn:14s}{inexact}")
    print(f"reference (this machine, pinned): MLP {reference[0]}, CNN {reference[1]}")


if __name__ == "__main__":
    main()
