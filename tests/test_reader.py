"""The reader notebooks (``notebooks/``, :mod:`booktools.reader`): up to date, and rendered by Jupyter without MyST.

Each committed reader notebook must be what its chapter gives now (the
generator's check), and what each chapter gives must read in Jupyter as the
book reads: rendered by nbconvert's HTML exporter (Jupyter's own renderer;
without code and outputs, which hold no MyST, so that every number must come
from the prose), no role or directive is left, every value the chapter's
markdown glues is in its cell's text, and every solution is a collapsed
``<details>``. The two together hold for the committed notebooks; apart, a
chapter changed since (chapter 8, while it is being regenerated) fails only
the first, which says what to run.
"""

import re
import tomllib

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from myst_nb.core.variables import format_plain_text
from nbconvert import HTMLExporter

from booktools import reader
from booktools.book import READER_FOLDER, ROOT, chapter_paths, glued_texts, reader_path

CHAPTERS = chapter_paths()
# The dropdowns of a chapter's markdown cell: title and content (their content holds no ":::" of its own).
DROPDOWN = re.compile(r"^:::\{dropdown\}(?P<title>[^\n]*)\n(?P<content>.*?)^:::$", re.MULTILINE | re.DOTALL)
GLUE = re.compile(r"\{glue:text\}`(?P<content>[^`]*)`")
GLUED = {"x": "0.98765", "n": "1234567", "words": "'a *starred* word'"}


def test_every_reader_notebook_is_what_its_chapter_gives_now():
    stale = [path.relative_to(ROOT).as_posix() for path in reader.stale_notebooks()]
    assert stale == [], f"out of date with their chapters: {stale}; run python -m booktools.reader"


def test_reader_notebooks_are_neither_run_by_nbval_nor_pages_of_the_book():
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert not any(path.startswith(READER_FOLDER) for path in pytest_options["testpaths"])
    config, toc = (yaml.safe_load((ROOT / name).read_text()) for name in ("_config.yml", "_toc.yml"))
    assert READER_FOLDER in config["exclude_patterns"] and f"{READER_FOLDER}/" not in str(toc)


def _rendered_cells(notebook):
    """``{cell id: its rendered HTML element}`` for each markdown cell, as nbconvert's HTML exporter renders it."""
    exporter = HTMLExporter(exclude_input=True, exclude_output=True)
    body, _ = exporter.from_notebook_node(notebook)
    page = BeautifulSoup(body, "html.parser")
    return {cell["id"].removeprefix("cell-id="): cell for cell in page.select("div.jp-MarkdownCell")}


def _words(text):
    return " ".join(text.split())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_a_reader_notebook_renders_in_jupyter_with_its_numbers_and_collapsed_solutions(chapter):
    notebook = nbformat.read(chapter, as_version=4)
    rendered = _rendered_cells(reader.reader_notebook(chapter))
    glued = glued_texts(notebook)
    dropdowns = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        element = rendered[cell.id]
        text, markup = _words(element.get_text()), str(element)
        # MyST left raw: a role ({term}, {cite}, ...) renders as "{name}<code>content</code>", a ```{name}
        # directive as a code block of language "{name}", a ::: one as text. (Math may hold "\text{term}".)
        assert not re.search(r"\{[\w:+-]+\}<code>", markup), f"cell {cell.id}: a role is left in {text[:300]}"
        assert "language-{" not in markup, f"cell {cell.id}: a ```{{directive}} block is left"
        for source in (":::", "{glue"):
            assert source not in text, f"cell {cell.id}: {source!r} is left in {text[:300]}"
        for role in GLUE.finditer(cell.source):  # each value as the book prints it (myst-nb's own formatting)
            key, fmt_spec = role["content"].rsplit(":", 1) if ":" in role["content"] else (role["content"], "s")
            value = format_plain_text(glued[key], fmt_spec)
            assert _words(value) in text, f"cell {cell.id}: {role[0]} should read {value!r}"
        solutions = list(DROPDOWN.finditer(cell.source))
        details = element.find_all("details")
        assert len(details) == len(solutions), f"cell {cell.id}: {len(solutions)} dropdowns, {len(details)} <details>"
        for solution, block in zip(solutions, details):
            assert not block.has_attr("open"), "a solution starts collapsed"
            assert block.summary is not None and block.summary.get_text() == solution["title"].strip()
            # its content is inside, rendered as markdown: code as code, prose as paragraphs
            code = re.search(r"```python\n(.*?)```", solution["content"], re.DOTALL)
            assert code is None or _words(code[1]) in _words(" ".join(pre.get_text() for pre in block.find_all("pre")))
            assert block.find("p") is not None and block.find("p").find_parent("details") is block
        dropdowns += len(solutions)
    rendered_details = sum(len(element.find_all("details")) for element in rendered.values())
    assert rendered_details == dropdowns, "every <details> in the reader notebook is one of the chapter's solutions"
    assert dropdowns > 0, "every chapter's exercises have worked solutions"


# The conversion, on small made-up markdown.

def test_glue_roles_read_as_the_book_prints_them():
    text = "Accuracy {glue:text}`x:.2%`, {glue:text}`n:,d` examples, {glue:text}`x`; {glue:text}`words`."
    assert reader.convert_markdown(text, GLUED) == r"Accuracy 98.77%, 1,234,567 examples, 0.98765; a \*starred\* word."


def test_an_unknown_glued_name_names_itself():
    with pytest.raises(ValueError, match="glue no 'missing'"):
        reader.convert_markdown("{glue:text}`missing:.2f`", GLUED)


def test_terms_read_as_their_text_and_citations_as_the_books_labels():
    text = "A {term}`neuron`, a {term}`loss <cross-entropy>`, {cite}`cho2009kernel` and {cite:t}`neal1996bayesian`."
    assert reader.convert_markdown(text, GLUED) == r"A neuron, a loss, \[Cho and Saul, 2009\] and Neal \[1996\]."


def test_a_dropdown_becomes_a_collapsed_details_block_with_markdown_inside():
    text = ("1. Question?\n\n:::{dropdown} Solution\n```python\nx = 1  # {glue:text}`x` stays code\n```\n"
            "It is {glue:text}`x:.1f`.\n:::\nNext line.")
    assert reader.convert_markdown(text, GLUED) == (
        "1. Question?\n\n<details>\n<summary>Solution</summary>\n\n```python\nx = 1  # {glue:text}`x` stays code\n```\n"
        "It is 1.0.\n\n</details>\n\nNext line.")


def test_a_dropdown_in_a_list_item_keeps_its_indentation_and_an_open_one_stays_open():
    text = "1. Question?\n\n   :::{dropdown} Hint\n   :open:\n   Try *this*.\n   :::\n"
    assert reader.convert_markdown(text, GLUED) == (
        "1. Question?\n\n   <details open>\n   <summary>Hint</summary>\n\n   Try *this*.\n\n   </details>\n")


def test_admonitions_become_blockquotes_with_their_title_or_details_when_they_drop_down():
    text = ":::{note}\nBe careful with {glue:text}`n:,d`.\n:::\n\n```{admonition} Why?\nBecause.\n```\n"
    assert reader.convert_markdown(text, GLUED) == (
        "> **Note**\n>\n> Be careful with 1,234,567.\n\n> **Why?**\n>\n> Because.\n")
    text = "```{admonition} Why?\n:class: dropdown\nBecause.\n```"
    assert reader.convert_markdown(text, GLUED) == "<details>\n<summary>Why?</summary>\n\nBecause.\n\n</details>"


def test_math_and_code_keep_every_character():
    kept = "$$\n\\text{{glue:text}`x`}\n$$\n\n    {term}`indented code`\n\n"
    text = kept + "`{glue:text}` in prose is code, {glue:text}`x`"
    assert reader.convert_markdown(text, GLUED) == kept + "`{glue:text}` in prose is code, 0.98765"


@pytest.mark.parametrize("text", ["{ref}`a-label`", ":::{figure} plot.png\nA plot.\n:::\n"])
def test_myst_without_a_jupyter_form_stops_the_generator(text):
    with pytest.raises(ValueError, match="no form for Jupyter yet"):
        reader.convert_markdown(text, GLUED)


def test_captions_follow_their_figures_and_hidden_code_starts_collapsed(tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    figure = new_code_cell("plot()", id="fig1")
    figure.metadata = {"tags": [reader.HIDE_INPUT], "mystnb": {"figure": {"caption": "Loss, {glue:text}`x:.1%`."}}}
    glue = new_code_cell("glue('x', 0.98765)", id="glue1")
    glue.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "0.98765"},
                                           metadata={"scrapbook": {"name": "x", "mime_prefix":
                                                                   "application/papermill.record/"}})]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 1. X", id="title"), glue, figure]), path)
    cells = reader.reader_notebook(path).cells
    assert [cell.id for cell in cells] == ["title", "glue1", "fig1", "fig1-caption"]
    assert cells[3].source == "**Figure.** Loss, 98.8%."
    assert cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert cells[1].outputs == glue.outputs, "outputs are kept, the glue records too"


def test_the_generator_is_deterministic_and_its_check_names_stale_notebooks(tmp_path, monkeypatch):
    chapter = CHAPTERS[0]
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / chapter.name).write_bytes(chapter.read_bytes())
    for name in ("_config.yml", "references.bib"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    assert reader.stale_notebooks(tmp_path) == [tmp_path / reader_path(chapter)], "a missing one is out of date"
    assert list(reader.write_notebooks(tmp_path)) == [tmp_path / reader_path(chapter)]
    first = (tmp_path / reader_path(chapter)).read_bytes()
    assert list(reader.write_notebooks(tmp_path)) == [] and reader.stale_notebooks(tmp_path) == []
    assert (tmp_path / reader_path(chapter)).read_bytes() == first
    assert first.endswith(b"}\n") and b'\n "cells": [\n  {\n' in first, "written as the chapters are (indent 1)"
    source = (tmp_path / "chapters" / chapter.name).read_text()
    (tmp_path / "chapters" / chapter.name).write_text(source.replace("Exercises", "Exercises!", 1))
    assert reader.stale_notebooks(tmp_path) == [tmp_path / reader_path(chapter)]
