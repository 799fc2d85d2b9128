"""Do the headline ranges hold on seeds the book never ran? Each study, run on seeds after its own.

A study repeats a chapter's cells for the seeds in its ``SEEDS`` (``studies/``), and
the ranges in ``booktools.variants.EXPECTED`` were set from those seeds with a margin.
This script runs studies on the next seeds (by default the two after the last
of ``SEEDS``), in the pinned numerics through ``python -m studies``, and checks
every value the study shares with its chapter (its ``GLUE``) against that
chapter's cpu range. It prints a table, adds each study's rows (with the
machine and date) to ``benchmarks/results/unseen_seeds.json``, and exits with
status 1 when a value falls outside its range.

Example: NBCODE_DATA=../shared/data python benchmarks/unseen_seeds.py cnn_vs_mlp rnn_first_token --count 3
"""

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import studies  # noqa: E402
from booktools.variants import EXPECTED  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "unseen_seeds.json"


def unseen_seeds(module, count):
    """The ``count`` seeds after the last one the study records."""
    first = max(module.SEEDS) + 1
    return list(range(first, first + count))


def ranged_glue(module):
    """``{glue name: measurement}`` of the study's shared values that have a cpu range."""
    ranges = EXPECTED.get(module.CHAPTER, {})
    return {glue: key for glue, key in module.GLUE.items() if glue in ranges}


def check(name, count):
    """Run study ``name`` on unseen seeds; return one row per seed and value, with the range and the verdict."""
    module = importlib.import_module(f"studies.{name}")
    glue = ranged_glue(module)
    if not glue:
        return [], None
    seeds = unseen_seeds(module, count)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "studies", name, "--seeds", *map(str, seeds), "--out", folder],
                       cwd=ROOT, check=True)
        record = json.loads((Path(folder) / f"{name}.json").read_text())
    rows = []
    for run in record["runs"]:
        for glue_name, key in glue.items():
            low, high = EXPECTED[module.CHAPTER][glue_name]["cpu"]
            value = float(run[key])
            rows.append({"study": name, "chapter": module.CHAPTER, "seed": run["seed"], "value_name": glue_name,
                         "value": value, "low": low, "high": high, "inside": low <= value <= high,
                         "seconds": run["seconds"]})
    return rows, {key: record[key] for key in ("cpu_vendor", "cpu_model", "torch", "numerics", "date")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"studies to try (default: all of {studies.names()})")
    parser.add_argument("--count", type=int, default=2, help="unseen seeds per study (default 2)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"result file (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    chosen = args.names or studies.names()
    unknown = sorted(set(chosen) - set(studies.names()))
    if unknown:
        parser.error(f"{unknown} are not studies; choose among {studies.names()}")
    if args.count < 1:
        parser.error("--count must be at least 1")
    # Rows of studies not run now stay in the file, so studies can be tried one at a time.
    recorded = json.loads(args.out.read_text()) if args.out.exists() else {"runs": {}}
    rows = []
    for name in chosen:
        study_rows, machine = check(name, args.count)
        if machine is None:
            print(f"{name}: shares no ranged value with its chapter; skipped")
            continue
        recorded["runs"][name] = {"machine": machine, "rows": study_rows}
        rows += study_rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=1) + "\n")
    outside = [row for row in rows if not row["inside"]]
    for row in rows:
        mark = "ok " if row["inside"] else "OUT"
        print(f"{mark} {row['study']:22} seed {row['seed']:>3}  {row['value_name']:34} {row['value']:<10g} "
              f"[{row['low']}, {row['high']}]")
    print(f"{len(rows) - len(outside)} of {len(rows)} values inside their cpu ranges; wrote {args.out}")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
