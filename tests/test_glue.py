"""nbcode.glue records a value exactly as myst-nb's glue does, so chapters need not import myst-nb."""

import sys

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from myst_nb import glue as myst_glue

import nbcode


@pytest.fixture
def shell():
    """An IPython shell, as a Jupyter kernel runs a chapter's cells in."""
    return InteractiveShell.instance()


def recorded(record, *args):
    with capture_output() as captured:
        record(*args)
    return [(output.data, output.metadata) for output in captured.outputs], captured.stdout


@pytest.mark.parametrize("value", [0.8469, nbcode.significant(1.19e-07, 2), 3, "the smallest gradients",
                                   [0.5, 0.25], {"zero": 1}])
def test_glue_records_what_myst_nb_records(shell, value):
    ours, printed = recorded(nbcode.glue, "name", value)
    theirs, _ = recorded(lambda *args: myst_glue(*args, display=False), "name", value)
    assert ours == theirs
    assert len(ours) == 1 and printed == ""
    # Nothing a notebook front end renders: every output type is myst-nb's record type.
    assert all(kind.startswith(nbcode.GLUE_PREFIX) for kind in ours[0][0])


def test_glue_outside_a_kernel_does_nothing(capsys, monkeypatch):
    monkeypatch.setattr(InteractiveShell, "_instance", None)
    nbcode.glue("name", 0.5)
    assert capsys.readouterr() == ("", "")
    assert not InteractiveShell.initialized()  # and it did not start an IPython shell of its own
    monkeypatch.setitem(sys.modules, "IPython", None)  # IPython not installed at all
    nbcode.glue("name", 0.5)
    assert capsys.readouterr() == ("", "")
