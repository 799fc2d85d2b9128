"""The CPU code paths the chapters run on, and how exactly their outputs can be compared.

PyTorch's CPU libraries choose their kernels by processor when they start:
ATen's own vectorised kernels (AVX-512, AVX2 or plain C++), oneDNN's
convolutions and MKL's matrix products. Kernels for different instruction sets
add numbers in different orders, so two machines disagree in the last bit of a
sum, and a few hundred optimiser steps later in the printed digits of an
accuracy. Measured on an AVX-512 machine, a small CNN trained for ten steps
ends with other weights under ``ATEN_CPU_CAPABILITY=avx2`` and again under
``ONEDNN_MAX_CPU_ISA=AVX2``; ``MKL_CBWR=COMPATIBLE`` changes a small MLP.

So the tests and ``python -m booktools.book run`` execute every chapter in one
pinned setting, :data:`PINNED`: the AVX2 code path of all three libraries
(every x86-64 processor of the last decade has AVX2) and one thread, since a
sum split over threads is added in an order that depends on the thread count.
Outputs recorded that way are meant to reproduce, bit for bit, on any x86-64
Linux machine with AVX2, the pinned requirements and a processor of the
vendor that recorded them, whatever its generation (MKL's vector math, behind
``torch.sqrt`` and so every Adam step, takes its own path on each vendor's
processors whatever ``MKL_CBWR`` says). ``python -m booktools.book run`` writes
that vendor into each chapter's metadata (:func:`recorded_vendor`), so chapters
recorded on different machines are each compared in the right mode;
``benchmarks/cross_cpu.py`` measures how far that holds on emulated processors.

Where that cannot hold (another PyTorch, Apple silicon, a GPU), the tests run
in *tolerant* mode instead: every chapter still runs; cells tagged
``numerical-noise`` run but are not compared, because what they print depends
on floating-point rounding (a rounding error such as 2.4e-07, or anything a
training run amplifies it into); every other cell (shapes, parameter counts,
data, exact identities) is compared exactly; and every headline value must
still fall in its range. :func:`comparison_mode` decides which;
``NBCODE_COMPARE=exact`` or ``tolerant`` forces either, and
``NBCODE_NUMERICS=native`` runs chapters on the processor's own code paths.
"""

import os
import platform
import re
from importlib import metadata
from pathlib import Path

__all__ = ["PINNED", "NOISE_TAG", "chapter_environment", "pinned_requirements", "recorded_vendor", "vendor",
           "machine_class", "comparison_mode"]

ROOT = Path(__file__).resolve().parent.parent

PINNED = {
    "ATEN_CPU_CAPABILITY": "avx2",  # ATen's vectorised kernels (elementwise ops, reductions, softmax)
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN: convolutions and pooling
    "MKL_CBWR": "AVX2",  # MKL's conditional numerical reproducibility: matrix products
    "NBCODE_THREADS": "1",  # nbcode.setup: one intra-op thread, so sums run in one order
    "OMP_NUM_THREADS": "1",  # MKL and OpenBLAS (NumPy, scikit-learn) threads
}
# NumPy's OpenBLAS: its Haswell kernels are its AVX2 ones. Only a default: some
# machines set their own core type because older OpenBLAS builds misbehave there.
PINNED_DEFAULTS = {"OPENBLAS_CORETYPE": "Haswell"}
NOISE_TAG = "numerical-noise"
CPUINFO = Path("/proc/cpuinfo")  # where Linux describes the processor (tests read other machines' text)
MODES = ("exact", "tolerant")


def chapter_environment(environ=None):
    """The environment variables to execute chapters with: ``environ`` plus :data:`PINNED`.

    ``NBCODE_NUMERICS=native`` leaves the code paths to the processor (to
    measure what pinning changes); a relative ``NBCODE_DATA`` becomes absolute
    here, against the folder the command was run in, because notebooks run in
    ``chapters/``, where the relative path would point elsewhere.
    """
    from nbcode.data import DATA_ENV, absolute_data_folder

    environ = dict(os.environ if environ is None else environ)
    numerics = environ.get("NBCODE_NUMERICS", "pinned")
    if numerics not in ("pinned", "native"):
        raise ValueError(f"NBCODE_NUMERICS={numerics!r}: use 'pinned' (the default) or 'native'.")
    if numerics == "pinned":
        environ.update(PINNED)
        for name, value in PINNED_DEFAULTS.items():
            environ.setdefault(name, value)
    if environ.get(DATA_ENV):
        environ[DATA_ENV] = str(absolute_data_folder(environ[DATA_ENV], Path.cwd()))
    return environ


def pinned_requirements(path=ROOT / "requirements.txt"):
    """``{package: version}`` for every ``name==version`` line of ``requirements.txt``."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.split("#")[0].strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _public(version):
    return version.split("+")[0]  # 2.14.1+cu130 and 2.14.1+cpu are both the release 2.14.1


def _installed(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpuinfo(field):
    """The first value of ``field`` in /proc/cpuinfo, or "" where there is none (not Linux)."""
    try:
        match = re.search(rf"^{field}\s*:(.*)$", CPUINFO.read_text(), re.MULTILINE)
    except OSError:
        return ""
    return match.group(1).strip() if match else ""


def _has_avx2():
    return "avx2" in _cpuinfo("flags").split()


def vendor():
    """This processor's vendor as Linux names it (``AuthenticAMD``, ``GenuineIntel``), or "" where unknown."""
    return _cpuinfo("vendor_id")


def machine_class():
    """The machine in words, for a chapter's stamp: "2-core AMD EPYC CPU (no GPU)"."""
    import torch

    model = _cpuinfo("model name") or platform.processor() or "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = f"with an {torch.cuda.get_device_name(0)} GPU" if torch.cuda.is_available() else "(no GPU)"
    return f"{cores}-core {model} CPU {gpu}"


def recorded_vendor(notebook_metadata):
    """The vendor of the processor a chapter's committed outputs were recorded on, or None if not recorded.

    Under emulation, Intel's CPUID gave correctly rounded square roots from MKL and AMD's did not,
    so the same pinned run prints other digits on the two vendors' processors.
    """
    return notebook_metadata.get("nbcode", {}).get("recorded_on")


def comparison_mode(recorded_on, environ=None, requirements=ROOT / "requirements.txt"):
    """``(mode, reason)``: whether outputs recorded on a ``recorded_on`` processor compare ``"exact"`` here.

    Exact needs what the committed outputs were made with: x86-64 Linux with
    AVX2 on a processor of the recording vendor, the pinned code paths, every version pinned in
    ``requirements.txt``, and no GPU (``device="auto"`` would pick it); anything else gives
    ``"tolerant"``. ``recorded_on`` is a vendor name (see :func:`recorded_vendor`); None, for a chapter
    without the record, gives ``"tolerant"``. ``NBCODE_COMPARE`` set to ``exact`` or ``tolerant``
    overrides the choice.
    """
    import torch

    environ = os.environ if environ is None else environ
    forced = environ.get("NBCODE_COMPARE", "auto")
    if forced in MODES:
        return forced, f"forced by NBCODE_COMPARE={forced}"
    if forced != "auto":
        raise ValueError(f"NBCODE_COMPARE={forced!r}: use 'exact', 'tolerant' or 'auto' (the default).")
    reasons = []
    system, machine = platform.system(), platform.machine()
    if (system, machine) != ("Linux", "x86_64"):
        reasons.append(f"this is {system} on {machine}; the committed outputs come from x86-64 Linux")
    elif not _has_avx2():
        reasons.append("this processor has no AVX2, the code path the committed outputs were made on")
    elif recorded_on is None:
        reasons.append("the outputs carry no record of the processor they were made on")
    elif vendor() != recorded_on:
        reasons.append(f"this processor is {vendor() or 'of an unknown vendor'}, the outputs were made on "
                       f"{recorded_on}, and MKL computes square roots differently there")
    if environ.get("NBCODE_NUMERICS", "pinned") != "pinned":
        reasons.append(f"NBCODE_NUMERICS={environ['NBCODE_NUMERICS']} leaves the code paths to the processor")
    requirements = Path(requirements)
    if not requirements.exists():
        reasons.append(f"{requirements} is missing, so the pinned versions are unknown")
    else:
        for package, pinned in pinned_requirements(requirements).items():
            installed = _installed(package)
            if installed is None:
                reasons.append(f"{package} is not installed; the outputs were made with {pinned}")
            elif _public(installed) != _public(pinned):
                reasons.append(f"{package} {installed} is installed; the outputs were made with {pinned}")
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        reasons.append("a GPU is present, and the chapters run on it (device='auto')")
    if reasons:
        return "tolerant", "; ".join(reasons)
    pinned = ", ".join(f"{name}={value}" for name, value in PINNED.items())
    return "exact", f"x86-64 Linux, {recorded_on} with AVX2, the pinned requirements, the CPU, {pinned}"
