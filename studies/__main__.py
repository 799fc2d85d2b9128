"""Run recorded studies and write their result files into nbcode/results/.

Example: NBCODE_DATA=../shared/data python -m studies article_a_seeds
         NBCODE_DATA=../shared/data python -m studies --all

Studies run in the chapters' pinned numerics (booktools.numerics), like
``python -m booktools.book run``, so that a study's entry for the chapter's seed
reproduces the chapter's own run on a processor of the same vendor.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINNED_MARK = "NBCODE_STUDY_PINNED"


def result_path(name, folder=ROOT / "nbcode" / "results"):
    return Path(folder) / f"{name}.json"


def record(name, seeds=None, out_folder=ROOT / "nbcode" / "results", smoke=False):
    """Run study ``name`` for each seed and write its result file; return the record.

    ``smoke`` runs the study's tiny ``SMOKE`` settings instead, to check that its code runs.
    """
    import torch
    from tqdm.auto import tqdm

    from booktools import numerics

    module = importlib.import_module(f"studies.{name}")
    settings = {**module.SETTINGS, **(module.SMOKE if smoke else {})}
    seeds = list(module.SEEDS if seeds is None else seeds)
    runs = []
    for seed in tqdm(seeds, desc=name, unit="seed"):
        start = time.perf_counter()
        measurements = module.run(seed, **settings)
        runs.append({"seed": seed, **measurements, "seconds": round(time.perf_counter() - start, 1)})
        tqdm.write(json.dumps(runs[-1]))
    result = {"study": name, "chapter": module.CHAPTER, "settings": settings, "seeds": seeds, "runs": runs,
              "cpu_vendor": numerics.vendor(), "cpu_model": numerics._cpuinfo("model name") or platform.processor(),
              "torch": torch.__version__, "python": platform.python_version(),
              "numerics": "pinned" if all(os.environ.get(key) == value for key, value in numerics.PINNED.items())
              else "native",
              "date": datetime.date.today().isoformat()}
    path = result_path(name, out_folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")
    return result


def main(argv=None):
    from studies import names

    parser = argparse.ArgumentParser(prog="python -m studies", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of {names()}")
    parser.add_argument("--all", action="store_true", help="run every study")
    parser.add_argument("--seeds", type=int, nargs="+", help="only these seeds (to try; the book records SEEDS)")
    parser.add_argument("--out", type=Path, default=ROOT / "nbcode" / "results", help="folder for the result files")
    parser.add_argument("--smoke", action="store_true", help="the tiny SMOKE settings, to check the code (needs --out)")
    args = parser.parse_args(argv)
    chosen = names() if args.all else args.names
    unknown = sorted(set(chosen) - set(names()))
    if not chosen or unknown:
        parser.error(f"name one or more studies, or --all: {unknown or 'none named'} is not among {names()}")
    if args.smoke and args.out.resolve() == (ROOT / "nbcode" / "results").resolve():
        parser.error("--smoke results are not the book's: write them elsewhere with --out FOLDER")
    if os.environ.get(PINNED_MARK) != "1":
        # Environment variables choose PyTorch's kernels when it starts: rerun in a fresh interpreter.
        from booktools.numerics import chapter_environment

        environ = chapter_environment() | {PINNED_MARK: "1"}
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
        os.execve(sys.executable, [sys.executable, "-m", "studies", *(argv if argv is not None else sys.argv[1:])],
                  environ)
    for name in chosen:
        record(name, args.seeds, args.out, smoke=args.smoke)


if __name__ == "__main__":
    main()
