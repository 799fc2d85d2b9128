"""Chapter variants: one table of parameters per profile, and the runner.

Profiles:

- ``smoke``: tiny sizes, so that every chapter runs end to end in seconds on a CPU;
- ``cpu``: the defaults in each notebook's ``parameters`` cell, which made the
  committed outputs (a test checks that this table and the notebooks agree);
- ``gpu``: full-size runs for a GPU.

``EXPECTED`` holds the range each headline value must fall in, per profile,
read from ``chapters/headlines.toml`` (with the words for each value and the
study or seeds behind each range). Run variants with::

    python -m booktools.variants --profile smoke --out variants-out [01_neuron ...]

which executes the chapters with papermill, checks the expected ranges, and
writes ``summary.json`` and ``summary.md`` (seconds, glued values, parameters,
machine) to the output folder.
"""

import argparse
import ast
import json
import os
import platform
import sys
import time
from pathlib import Path

from .book import ROOT, glued_values
from .numerics import chapter_environment

__all__ = ["PROFILES", "VARIANTS", "HEADLINES_FILE", "read_headlines", "HEADLINES", "EXPECTED", "CPU_BUDGET_SECONDS", "plan", "check_values", "run_variant", "main"]

PROFILES = ("smoke", "cpu", "gpu")

VARIANTS = {
    "01_neuron": {
        "smoke": {"epochs": 2},
        "cpu": {"seed": 0, "device": "auto", "epochs": 30, "batch_size": 32, "learning_rate": 0.1},
        "gpu": {"device": "cuda"},
    },
    "02_forward": {
        "smoke": {"batch_size": 2, "uat_steps": 200, "uat_seeds": 2},
        "cpu": {"seed": 0, "device": "auto", "batch_size": 4, "n_inputs": 3, "n_hidden": 5, "n_outputs": 2,
                "uat_steps": 1500, "uat_seeds": 10},
        "gpu": {"device": "cuda"},
    },
    "03_losses": {
        "smoke": {"n_examples": 50},
        "cpu": {"seed": 0, "device": "auto", "n_examples": 1000, "n_classes": 5},
        "gpu": {"device": "cuda"},
    },
    "04_backprop": {
        "smoke": {"depth": 6, "width": 32},
        "cpu": {"seed": 0, "device": "auto", "n_examples": 16, "n_features": 4, "n_hidden": 8, "n_classes": 3,
                "depth": 30, "width": 256},
        "gpu": {"device": "cuda"},
    },
    "05_training": {
        "smoke": {"epochs": 3, "regularisation_steps": 100},
        "cpu": {"seed": 0, "device": "auto", "epochs": 40, "batch_size": 32, "learning_rate": 1e-3, "hidden": 64,
                "dropout": 0.1, "regularisation_steps": 2000},
        "gpu": {"device": "cuda"},
    },
    "06_mlp": {
        "smoke": {"article_a_epochs": 2, "tabular_epochs": 3, "article_b_epochs": 1, "article_b_train_size": 6000,
                  "fast_epochs": 1},
        "cpu": {"seed": 0, "device": "auto", "article_a_epochs": 100, "article_a_batch_size": 128,
                "tabular_epochs": 40, "article_b_epochs": 5, "article_b_train_size": None, "fast_epochs": 4,
                "fast_batch_size": 256,
                "fast_max_lr": 0.2},
        "gpu": {"device": "cuda"},
    },
    "07_cnn": {
        "smoke": {"fashion_epochs": 1, "mnist_epochs": 1, "subset": 1000, "article_train_size": 500,
                  "article_epochs": 1, "compare_train_size": 1000, "compare_epochs": 1, "residual_blocks": 2,
                  "residual_train_size": 500, "residual_epochs": 1},
        "cpu": {"seed": 0, "device": "auto", "fashion_epochs": 4, "mnist_epochs": 2, "cnn_width": 16,
                "batch_size": 128, "max_lr": 0.1, "article_train_size": 2000, "article_epochs": 2,
                "compare_train_size": 10000, "compare_epochs": 2, "residual_blocks": 6, "residual_width": 8,
                "residual_train_size": 3000, "residual_epochs": 2, "subset": None},
        # Run on this CPU by benchmarks/time_to_target.py (seed 0): width 16, batch 512, peak rate 0.4 gave MNIST
        # 0.9914 after 3 epochs (batch 1024: 0.9876) and Fashion 0.9238 after 15, short of the 0.93 aim (width 32 in
        # bfloat16: 0.9282); width 64 in bfloat16 reached 0.9316 on Fashion after 20 epochs but collapsed on MNIST
        # at that rate (0.1135 after 2 epochs), so width 16 stays until a GPU run settles a rate for both.
        "gpu": {"device": "cuda", "fashion_epochs": 15, "mnist_epochs": 4, "batch_size": 512, "max_lr": 0.4},
    },
    "08_autoencoder": {
        "smoke": {"epochs": 2, "denoising_epochs": 2, "batch_size": 32, "subset": 3000, "tsne_points": 300},
        "cpu": {"seed": 0, "device": "auto", "code_size": 32, "epochs": 6, "denoising_epochs": 4, "batch_size": 128,
                "learning_rate": 2e-3, "noise_std": 0.4, "subset": None, "tsne_points": 2000},
        "gpu": {"device": "cuda", "epochs": 30, "denoising_epochs": 30},
    },
    "09_rnn": {
        "smoke": {"subset": 2000, "epochs": 1, "long_length": 60, "range_steps": 200},
        "cpu": {"seed": 0, "device": "auto", "subset": None, "min_count": 2, "embedding_size": 64, "hidden_size": 64, "epochs": 10,
                "batch_size": 64, "learning_rate": 2e-3, "dropout": 0.3, "long_length": 150, "range_length": 50,
                "range_hidden": 16, "range_steps": 300, "range_learning_rate": 1e-2, "gate_bias": 2.0},
        "gpu": {"device": "cuda"},
    },
    "10_transformer": {
        "smoke": {"model_size": 32, "seq2seq_steps": 150, "charlm_size": 64, "charlm_layers": 2, "charlm_steps": 50,
                  "polarity_subset": 64, "pretrained_train_size": 64, "probe_label_counts": [16, 32],
                  "probe_subsamples": 2, "finetune_epochs": 1},
        "cpu": {"seed": 0, "device": "auto", "model_size": 64, "seq2seq_steps": 500, "seq2seq_learning_rate": 3e-3,
                "max_digits": 12, "charlm_context": 64, "charlm_size": 128, "charlm_layers": 3, "charlm_steps": 340,
                "charlm_batch_size": 32, "charlm_learning_rate": 8e-3, "charlm_dropout": 0.0,
                "pretrained_train_size": 8528, "polarity_subset": None, "probe_label_counts": [100, 1000],
                "probe_subsamples": 5, "finetune_epochs": 0},
        "gpu": {"device": "cuda", "charlm_context": 256, "charlm_size": 384, "charlm_layers": 6, "charlm_steps": 5000,
                "charlm_batch_size": 64, "charlm_learning_rate": 1e-3, "charlm_dropout": 0.2,
                "pretrained_train_size": 8528,
                "finetune_epochs": 3},
    },
    "11_gan": {
        "smoke": {"gan_steps": 300, "ema_decay": 0.98, "classifier_epochs": 2, "judge_train_size": 8000,
                  "n_samples": 200},
        "cpu": {"seed": 0, "device": "auto", "latent_size": 64, "width": 32, "gan_steps": 3400, "gan_batch_size": 32,
                "generator_learning_rate": 2e-4, "discriminator_learning_rate": 1e-4, "ema_decay": 0.995,
                "classifier_epochs": 3, "judge_train_size": None, "n_samples": 1000},
        "gpu": {"device": "cuda", "width": 64, "gan_steps": 20000, "gan_batch_size": 64, "ema_decay": 0.999,
                "classifier_epochs": 5},
    },
    "12_field_theory": {
        "smoke": {"ensemble_size": 20_000, "kurtosis_widths": [2, 4, 8], "kernel_ensemble_size": 20_000,
                  "kernel_width": 64, "deep_widths": [4, 16], "deep_ensemble_sizes": [100_000, 200_000],
                  "depth_ensemble_size": 5_000, "depth_widths": [32], "depths": [1, 2],
                  "training_widths": [16, 64], "training_steps": 100},
        "cpu": {"seed": 0, "device": "auto", "ensemble_size": 400_000, "kurtosis_widths": [2, 4, 8, 16, 32, 64, 128],
                "kernel_ensemble_size": 100_000, "kernel_width": 1024, "deep_widths": [4, 8, 16, 64, 256],
                "deep_ensemble_sizes": [1_000_000, 1_000_000, 1_000_000, 250_000, 16_000],
                "depth_ensemble_size": 100_000, "depth_widths": [32, 64, 128], "depths": [1, 2, 4, 8],
                "training_widths": [16, 64, 256, 1024, 4096, 16384], "training_steps": 2000},
        # Unmeasured: ten times the cpu ensembles, and one more width in each study.
        "gpu": {"device": "cuda", "ensemble_size": 4_000_000, "kurtosis_widths": [2, 4, 8, 16, 32, 64, 128, 256, 512],
                "kernel_ensemble_size": 1_000_000, "kernel_width": 4096, "deep_widths": [4, 8, 16, 64, 256, 1024],
                "deep_ensemble_sizes": [10_000_000, 10_000_000, 10_000_000, 2_500_000, 160_000, 10_000],
                "depth_ensemble_size": 1_000_000, "depth_widths": [32, 64, 128, 256], "depths": [1, 2, 4, 8, 16]},
    },
}

HEADLINES_FILE = ROOT / "chapters" / "headlines.toml"
_FIELDS = {"what", "seeds", "why", "smoke", "cpu"}


def read_headlines(path=HEADLINES_FILE):
    """``{chapter: {glued name: entry}}`` from the headlines file, each entry checked.

    An entry holds ``what``, ``seeds`` and ``why`` (words) and a ``[lowest,
    highest]`` range per profile; the gpu range is the cpu one where the file
    gives none. A missing field, an unknown one or a range that is not two
    ordered numbers is an error that names the entry.
    """
    import tomllib

    headlines = {}
    for chapter, names in tomllib.loads(Path(path).read_text()).items():
        headlines[chapter] = {}
        for name, entry in names.items():
            where = f"{Path(path).name}, [{chapter}.{name}]"
            missing, unknown = _FIELDS - set(entry), set(entry) - _FIELDS - {"gpu"}
            if missing or unknown:
                raise ValueError(f"{where}: " + "; ".join(
                    filter(None, [missing and f"missing {sorted(missing)}", unknown and f"unknown {sorted(unknown)}"])))
            entry = entry | {"gpu": entry.get("gpu", entry["cpu"])}
            for profile in PROFILES:
                low_high = entry[profile]
                numbers = isinstance(low_high, list) and all(
                    isinstance(end, (int, float)) and not isinstance(end, bool) for end in low_high)
                if not (numbers and len(low_high) == 2 and low_high[0] <= low_high[1]):
                    raise ValueError(f"{where}: {profile} = {low_high!r} is not [lowest, highest]")
                entry[profile] = tuple(low_high)
            headlines[chapter][name] = entry
    return headlines


# chapter -> glued name -> {"what", "seeds", "why", "smoke", "cpu", "gpu"}; the ranges are (lowest, highest).
HEADLINES = read_headlines()
# chapter -> glued name -> profile -> (lowest, highest) accepted value.
EXPECTED = {chapter: {name: {profile: entry[profile] for profile in PROFILES} for name, entry in names.items()}
            for chapter, names in HEADLINES.items()}


# Seconds each chapter may take at its cpu defaults on a 2-core machine (the issues' budgets).
CPU_BUDGET_SECONDS = {"default": 150, "10_transformer": 240, "11_gan": 240}


class VariantError(ValueError):
    """A request names a profile, chapter or parameter that does not exist."""


def plan(profile, chapters=None, root=ROOT):
    """Check a request and return ``[(chapter, notebook path, parameters)]``.

    Unknown profiles, chapters and parameter names are errors: papermill itself
    only warns when a parameter is not in the notebook, and the run would then
    silently use the default.
    """
    import papermill

    if profile not in PROFILES:
        raise VariantError(f"Unknown profile {profile!r}: choose one of {', '.join(PROFILES)}.")
    chapters = list(chapters) if chapters else list(VARIANTS)
    unknown = [chapter for chapter in chapters if chapter not in VARIANTS]
    if unknown:
        raise VariantError(f"Unknown chapter(s) {', '.join(unknown)}: the chapters are {', '.join(VARIANTS)}.")
    requests = []
    for chapter in chapters:
        path = Path(root) / "chapters" / f"{chapter}.ipynb"
        parameters = VARIANTS[chapter][profile]
        declared = papermill.inspect_notebook(str(path))
        misnamed = sorted(set(parameters) - set(declared))
        if misnamed:
            raise VariantError(
                f"{chapter} has no parameter(s) {', '.join(misnamed)} (profile {profile!r}); "
                f"its parameters cell declares {', '.join(declared) or 'none'}."
            )
        requests.append((chapter, path, parameters))
    return requests


def check_values(chapter, profile, values):
    """Messages for every headline value of ``chapter`` that is missing or out of range."""
    problems = []
    for name, ranges in EXPECTED.get(chapter, {}).items():
        low, high = ranges[profile]
        value = values.get(name)
        if not isinstance(value, (int, float)):
            problems.append(f"{chapter}: {name} was not glued as a number (got {value!r})")
        elif not low <= value <= high:
            problems.append(f"{chapter}: {name} = {value} is outside [{low}, {high}] ({profile} profile)")
    return problems


def _parameters_used(notebook):
    """``{name: value}`` of every parameter an executed notebook ran with.

    Its parameters cell's defaults, overridden by the cell papermill injected
    after it: read from what the kernel ran, not from what papermill was handed.
    """
    used = {}
    for cell in notebook.cells:
        if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
            for statement in ast.parse(cell.source).body:
                if isinstance(statement, ast.Assign):
                    used.update({target.id: ast.literal_eval(statement.value) for target in statement.targets})
    return used


def run_variant(chapter, path, parameters, out_dir):
    """Execute one chapter with ``parameters``; return its seconds, glued values and the parameters it ran with."""
    import nbformat
    import papermill

    output = Path(out_dir) / f"{chapter}.ipynb"
    start = time.perf_counter()
    papermill.execute_notebook(str(path), str(output), parameters=parameters, cwd=str(path.parent),
                               kernel_name="python3", progress_bar=False)
    seconds = time.perf_counter() - start
    executed = nbformat.read(output, as_version=4)
    return {"seconds": round(seconds, 1), "values": glued_values(executed), "parameters": _parameters_used(executed)}


def _machine():
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "cpu_count": os.cpu_count(), "gpu": gpu}


def _markdown(profile, summary):
    lines = [f"# Variant run: profile `{profile}`", "",
             f"Machine: {summary['machine']['platform']}, {summary['machine']['cpu_count']} CPUs, "
             f"GPU: {summary['machine']['gpu'] or 'none'}, torch {summary['machine']['torch']}", "",
             "| chapter | seconds | headline values | problems |", "| --- | ---: | --- | --- |"]
    for chapter, result in summary["chapters"].items():
        values = ", ".join(f"{name} = {value}" for name, value in result["values"].items())
        lines.append(f"| {chapter} | {result['seconds']} | {values} | {'; '.join(result['problems']) or 'none'} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m booktools.variants", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True, help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--out", required=True, type=Path, help="folder for executed notebooks and summaries")
    parser.add_argument("chapters", nargs="*", help="chapters to run, e.g. 01_neuron (default: all)")
    args = parser.parse_args(argv)
    try:
        requests = plan(args.profile, args.chapters)
    except VariantError as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.update(chapter_environment())  # papermill's kernels inherit it: the pinned numerics
    summary = {"profile": args.profile, "machine": _machine(), "chapters": {}}
    for chapter, path, parameters in requests:
        print(f"{chapter} ({args.profile}) ...", flush=True)
        result = run_variant(chapter, path, parameters, args.out)
        result["problems"] = check_values(chapter, args.profile, result["values"])
        summary["chapters"][chapter] = result
        print(f"  {result['seconds']} s, {result['values']}", *result["problems"], sep="\n  ")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "summary.md").write_text(_markdown(args.profile, summary))
    failed = any(result["problems"] for result in summary["chapters"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
