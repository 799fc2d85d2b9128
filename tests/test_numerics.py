"""The pinned numerical setting and the choice between exact and tolerant comparison."""

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import torch
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, start_new_kernel
from packaging.version import Version

from booktools import numerics

PINS = "torch==2.14.1\nnumpy==2.4.6  # comment\n-e .\n"

# README's table, "The same outputs on every machine": the setting every chapter runs in.
PINNED_SETTING = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "AVX2",
    "NBCODE_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_CORETYPE": "Haswell",  # unless the machine sets its own
}

# /proc/cpuinfo as Linux writes it (field names padded with tabs, one block per logical processor). The AMD EPYC's
# is copied from a 2-core Zen 3 virtual machine; the others are written in the same form with their processors'
# fields: an Intel Xeon server that can host virtual machines (so a "vmx flags" line follows "flags"), an Intel
# Xeon of 2013 with AVX but no AVX2, and an ARM server (AWS Graviton 2), which names no vendor and no flags.
AMD_EPYC_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht "
    "syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid "
    "extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt "
    "tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a "
    "misalignsse 3dnowprefetch osvw topoext ssbd ibrs ibpb stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 "
    "smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero "
    "xsaveerptr wbnoinvd arat umip pku ospke vaes vpclmulqdq rdpid fsrm"
)
AMD_EPYC = "\n".join(f"""\
processor\t: {core}
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
stepping\t: 1
microcode\t: 0x1000065
cpu MHz\t\t: 2445.404
cache size\t: 512 KB
physical id\t: 0
siblings\t: 2
core id\t\t: {core}
cpu cores\t: 2
apicid\t\t: {core}
initial apicid\t: {core}
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 16
wp\t\t: yes
flags\t\t: {AMD_EPYC_FLAGS}
bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso ibpb_no_ret spectre_v2_user tsa
bogomips\t: 4890.80
TLB size\t: 2560 4K pages
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 48 bits physical, 48 bits virtual
power management:
""" for core in range(2))
INTEL_XEON_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse "
    "sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl "
    "xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg "
    "fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
    "rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single intel_ppin ssbd mba ibrs "
    "ibpb stibp ibrs_enhanced tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep "
    "bmi2 erms invpcid cqm mpx rdt_a avx512f avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd "
    "avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local "
    "dtherm ida arat pln pts pku ospke avx512_vnni md_clear flush_l1d arch_capabilities"
)
INTEL_XEON = "\n".join(f"""\
processor\t: {core}
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz
stepping\t: 7
microcode\t: 0x5003604
cpu MHz\t\t: 3000.000
cache size\t: 36608 KB
physical id\t: 0
siblings\t: 48
core id\t\t: {core}
cpu cores\t: 24
apicid\t\t: {2 * core}
initial apicid\t: {2 * core}
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 22
wp\t\t: yes
flags\t\t: {INTEL_XEON_FLAGS}
vmx flags\t: vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset \
vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs pml ept_mode_based_exec tsc_scaling
bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit mmio_stale_data retbleed eibrs_pbrsb gds
bogomips\t: 6000.00
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 46 bits physical, 48 bits virtual
power management:
""" for core in range(2))
INTEL_XEON_WITHOUT_AVX2 = """\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 62
model name\t: Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz
stepping\t: 4
microcode\t: 0x42e
cpu MHz\t\t: 2800.000
cache size\t: 25600 KB
physical id\t: 0
siblings\t: 20
core id\t\t: 0
cpu cores\t: 10
apicid\t\t: 0
initial apicid\t: 0
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 13
wp\t\t: yes
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr \
sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology \
nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cx16 xtpr pdcm pcid dca \
sse4_1 sse4_2 x2apic popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm cpuid_fault pti ssbd ibrs ibpb \
stibp tpr_shadow vnmi flexpriority ept vpid fsgsbase smep erms xsaveopt dtherm ida arat pln pts md_clear flush_l1d
bugs\t\t: cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs itlb_multihit mmio_unknown
bogomips\t: 5600.00
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 46 bits physical, 48 bits virtual
power management:
"""
ARM_GRAVITON = "\n".join(f"""\
processor\t: {core}
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1
""" for core in range(2))


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(PINS)
    return path


@pytest.fixture
def pinned_machine(monkeypatch, tmp_path):
    """x86-64 Linux on the AMD EPYC of AMD_EPYC, no GPU, and exactly the versions of PINS installed.

    The processor is read from its /proc/cpuinfo text, not stood in for, so that a misreading fails here;
    writing another machine's text to ``numerics.CPUINFO`` changes the processor.
    """
    monkeypatch.setattr(numerics, "CPUINFO", tmp_path / "cpuinfo")
    numerics.CPUINFO.write_text(AMD_EPYC)
    monkeypatch.setattr(numerics.platform, "system", lambda: "Linux")
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
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
    (lambda m, installed: numerics.CPUINFO.write_text(INTEL_XEON_WITHOUT_AVX2), "no AVX2"),
    (lambda m, installed: numerics.CPUINFO.write_text(INTEL_XEON), "this processor is GenuineIntel"),
    (lambda m, installed: m.setattr("torch.cuda.is_available", lambda: True), "a GPU is present"),
])
def test_anything_the_outputs_were_not_made_with_makes_it_tolerant(change, reason, pinned_machine, requirements,
                                                                   monkeypatch):
    change(monkeypatch, pinned_machine)
    mode, why = numerics.comparison_mode("AuthenticAMD", {}, requirements)
    assert mode == "tolerant" and reason in why


def test_each_chapter_compares_exactly_only_on_its_recording_vendor(pinned_machine, requirements):
    assert numerics.comparison_mode("AuthenticAMD", {}, requirements)[0] == "exact"
    mode, why = numerics.comparison_mode("GenuineIntel", {}, requirements)
    assert mode == "tolerant" and "made on GenuineIntel" in why
    numerics.CPUINFO.write_text(INTEL_XEON)
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


@pytest.mark.parametrize("cpuinfo, vendor, model, avx2", [
    (AMD_EPYC, "AuthenticAMD", "AMD EPYC", True),
    (INTEL_XEON, "GenuineIntel", "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", True),
    (INTEL_XEON_WITHOUT_AVX2, "GenuineIntel", "Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz", False),  # AVX, not AVX2
    (ARM_GRAVITON, "", "", False),  # no vendor_id, model name or flags fields
    (None, "", "", False),  # no /proc/cpuinfo at all: not Linux
], ids=["amd-epyc", "intel-xeon", "intel-xeon-without-avx2", "arm", "not-linux"])
def test_the_processor_is_read_from_cpuinfo(cpuinfo, vendor, model, avx2, tmp_path, monkeypatch):
    monkeypatch.setattr(numerics, "CPUINFO", tmp_path / "cpuinfo")
    if cpuinfo is not None:
        numerics.CPUINFO.write_text(cpuinfo)
    assert (numerics.vendor(), numerics._cpuinfo("model name"), numerics._has_avx2()) == (vendor, model, avx2)


def test_this_machine_gets_the_mode_its_processor_and_installed_versions_call_for():
    """The real detection, without stand-ins, against a reading of this machine that does not use nbcode.

    On the recording machine a misreading of /proc/cpuinfo or of a version would quietly turn the book's own
    run to tolerant mode; elsewhere this checks that tolerant mode names what differs. Chapters recorded on
    either vendor are asked about: on x86-64 Linux with AVX2 and the pinned versions, one must compare exactly
    and the other tolerantly, naming this processor's vendor.
    """
    try:
        first_processor = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        first_processor = ""
    fields = dict((name.strip(), value.strip()) for name, _, value in
                  (line.partition(":") for line in first_processor.splitlines()))
    this_vendor, has_avx2 = fields.get("vendor_id", ""), "avx2" in fields.get("flags", "").split()
    differences = []  # what the outputs were not made with, whichever vendor made them
    for line in (Path(__file__).resolve().parents[1] / "requirements.txt").read_text().splitlines():
        package, pinned_to, pinned = line.split("#")[0].strip().partition("==")
        if not pinned_to:
            continue
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            differences.append(f"{package} is not installed")
            continue
        if Version(installed).public != Version(pinned).public:  # a local label (+cu130, +cpu) is the same release
            differences.append(f"{package} {installed} is installed")
    if torch.cuda.device_count() > 0 or torch.backends.mps.is_available():
        differences.append("a GPU is present")
    for recorded_on in ("AuthenticAMD", "GenuineIntel"):
        if (sys.platform, platform.machine()) != ("linux", "x86_64"):
            expected = [f"on {platform.machine()}"]
        elif not has_avx2:
            expected = ["no AVX2"]
        elif this_vendor != recorded_on:
            expected = [f"this processor is {this_vendor or 'of an unknown vendor'}", f"made on {recorded_on}"]
        else:
            expected = []
        expected += differences
        mode, reason = numerics.comparison_mode(recorded_on, {})
        assert mode == ("tolerant" if expected else "exact"), f"{recorded_on} outputs: {reason}"
        assert [part for part in expected if part not in reason] == [], f"{recorded_on} outputs: {reason}"


def test_chapter_environment_pins_the_code_paths_and_makes_the_data_folder_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert numerics.chapter_environment({}) == PINNED_SETTING
    own_choices = {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "ALL", "MKL_CBWR": "COMPATIBLE",
                   "OMP_NUM_THREADS": "8", "OPENBLAS_CORETYPE": "Zen"}
    environment = numerics.chapter_environment(own_choices | {"NBCODE_DATA": "../shared/data"})
    assert environment == PINNED_SETTING | {"OPENBLAS_CORETYPE": "Zen", "NBCODE_DATA": environment["NBCODE_DATA"]}, (
        "the pins override a machine's own settings, except its OpenBLAS core type")
    assert environment["NBCODE_DATA"] == str((tmp_path / ".." / "shared" / "data").resolve())
    assert numerics.chapter_environment({"NBCODE_NUMERICS": "native"}) == {"NBCODE_NUMERICS": "native"}
    with pytest.raises(ValueError, match="NBCODE_NUMERICS='avx2'.*'pinned'.*'native'"):
        numerics.chapter_environment({"NBCODE_NUMERICS": "avx2"})


# What a kernel or a subprocess sees of the pinned setting, as JSON.
PRINT_THE_SETTING = ("import json, os; print(json.dumps({name: os.environ.get(name) for name in %r}))"
                     % list(PINNED_SETTING))


def test_chapter_kernels_and_subprocesses_run_in_the_pinned_setting():
    """The root conftest.py pins the test session's environment, which nbval's kernels and subprocesses inherit."""
    manager, client = start_new_kernel(kernel_name=CURRENT_ENV_KERNEL_NAME)  # as nbval starts a chapter's kernel
    printed = []
    try:
        client.execute_interactive(PRINT_THE_SETTING, timeout=60, output_hook=lambda message: printed.append(
            message["content"]["text"] if message["msg_type"] == "stream" else ""))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    in_a_subprocess = subprocess.run([sys.executable, "-c", PRINT_THE_SETTING], capture_output=True, text=True,
                                     check=True).stdout
    expected = PINNED_SETTING | {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "Haswell")}
    assert json.loads("".join(printed)) == expected
    assert json.loads(in_a_subprocess) == expected


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
