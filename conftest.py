"""Every test session executes chapters in one numerical setting and says how it compares them.

Notebook kernels, papermill runs and test subprocesses inherit this process's
environment, so setting it here pins them all (see :mod:`nbcode.numerics`).
The mode, exact or tolerant, heads the report and closes it.
"""

import os

from nbcode.numerics import chapter_environment, comparison_mode


def pytest_configure(config):
    os.environ.update(chapter_environment())
    config.comparison_mode = comparison_mode()


def _mode_line(config):
    mode, reason = config.comparison_mode
    how = {"exact": "every cell's output is compared with the committed one",
           "tolerant": "cells tagged numerical-noise run but are not compared; every other cell is compared "
                       "and every headline value must be in its range"}[mode]
    return f"chapter outputs: {mode} mode ({how}), because: {reason}"


def pytest_report_header(config):
    return _mode_line(config)


def pytest_terminal_summary(terminalreporter, config):
    terminalreporter.write_line(_mode_line(config))
