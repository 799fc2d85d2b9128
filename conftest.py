"""Every test session executes chapters in one numerical setting and says how it compares them.

Notebook kernels, papermill runs and test subprocesses inherit this process's
environment, so setting it here pins them all (see :mod:`booktools.numerics`).
The mode, exact or tolerant, heads the report and closes it. It is decided per
chapter, here, once for the whole session (chapters/conftest.py applies it),
because each chapter records the processor vendor its outputs were made on: the
header gives the mode for chapters recorded on this processor's vendor, the
closing lines name any chapter compared otherwise.
"""

import json
import os

from booktools.book import READER_FOLDER, chapter_paths
from booktools.numerics import chapter_environment, comparison_mode, recorded_vendor, vendor

# The reader notebooks are copies of the chapters (python -m booktools.reader), checked by tests/test_reader.py:
# nbval runs the chapters, not them, even under `pytest .`.
collect_ignore = [READER_FOLDER]


def pytest_configure(config):
    os.environ.update(chapter_environment())
    config.comparison_mode = comparison_mode(recorded_on=vendor() or None)
    config.chapter_modes = {path.stem: comparison_mode(recorded_vendor(json.loads(path.read_text())["metadata"]))
                            for path in chapter_paths(config.rootpath)}


def _mode_line(mode, reason):
    how = {"exact": "every cell's output is compared with the committed one",
           "tolerant": "cells tagged numerical-noise run but are not compared; every other cell is compared "
                       "and every headline value must be in its range"}[mode]
    return f"chapter outputs: {mode} mode ({how}), because: {reason}"


def _mode_lines(config):
    lines = [_mode_line(*config.comparison_mode) + " (for chapters recorded on this processor's vendor)"]
    for chapter, (mode, reason) in sorted(config.chapter_modes.items()):
        if (mode, reason) != config.comparison_mode:
            lines.append(f"  {chapter}: {mode} mode, because: {reason}")
    return lines


def pytest_report_header(config):
    return _mode_lines(config)


def pytest_terminal_summary(terminalreporter, config):
    for line in _mode_lines(config):
        terminalreporter.write_line(line)
