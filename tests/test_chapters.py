"""Checks of every committed chapter notebook, without running it."""

import ast
import json
import re

import nbformat
import papermill
import pyflakes.checker
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

from booktools.book import ROOT, book_config, chapter_paths, colab_url, expected_cells, glued_values
from booktools.variants import EXPECTED, PROFILES, VARIANTS

CHAPTERS = chapter_paths()
IDS = [path.stem for path in CHAPTERS]
# Outputs must not reveal where or by whom a notebook was run.
PERSONAL = re.compile(r"/home/|/root/|/Users/|[A-Z]:\\\\|site-packages|/tmp/|/work/")


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_there_are_chapters_and_the_toc_lists_exactly_them():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = [entry["file"] for part in toc["parts"] for entry in part.get("chapters") or []]
    assert CHAPTERS and [file for file in listed if file.startswith("chapters/")] == [
        f"chapters/{path.stem}" for path in CHAPTERS]
    captions = [part["caption"] for part in toc["parts"]]
    assert captions == ["Foundations", "Architectures", "Beyond", "About this book"][: len(captions)]
    assert toc["parts"][-1]["chapters"] == [{"file": "glossary"}, {"file": "statistics"}]


@pytest.fixture(params=CHAPTERS, ids=IDS)
def chapter(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_title_badge_and_colab_cell_follow_config(chapter):
    path, notebook = chapter
    assert re.match(r"# \d+\. \S", notebook.cells[0].source), "the first cell must be the title: '# N. Title'"
    badge, setup = expected_cells(path)
    sources = [cell.source for cell in notebook.cells]
    assert badge in sources and setup in sources, "run `python -m booktools.book sync` after changing _config.yml"
    assert colab_url(f"notebooks/{path.name}") in badge, "the badge opens the reader notebook (booktools.reader)"
    setup_cell = next(cell for cell in notebook.cells if cell.source == setup)
    assert setup_cell.outputs == [], "outside Colab the install cell prints nothing"


def test_colab_url_derives_from_the_config():
    config = book_config()
    config["repository"] |= {"url": "https://github.com/someone/fork", "branch": "dev", "path_to_book": "book"}
    assert colab_url("chapters/01_neuron.ipynb", config) == (
        "https://colab.research.google.com/github/someone/fork/blob/dev/book/chapters/01_neuron.ipynb")


def test_ran_in_order_from_a_fresh_kernel_without_errors(chapter):
    _, notebook = chapter
    counts = [cell.execution_count for cell in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), "re-run with `python -m booktools.book run`"
    assert not any(output.output_type == "error" for cell in code_cells(notebook) for output in cell.outputs)


def test_outputs_are_clean_and_small(chapter):
    path, notebook = chapter
    assert path.stat().st_size < 2_000_000
    for cell in code_cells(notebook):
        for output in cell.outputs:
            text = output.get("text", "") + json.dumps({k: v for k, v in output.get("data", {}).items()
                                                        if not k.startswith("image/")})
            assert not PERSONAL.search(text), f"a path or user name in the output of:\n{cell.source}"
            assert "\r" not in text, "progress-bar residue: regenerate with `python -m booktools.book run`"


def test_parameters_cell_and_variant_table_agree(chapter):
    path, notebook = chapter
    tagged = [cell for cell in code_cells(notebook) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    defaults = {name: ast.literal_eval(spec["default"]) for name, spec in papermill.inspect_notebook(str(path)).items()}
    assert {"seed", "device"} <= set(defaults)
    assert set(VARIANTS[path.stem]) == set(PROFILES)
    assert VARIANTS[path.stem]["cpu"] == defaults, "the cpu profile must be the notebook's defaults"
    for profile in ("smoke", "gpu"):  # no GPU here: at least every gpu parameter must exist
        unknown = set(VARIANTS[path.stem][profile]) - set(defaults)
        assert not unknown, f"the {profile} profile sets parameters the notebook lacks: {unknown}"


def test_headline_values_are_glued_and_have_ranges_for_every_profile(chapter):
    path, notebook = chapter
    expected = EXPECTED[path.stem]
    assert expected and set(expected) <= set(glued_values(notebook))
    assert all(set(ranges) == set(PROFILES) for ranges in expected.values())


def test_every_figure_has_a_caption_and_alt_text(chapter):
    path, notebook = chapter
    for index, cell in enumerate(code_cells(notebook)):
        if any("image/png" in output.get("data", {}) for output in cell.outputs):
            options = cell.metadata.get("mystnb", {})
            assert options.get("figure", {}).get("caption"), f"{path.name}, code cell {index + 1}: no caption"
            assert options.get("image", {}).get("alt"), f"{path.name}, code cell {index + 1}: no alt text"


def test_only_figure_code_is_collapsed(chapter):
    # hide-input folds away drawing code; code that teaches or computes a result stays visible.
    path, notebook = chapter
    for index, cell in enumerate(code_cells(notebook)):
        if "hide-input" in cell.metadata.get("tags", []):
            assert "figure" in cell.metadata.get("mystnb", {}), f"{path.name}, code cell {index + 1}"
            assert "glue(" not in cell.source, f"{path.name}, code cell {index + 1} computes a headline value"


def _digits_shown(text):
    """The digits a number's text shows: "0.9722" -> 4, "1.2e-07" -> 2, "33300000000000.0" -> 15."""
    mantissa = text.lstrip("-").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0"))


def test_digits_shown_counts_what_a_reader_sees():
    assert [_digits_shown(t) for t in ["0.9722", "1.2e-07", "3.33e+13", "33300000000000.0", "79.0"]] == [4, 2, 3, 15, 3]


def test_glued_floats_carry_no_digits_beyond_their_noise(chapter):
    # Four significant digits is the most any headline value can trust (an accuracy on 10,000 test
    # images); rounding errors and gradient ratios are glued through nbcode.significant with fewer.
    # The glued text is checked, not only the value: 33300000000000.0 shows digits nobody measured.
    path, notebook = chapter
    for name, value in glued_values(notebook).items():
        if isinstance(value, float) and value != 0:
            glued_text = next(output["data"][output["metadata"]["scrapbook"].get("mime_prefix", "") + "text/plain"]
                              for cell in notebook.cells for output in cell.get("outputs", [])
                              if output.get("metadata", {}).get("scrapbook", {}).get("name") == name)
            assert _digits_shown(glued_text) <= 4, (
                f"{path.name} glues {name} as {glued_text}: glue nbcode.significant(value, digits) instead")


# What IPython gives every cell without an import (magics become get_ipython() calls).
NOTEBOOK_BUILTINS = {"get_ipython", "display"}
UNDEFINED = (pyflakes.messages.UndefinedName, pyflakes.messages.UndefinedLocal, pyflakes.messages.UndefinedExport)


def names_used_before_definition(sources):
    """``(cell number, name)`` for every name a code cell needs before any cell up to it defines it.

    Static, so it covers every branch, including the GPU branches that no CPU
    run enters. Cell ``k`` is checked as the end of the cells ``1..k`` run in
    order (pyflakes checks a function's body at the end of that text, so a
    function must find its free names defined by the end of the cell that
    defines it, as a call in the next cell needs).
    """
    transform = TransformerManager().transform_cell
    cells = [transform(source) for source in sources]
    found = {}
    for k in range(1, len(cells) + 1):
        text = "\n".join(cells[:k])
        starts = [sum(cell.count("\n") + 1 for cell in cells[:i]) + 1 for i in range(k)]
        for message in pyflakes.checker.Checker(ast.parse(text), builtins=NOTEBOOK_BUILTINS).messages:
            if isinstance(message, UNDEFINED):
                cell = max(i for i, start in enumerate(starts) if start <= message.lineno) + 1
                found.setdefault(message.message_args[0], cell)
    return sorted((cell, name) for name, cell in found.items())


def test_names_used_before_definition_finds_every_branch_and_late_functions():
    sources = ["import torch\nif torch.cuda.is_available():\n    model = build()",
               "def build():\n    return torch.nn.Linear(2, 2)",
               "def helper():\n    return later",
               "helper()",
               "later = 1",
               "%matplotlib inline\ndisplay(later)"]
    assert names_used_before_definition(sources) == [(1, "build"), (3, "later")]


def test_no_cell_uses_a_name_before_it_is_defined(chapter):
    _, notebook = chapter
    problems = names_used_before_definition([cell.source for cell in code_cells(notebook)])
    assert not problems, "; ".join(f"code cell {cell} uses {name!r} before any earlier cell defines it"
                                   for cell, name in problems)
