"""Break the code each test guards and check that the test notices.

A test that passes whatever the code does tells a maintainer that something is
checked when it is not. Each ``[[break]]`` in ``tests/breaks/*.toml`` names
one deliberate defect, an exact piece of text in one file and what to put in
its place, and the tests that must catch it::

    [[break]]
    name = "fit keeps the worst epoch"
    file = "nbcode/train.py"
    old = "score > best_score"
    new = "score < best_score"
    tests = ["tests/test_train.py::test_fit_restores_the_best_epoch_by_a_metric"]

For each break, in a temporary copy of this checkout (tracked and untracked
files, not ignored ones), the tests first run on the real code and must pass,
then the text is replaced (it must occur exactly once, or the break is stale)
and they must fail. The copy's own ``nbcode`` is imported (``PYTHONPATH``), so
notebook kernels and subprocesses see the break too. This is for maintainers,
not CI: ``python tests/breaks/run.py`` runs them all, ``-k text`` those whose
name, file or ``.toml`` file contains ``text``, ``--list`` lists them, ``--no-baseline`` skips
the runs on the real code. It exits 1 when any break goes unnoticed.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: find booktools in this checkout
from booktools.book import copy_checkout
FOLDER = Path(__file__).resolve().parent
FIELDS = {"name", "file", "old", "new", "tests"}


def load_breaks(folder=FOLDER):
    """Every break of every ``*.toml`` in ``folder``, checked for the fields it needs."""
    breaks = []
    for path in sorted(folder.glob("*.toml")):
        for number, entry in enumerate(tomllib.loads(path.read_text())["break"], 1):
            missing = FIELDS - set(entry)
            if missing:
                raise ValueError(f"{path.name}, break {number}: missing {sorted(missing)}; each needs {sorted(FIELDS)}")
            breaks.append(entry | {"source": path.name})
    return breaks


def run_tests(copy, tests):
    """Run ``tests`` in the copy with its own nbcode first on the path; return (exit code, output tail)."""
    environment = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")])),
                                "NBCODE_DATA": os.environ.get("NBCODE_DATA", str(ROOT.parent / "shared" / "data"))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests], cwd=copy,
                         capture_output=True, text=True, env=environment)
    return run.returncode, (run.stdout + run.stderr)[-1500:]


def check(entry, copy, baseline):
    """'caught', or what went wrong: the break no longer applies, the tests fail unbroken, or they pass broken."""
    path = copy / entry["file"]
    original = path.read_text()
    if original.count(entry["old"]) != 1:
        return f"stale: the text to replace occurs {original.count(entry['old'])} times in {entry['file']}", ""
    if baseline:
        code, output = run_tests(copy, entry["tests"])
        if code != 0:
            return "the tests fail on the real code", output
    path.write_text(original.replace(entry["old"], entry["new"]))
    try:
        code, output = run_tests(copy, entry["tests"])
    finally:
        path.write_text(original)
    if code == 1:
        return "caught", output
    if code == 0:
        return "NOT CAUGHT: the tests pass with the code broken", output
    return f"error: pytest exited {code} (not a test failure)", output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="pattern", default="", help="only breaks whose name, file or .toml contains this")
    parser.add_argument("--list", action="store_true", help="list the breaks and stop")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the tests on the real code")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output for every break")
    arguments = parser.parse_args(argv)
    breaks = [entry for entry in load_breaks()
              if any(arguments.pattern in entry[key] for key in ("name", "file", "source"))]
    if arguments.list:
        for entry in breaks:
            print(f"{entry['source']}: {entry['name']}  ({entry['file']} -> {' '.join(entry['tests'])})")
        return 0
    failures = 0
    with tempfile.TemporaryDirectory(prefix="nbcode-breaks-") as folder:
        copy = Path(folder)
        copy_checkout(copy, history=True)  # the browser test copies its checkout with git history, for the stamps
        for number, entry in enumerate(breaks, 1):
            start = time.monotonic()
            verdict, output = check(entry, copy, not arguments.no_baseline)
            failures += verdict != "caught"
            print(f"[{number}/{len(breaks)}] {verdict:<10} {entry['name']} ({time.monotonic() - start:.0f} s)",
                  flush=True)
            if verdict != "caught" or arguments.verbose:
                print("    " + output.replace("\n", "\n    "))
    print(f"{len(breaks) - failures} of {len(breaks)} breaks caught")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
