"""The verified stamp, the commit that made a chapter's outputs, and the notebook zip (of the reader notebooks)."""

import json
import subprocess
import zipfile

import nbformat
import pytest

from booktools import publish
from booktools.book import ROOT, chapter_paths, reader_path

MACHINE = {"platform": "Linux", "python": "3.11.7", "torch": "2.14.1", "cpu_count": 2, "gpu": None}


def _notebook(path, outputs_text, markdown="# 1. A chapter", record=None):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('hi')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=outputs_text)]
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown), code]
    if record is not None:
        notebook.metadata["nbcode"] = record
    nbformat.write(notebook, path)


def _git(folder, *arguments, date="2026-11-30T12:00:00"):
    environment = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin", "HOME": str(folder)}
    subprocess.run(["git", *arguments], cwd=folder, check=True, capture_output=True, env=environment)


def test_outputs_commit_is_the_one_that_changed_the_outputs(tmp_path):
    path = tmp_path / "chapters" / "01_a.ipynb"
    path.parent.mkdir()
    _git(tmp_path, "init", "-q")
    _notebook(path, "first run\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "first outputs", date="2026-11-01T12:00:00")
    _notebook(path, "second run\n")
    _git(tmp_path, "commit", "-qam", "regenerated", date="2026-11-10T12:00:00")
    _notebook(path, "second run\n", markdown="# 1. A chapter, retitled")  # text only: the outputs stay
    _git(tmp_path, "commit", "-qam", "reworded", date="2026-11-20T12:00:00")
    assert publish.outputs_commit(path, tmp_path)[1] == "2026-11-10"
    _notebook(path, "third run, not committed\n")
    assert publish.outputs_commit(path, tmp_path) is None


def test_stamp_says_what_made_the_outputs_and_what_the_profiles_measured(tmp_path):
    path = tmp_path / "chapters" / "01_a.ipynb"
    path.parent.mkdir()
    _notebook(path, "x\n", record={"recorded_on": "AuthenticAMD", "torch": "2.14.1",
                                   "machine": "2-core AMD EPYC CPU (no GPU)"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "outputs", date="2026-11-30T12:00:00")
    results = tmp_path / "results"
    results.mkdir()
    cpu = {"profile": "cpu", "machine": MACHINE,
           "chapters": {"01_a": {"seconds": 12.6, "values": {}, "parameters": {}, "problems": []}}}
    (results / "cpu.json").write_text(json.dumps(cpu))
    made = "Verified: outputs made with PyTorch 2.14.1 on a 2-core AMD EPYC CPU (no GPU), committed on 2026-11-30; "
    timing = "13 s at its defaults on 2 CPU cores; "  # 12.6 s, rounded
    assert publish.stamp(path, results, root=tmp_path) == made + timing + "not yet run on a GPU."
    gpu = {"profile": "gpu", "machine": {**MACHINE, "gpu": "NVIDIA H200"},
           "chapters": {"01_a": {"seconds": 3.2, "values": {}, "parameters": {}, "problems": ["x out of range"]}}}
    (results / "gpu.json").write_text(json.dumps(gpu))
    assert publish.stamp(path, results, root=tmp_path) == (
        made + timing + "gpu profile 3 s on NVIDIA H200, 1 value(s) out of range.")
    gpu["chapters"]["01_a"]["problems"] = []
    (results / "gpu.json").write_text(json.dumps(gpu))
    assert publish.stamp(path, results, root=tmp_path) == (
        made + timing + "gpu profile 3 s on NVIDIA H200, every headline value in range.")


def test_a_chapter_without_a_record_or_a_timing_says_so(tmp_path):
    path = tmp_path / "02_b.ipynb"
    _notebook(path, "x\n")
    assert publish.stamp(path, tmp_path, root=tmp_path) == (
        "Verified: outputs made on an unrecorded machine, not committed yet; not yet timed at its defaults; "
        "not yet run on a GPU.")


@pytest.mark.parametrize("path", chapter_paths(), ids=[path.stem for path in chapter_paths()])
def test_every_chapter_records_what_made_its_outputs(path):
    record = json.loads(path.read_text())["metadata"]["nbcode"]
    assert record["torch"].startswith("2.") and "-core " in record["machine"] and " CPU " in record["machine"]


def test_the_zip_holds_every_chapters_reader_notebook_as_committed(tmp_path):
    target = publish.write_notebook_zip(tmp_path)
    readers = [ROOT / reader_path(path) for path in chapter_paths()]
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [f"neural-networks-tested/{path.name}" for path in readers]
        assert all(archive.read(f"neural-networks-tested/{path.name}") == path.read_bytes() for path in readers)
