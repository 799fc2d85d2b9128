"""Checks of every committed chapter notebook, without running it."""

import ast
import json
import re

import nbformat
import papermill
import pytest
import yaml

from nbcode.book import ROOT, book_config, chapter_paths, colab_url, expected_cells, glued_values
from nbcode.variants import EXPECTED, PROFILES, VARIANTS

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
    assert badge in sources and setup in sources, "run `python -m nbcode.book sync` after changing _config.yml"
    assert colab_url(f"chapters/{path.name}") in badge
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
    assert counts == list(range(1, len(counts) + 1)), "re-run with `python -m nbcode.book run`"
    assert not any(output.output_type == "error" for cell in code_cells(notebook) for output in cell.outputs)


def test_outputs_are_clean_and_small(chapter):
    path, notebook = chapter
    assert path.stat().st_size < 2_000_000
    for cell in code_cells(notebook):
        for output in cell.outputs:
            text = output.get("text", "") + json.dumps({k: v for k, v in output.get("data", {}).items()
                                                        if not k.startswith("image/")})
            assert not PERSONAL.search(text), f"a path or user name in the output of:\n{cell.source}"
            assert "\r" not in text, "progress-bar residue: regenerate with `python -m nbcode.book run`"


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
