"""Wall-clock time to execute the whole book at its cpu defaults, as the tests do.

Runs nbval on every chapter (each notebook from a fresh kernel, outputs
compared with the committed ones, headline values checked) with the given
number of parallel workers, as `pytest -n 2` does in CI, and reports each
chapter's time and the total. The last line printed is the total in minutes.

Example: NBCODE_DATA=../shared/data python benchmarks/book_time.py --workers 2
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="chapters run at once (default 2, as in CI)")
    parser.add_argument("notebooks", nargs="*", default=["chapters"],
                        help="notebooks to run, e.g. chapters/02_forward.ipynb (default: every chapter)")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "pytest", "-q", *args.notebooks, "-n", str(args.workers), "--durations=0",
               "-o", "durations_min=0"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    chapters = {}
    for line in result.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)s call\s+chapters/(\w+)\.ipynb::", line)
        if match:
            chapters[match.group(2)] = chapters.get(match.group(2), 0.0) + float(match.group(1))
    for chapter, chapter_seconds in sorted(chapters.items()):
        print(f"{chapter:20} {chapter_seconds:7.1f} s")
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], sep="\n")
        raise SystemExit(f"the chapters' tests failed (exit {result.returncode}); the time is not meaningful")
    print(f"sum over chapters {sum(chapters.values()):.0f} s with {args.workers} worker(s)")
    print(f"{'whole book' if args.notebooks == ['chapters'] else 'these chapters'}: {seconds / 60:.1f} min wall clock")


if __name__ == "__main__":
    main()
