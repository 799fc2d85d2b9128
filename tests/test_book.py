import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from booktools import book, numerics


def test_sync_rewrites_badge_and_install_cell_from_the_config(tmp_path, monkeypatch):
    monkeypatch.setattr(book, "ROOT", tmp_path)
    (tmp_path / "chapters").mkdir()
    path = tmp_path / "chapters" / "01_x.ipynb"
    badge, setup = new_markdown_cell("old badge"), new_code_cell("old setup")
    badge.metadata["tags"], setup.metadata["tags"] = [book.BADGE_TAG], [book.SETUP_TAG]
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 1. X"), badge, setup]), path)
    config = {"repository": {"url": "https://github.com/someone/fork", "branch": "dev", "path_to_book": ""},
              "launch_buttons": {"colab_url": "https://colab.research.google.com"}}
    assert book.sync_notebook(path, config) is True
    cells = nbformat.read(path, as_version=4).cells
    # The badge opens the chapter's reader notebook, which Colab renders (booktools.reader).
    assert "colab.research.google.com/github/someone/fork/blob/dev/notebooks/01_x.ipynb" in cells[1].source
    assert "git+https://github.com/someone/fork@dev" in cells[2].source
    assert book.sync_notebook(path, config) is False


def test_run_in_place_executes_in_order_and_keeps_only_what_a_screen_shows(tmp_path):
    path = tmp_path / "tiny.ipynb"
    progress = 'import sys\nfor i in range(3):\n    sys.stdout.write(f"\\rstep {i}")\nprint("\\rdone")'
    notebook = new_notebook(cells=[new_code_cell("x = 6 * 7"), new_code_cell(progress), new_code_cell("x")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    book.run_in_place(path)
    executed = nbformat.read(path, as_version=4)
    assert numerics.recorded_vendor(executed.metadata) == numerics.vendor()
    cells = executed.cells
    assert [cell.execution_count for cell in cells] == [1, 2, 3]
    assert [output.text for output in cells[1].outputs] == ["done\n"]
    assert cells[2].outputs[0].data["text/plain"] == "42"


def test_every_chapter_records_the_processor_vendor_its_outputs_were_made_on():
    for path in book.chapter_paths():
        vendor = numerics.recorded_vendor(nbformat.read(path, as_version=4).metadata)
        assert vendor in ("AuthenticAMD", "GenuineIntel"), (
            f"{path.name} does not say which processor made its outputs: regenerate it with "
            f"python -m booktools.book run {path.relative_to(book.ROOT)}")
