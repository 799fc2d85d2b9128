"""Recorded studies: measurements over many seeds that a chapter quotes but does not rerun.

A chapter trains once, with its seed, to stay within its time budget. Where the
text needs more than one run ("on 8 of 10 seeds", a range over seeds, another
setting), the runs are a *study*: code in the book's repository (``studies/``),
run with ``python -m studies NAME`` in the chapters' pinned numerics, whose
result file ships inside this package (``nbcode/results/NAME.json``), so a
reader in Colab prints the same table as the website. The chapter's own run is
the study's entry for the chapter's seed, and the book's tests check that it is.

>>> study = load("article_a_seeds")
>>> study.table(["epochs_stuck", "test_acc"])   # one row per seed, then where it ran
>>> study.summary("test_acc")                   # {'mean': ..., 'min': ..., 'max': ..., 'n': ...}
"""

import json
import statistics
from importlib import resources

__all__ = ["Study", "load", "RESULTS"]

RESULTS = resources.files("nbcode") / "results"


class Study:
    """One study's result file: its settings, and one dict of measurements per seed."""

    def __init__(self, record):
        self.record = record
        self.name = record["study"]
        self.settings = record["settings"]
        self.runs = record["runs"]

    def entry(self, seed):
        """The measurements of one seed."""
        for run in self.runs:
            if run["seed"] == seed:
                return run
        raise KeyError(f"study {self.name!r} has no run with seed {seed}: its seeds are "
                       f"{[run['seed'] for run in self.runs]}")

    def values(self, key):
        """``key``'s value for every seed, in the study's seed order."""
        if any(key not in run for run in self.runs):
            known = sorted(set(self.runs[0]) - {"seed", "seconds"})
            raise KeyError(f"study {self.name!r} does not measure {key!r}; it measures {known}")
        return [run[key] for run in self.runs]

    def summary(self, key):
        """Mean, smallest and largest value of ``key`` over the seeds, and how many seeds."""
        values = self.values(key)
        return {"mean": statistics.fmean(values), "min": min(values), "max": max(values), "n": len(values)}

    def count(self, key):
        """How many seeds have a true value of ``key`` (a bool measurement such as "solved")."""
        return sum(bool(value) for value in self.values(key))

    def recorded(self):
        """Where and when the study ran, in words."""
        record = self.record
        seconds = statistics.fmean(self.values("seconds"))
        runs = (f"{len(self.runs)} seeds" if len(self.runs) > 1 else "one run (no seed changes it)",
                f"about {seconds:.0f} s per seed" if len(self.runs) > 1 else f"{seconds:.0f} s")
        return (f"Study {self.name!r}: {runs[0]}, recorded {record['date']} on {record['cpu_model']} "
                f"({record['cpu_vendor']}), PyTorch {record['torch']}, {runs[1]}.")

    def table(self, keys):
        """Print one row per seed with the measurements ``keys``, then where the study ran."""
        columns = [self.values(key) for key in keys]
        header = ["seed", *keys]
        rows = [[str(run["seed"]), *(_cell(column[i]) for column in columns)] for i, run in enumerate(self.runs)]
        widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(text.rjust(width) for text, width in zip(row, widths)))
        print(self.recorded())


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def load(name):
    """The recorded study ``name`` (a file ``nbcode/results/NAME.json`` of the installed package)."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        known = sorted(item.name.removesuffix(".json") for item in RESULTS.iterdir() if item.name.endswith(".json"))
        raise FileNotFoundError(f"no recorded study {name!r} in {RESULTS}: the recorded ones are {known}. "
                                "A maintainer records one with `python -m studies NAME` in the book's repository.")
    return Study(json.loads(path.read_text()))
