"""The suite must fail when someone edits a committed numeric output."""

import re
import shutil
import subprocess
import sys

import nbformat

from nbcode.book import ROOT


def test_editing_a_committed_number_fails_nbval(tmp_path):
    chapter = ROOT / "chapters" / "01_neuron.ipynb"
    notebook = nbformat.read(chapter, as_version=4)
    edited = False
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and "test accuracy" in output.text:
                output.text = re.sub(r"test accuracy (\d\.\d+)", "test accuracy 0.9999", output.text)
                edited = True
    assert edited, "chapter 1 no longer prints its test accuracy; pick another number to edit"
    nbformat.write(notebook, tmp_path / chapter.name)
    shutil.copy(ROOT / "tests" / "nbval_sanitize.cfg", tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "nbval_sanitize.cfg", chapter.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "Cell outputs differ" in run.stdout and "0.9999" in run.stdout
    assert "1 failed" in run.stdout
