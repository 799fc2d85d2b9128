"""The built book, read in headless Chromium the way a reader sees it, offline.

The book is built with warnings as errors, served from 127.0.0.1, and every
request for anything else is refused, so a page that needs the internet for
its math, fonts, scripts or images fails here. Each page must load without
console errors; each chapter must typeset its math, load every figure, point
its Colab badge and launch button at its reader notebook, offer the notebook for
download, and link only to places that exist. The book is built in a
copy of the checkout in a temporary folder, into its ``_build/``, with a screenshot of each
chapter in its ``screenshots/``: pytest keeps its last three runs' temporary
folders, the latest as ``/tmp/pytest-of-$USER/pytest-current/book0/`` (with
``-n``, ``.../pytest-current/popen-gw*/book0/``). The browser is Debian's
``chromium``, driven by Playwright; ``.ci/run`` installs it, and without it
these tests skip.
"""

import functools
import json
import re
import shutil
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

import nbcode
from booktools.book import ROOT, chapter_paths, colab_url, copy_checkout, reader_path
from booktools.publish import HANG, PDF_NAME, PREPARE_FOR_PRINT, ZIP_NAME, chapter_pages, stamp
from booktools.serve import serve_folder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHAPTERS = chapter_paths()
# Markdown read as the book reads it, with the MyST extensions of _config.yml.
MYST = create_md_parser(MdParserConfig(enable_extensions=set(
    yaml.safe_load((ROOT / "_config.yml").read_text())["parse"]["myst_enable_extensions"])), RendererHTML)
# As Chromium is started on a machine with no internet: nothing in the background.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: `apt-get install chromium` (.ci/run does it) "
    "to check the built book in a browser")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Build the book and its PDF as the README does, from a copy of this checkout; return the copy's ``_build/``.

    A copy, so that the environment's ``nbcode`` (installed from this checkout)
    belongs to another checkout than the book being built, as when a maintainer
    builds a second clone: the book's machinery must work on the folder it
    builds, not on where ``nbcode`` is installed.
    """
    folder = tmp_path_factory.mktemp("book")
    copy_checkout(folder, history=True)
    assert Path(nbcode.__file__).resolve().parents[1] != folder.resolve()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")  # of this environment
    book = subprocess.run([str(jupyter_book), "build", ".", "-W", "--keep-going"], capture_output=True, text=True,
                          cwd=folder)
    assert book.returncode == 0, f"the book did not build cleanly:\n{book.stdout[-3000:]}{book.stderr[-3000:]}"
    pdf = subprocess.run([sys.executable, "-m", "booktools.publish", "pdf"], capture_output=True, text=True, cwd=folder)
    assert pdf.returncode == 0, f"the PDF was not printed:\n{pdf.stdout[-3000:]}{pdf.stderr[-3000:]}"
    return folder / "_build"


@pytest.fixture(scope="module")
def site(build):
    """The built book served on 127.0.0.1: its address."""
    with serve_folder(build / "html") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One page opened offline: its console errors and the outside requests it tried."""

    def __init__(self, browser, site, path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors, self.outside = [], []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site)
                        else (self.outside.append(route.request.url), route.abort()))
        self.page.goto(f"{site}/{path}", wait_until="load")

    def assert_math_typeset(self, pieces):
        """Each of the ``pieces`` of math in the page's source is on the page, typeset; no TeX is left raw."""
        if self.page.evaluate("() => !!(window.MathJax && MathJax.startup)"):  # once MathJax has finished
            self.page.evaluate("() => MathJax.startup.promise")
        math = self.page.evaluate("""() => {
            const article = document.querySelector('article');
            const elements = [...article.querySelectorAll('.math')];
            const text = article.cloneNode(true);
            text.querySelectorAll('pre, code, script, mjx-container').forEach(node => node.remove());
            return {elements: elements.length, typeset: elements.filter(e => e.querySelector('mjx-container')).length,
                    raw: text.textContent, errors: article.querySelectorAll('mjx-merror').length}; }""")
        assert math["elements"] == pieces, f"{pieces} pieces of math in the source, {math['elements']} on the page"
        assert math["typeset"] == pieces, f"{pieces - math['typeset']} of {pieces} pieces of math not typeset"
        assert not re.search(r"\$\$|\\\(|\\\[", math["raw"]), "math left raw on the page"
        assert math["errors"] == 0, "MathJax could not typeset some math"


def _math_pieces(markdown):
    """How many pieces of math (inline, display, amsmath) MyST finds in ``markdown``, in directives' bodies too."""
    def tokens(found):
        for token in found:
            yield token
            yield from tokens(token.children or [])

    pieces = 0
    for token in tokens(MYST.parse(markdown)):
        if token.type.startswith("math") or token.type == "amsmath":
            pieces += 1
        elif token.type in ("fence", "colon_fence") and token.info.startswith("{"):  # a glossary, a dropdown
            pieces += _math_pieces(token.content)
    return pieces


def _outline(items):
    for item in items:
        yield from _outline(item) if isinstance(item, list) else [item]


def _plain(text):
    """A title as text: spaces squeezed, typographic apostrophes straight."""
    return " ".join(text.replace("\u2019", "'").split())


def _headings(notebook):
    """The text of every Markdown heading in a notebook's prose (not in its code blocks), as the page shows it."""
    headings = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        in_code = False
        for line in cell.source.splitlines():
            in_code ^= line.lstrip().startswith("```")
            if not in_code and re.match(r"#{1,6} ", line):
                headings.append(_plain(line.lstrip("#").replace("`", "")))
    return headings


def _figures_in(notebook):
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells
               if cell.cell_type == "code" for output in cell.outputs)


@functools.lru_cache(maxsize=None)
def _fetch(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_page_reads_offline_as_a_reader_sees_it(path, build, site, browser):
    notebook = nbformat.read(path, as_version=4)
    visit = Visit(browser, site, f"chapters/{path.stem}.html")
    page = visit.page
    visit.assert_math_typeset(sum(_math_pieces(cell.source) for cell in notebook.cells if cell.cell_type == "markdown"))

    images = page.evaluate("() => [...document.images].map(i => [i.currentSrc, i.complete && i.naturalWidth > 0])")
    assert [src for src, loaded in images if not loaded] == []
    # The figures are the cells' image outputs; the Colab badge, an image too, is not one of them.
    assert page.locator("article .cell_output img").count() == _figures_in(notebook), "each figure, once"

    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    colab = colab_url(reader_path(path))  # Colab renders no MyST: both open the chapter's reader notebook
    launch = page.locator(".dropdown-launch-buttons a", has_text="Colab").get_attribute("href")
    badge = page.locator('article a:has(img[alt="Open in Colab"])').get_attribute("href")
    assert (launch, badge) == (colab, colab), "the launch button and the Colab badge open the reader notebook"
    download = f"{site}/_sources/chapters/{path.name}"
    assert download in links
    status, text = _fetch(download)
    assert status == 200 and json.loads(text)["cells"], "the page offers its .ipynb for download"

    for link in {link for link in links if link.startswith(site)}:
        address, _, fragment = link.partition("#")
        status, html = _fetch(address.split("?")[0])
        assert status == 200, f"broken link: {link}"
        if fragment and address.endswith(".html"):
            assert f'id="{urllib.parse.unquote(fragment)}"' in html, f"broken anchor: {link}"

    # The verified stamp under the title is the one benchmarks/results/, the notebook and git give.
    assert page.locator("h1 + p.chapter-stamp").inner_text().strip() == stamp(path)
    assert f"{site}/{PDF_NAME}" in links and f"{site}/{ZIP_NAME}" in links

    (build / "screenshots").mkdir(exist_ok=True)
    page.screenshot(path=str(build / "screenshots" / f"{path.stem}.png"), full_page=True)
    assert visit.errors == [] and visit.outside == []
    page.close()


@pytest.mark.parametrize("source", ["intro.md", "glossary.md", "statistics.md"])
def test_other_pages_load_cleanly_offline(source, site, browser):
    visit = Visit(browser, site, Path(source).with_suffix(".html").name)
    visit.assert_math_typeset(_math_pieces((ROOT / source).read_text()))
    assert visit.errors == [] and visit.outside == []
    visit.page.close()


def _download(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


def test_the_pdf_and_the_notebooks_download_from_the_book(site, browser, tmp_path):
    from pypdf import PdfReader

    visit = Visit(browser, site, "intro.html")
    links = visit.page.evaluate("() => [...document.querySelectorAll('.book-downloads a')].map(a => a.href)")
    assert links == [f"{site}/{PDF_NAME}", f"{site}/{ZIP_NAME}"]
    visit.page.close()

    (tmp_path / PDF_NAME).write_bytes(_download(links[0]))
    reader = PdfReader(tmp_path / PDF_NAME)
    pages = len(reader.pages)

    def text(page, mode="plain"):  # one page's text, spaces squeezed; NFKC undoes the "ﬁ" ligature
        text = reader.pages[page - 1].extract_text(extraction_mode=mode)
        return " ".join(unicodedata.normalize("NFKC", text).split())

    titles = [nbformat.read(path, as_version=4).cells[0].source.lstrip("# ").strip() for path in CHAPTERS]
    assert pages > 10 * len(CHAPTERS), "twelve chapters with figures and outputs fill more pages"
    starts = chapter_pages(tmp_path / PDF_NAME, titles)
    assert None not in starts and starts == sorted(starts), f"each chapter's title, in order: {starts}"
    for title, start in zip(titles, starts):
        assert text(start).startswith(title), f"{title} opens page {start}"
    first = next(page for page in range(1, starts[0]) if "Contents" in text(page).split())
    # The pages before the first chapter, read by position, since their page numbers are drawn over them
    contents = " ".join(text(page, mode="layout") for page in range(first, starts[0]))
    for title, start in zip(titles, starts):  # the contents list every chapter with the page it starts on
        assert f"{title} {start} " in contents, (title, start)
    assert text(pages).endswith(f"{pages} / {pages}"), "pages are numbered"
    # Every heading of every chapter is a bookmark with its own text (Chromium drops the space where a
    # heading wraps, "LSTMand GRU", or repeats it, "ExercisesExercises", unless the titles are restored).
    bookmarks = {_plain(entry.title) for entry in _outline(reader.outline)}
    missing = [heading for path in CHAPTERS for heading in _headings(nbformat.read(path, as_version=4))
               if heading not in bookmarks]
    assert not missing, f"headings without their bookmark: {missing}"
    # Paper cannot be clicked: hidden code is printed, without its toggle.
    printed = "".join(text(page).replace(" ", "") for page in range(starts[0], pages + 1))
    assert "Showcodecellsource" not in printed, "a hidden code cell's toggle is printed"
    hidden = [line for path in CHAPTERS for cell in nbformat.read(path, as_version=4).cells
              if "hide-input" in cell.metadata.get("tags", [])
              for line in cell.source.splitlines()[:1]]
    assert hidden and all(line.replace(" ", "") in printed for line in hidden), "hidden code is missing"
    losses = " ".join(text(page) for page in range(starts[2], starts[3]))  # chapter 3, the most formulas
    assert "\\frac" not in losses and "$$" not in losses and "∑" in losses, "math is typeset, not left as TeX"

    (tmp_path / ZIP_NAME).write_bytes(_download(links[1]))
    with zipfile.ZipFile(tmp_path / ZIP_NAME) as archive:
        names = archive.namelist()
        assert names == [f"neural-networks-tested/{path.name}" for path in CHAPTERS]
        for path in CHAPTERS:  # each chapter's reader notebook, as committed
            assert archive.read(f"neural-networks-tested/{path.name}") == (ROOT / reader_path(path)).read_bytes()


def test_a_wrapped_code_line_continues_indented_in_print(site, browser):
    # The page prepared as for printing, in a window narrow enough that long lines wrap.
    visit = Visit(browser, site, "chapters/09_rnn.html")
    visit.page.set_viewport_size({"width": 700, "height": 900})
    visit.page.emulate_media(media="print")
    visit.page.evaluate(PREPARE_FOR_PRINT, HANG)
    lines = visit.page.evaluate("""() => [...document.querySelectorAll("pre .print-line")].map((line) => {
        const range = document.createRange();
        range.selectNodeContents(line);
        const boxes = [...range.getClientRects()].filter((box) => box.width > 0);
        const probe = line.appendChild(document.createElement("span"));
        probe.textContent = "0";
        const ch = probe.getBoundingClientRect().width;
        probe.remove();
        const left = line.getBoundingClientRect().left;
        return {text: line.textContent, ch, tops: boxes.map((box) => box.top), lefts: boxes.map((box) => box.left - left)};
    })""")
    visit.page.close()
    wrapped = [line for line in lines if max(line["tops"], default=0) - min(line["tops"], default=0) > 1]
    assert wrapped, "no code line wraps at this width: the check checks nothing"
    for line in wrapped:
        indent = len(line["text"]) - len(line["text"].lstrip(" "))
        first_top = min(line["tops"])
        continuation = [left for top, left in zip(line["tops"], line["lefts"]) if top > first_top + 1]
        assert min(continuation) >= (indent + HANG - 0.5) * line["ch"], (
            f"a wrapped line continues less than {HANG} characters past its own indentation: {line['text']!r}")


def test_search_finds_a_chapter(site, browser):
    visit = Visit(browser, site, "search.html?q=backpropagation")
    results = visit.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20_000)
    titles = " ".join(results.all_inner_texts())
    assert "Backpropagation" in titles
    assert visit.errors == [] and visit.outside == []
    visit.page.close()
