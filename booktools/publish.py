"""The book as readers take it away: each chapter's verified stamp, the PDF, the notebooks in one zip.

The **stamp** under a chapter's title says what produced the outputs the reader
sees: the PyTorch version and machine saved in the notebook when it was
regenerated (``python -m booktools.book run``), the chapter's time at its
defaults and its gpu profile's result from ``benchmarks/results/``, and the
date of the commit that last changed its outputs, from git. The book's Sphinx
extension (``_ext/offline_book.py``) writes it at every build; nothing in it
is typed by hand.

The **PDF** is printed by Debian's Chromium (through Playwright, which the
browser test already uses) from the book built as a single HTML page, once
MathJax has typeset the math, so it needs neither a TeX installation nor a
browser download::

    python -m booktools.publish pdf      # writes _build/html/neural-networks-tested.pdf

The **zip** of all chapter notebooks is written by every HTML build. It holds
each chapter's reader notebook (``notebooks/``, :mod:`booktools.reader`), the one
the Colab badges open: the chapters themselves read well only where MyST renders.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

from .book import ROOT, chapter_paths, reader_path

__all__ = ["PDF_NAME", "ZIP_NAME", "HANG", "stamp", "outputs_commit", "write_notebook_zip", "chapter_pages",
           "restore_outline_titles", "build_pdf"]

PDF_NAME = "neural-networks-tested.pdf"
ZIP_NAME = "neural-networks-tested-notebooks.zip"
RESULTS = ROOT / "benchmarks" / "results"


def _outputs(text):
    return [cell.get("outputs") for cell in json.loads(text)["cells"] if cell["cell_type"] == "code"]


def outputs_commit(path, root=ROOT):
    """``(commit, date)`` of the commit that gave the chapter its present outputs, or None.

    Walks back through the commits that touched the notebook while its outputs
    stay the same; the oldest of them regenerated them. None when the outputs
    in the working copy are not committed, or there is no git history.
    """
    relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    try:
        log = subprocess.run(["git", "log", "--format=%H %cs", "--", relative], cwd=root,
                             capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return None
    present = _outputs(Path(path).read_text())
    found = None
    for line in filter(None, log):
        commit, date = line.split()
        shown = subprocess.run(["git", "show", f"{commit}:{relative}"], cwd=root, capture_output=True, text=True)
        if shown.returncode != 0 or _outputs(shown.stdout) != present:
            break
        found = (commit, date)
    return found


def _profile_result(profile, chapter, results):
    path = Path(results) / f"{profile}.json"
    if not path.exists():
        return None, None
    summary = json.loads(path.read_text())
    return summary["chapters"].get(chapter), summary["machine"]


def stamp(path, results=RESULTS, root=ROOT):
    """The one-line stamp shown under a chapter's title."""
    path = Path(path)
    chapter = path.stem
    record = json.loads(path.read_text())["metadata"].get("nbcode", {})
    made = (f"outputs made with PyTorch {record['torch']} on a {record['machine']}"
            if "torch" in record and "machine" in record else "outputs made on an unrecorded machine")
    commit = outputs_commit(path, root)
    made += f", committed on {commit[1]}" if commit else ", not committed yet"
    cpu, cpu_machine = _profile_result("cpu", chapter, results)
    timing = (f"{cpu['seconds']:.0f} s at its defaults on {cpu_machine['cpu_count']} CPU cores"
              if cpu else "not yet timed at its defaults")
    gpu, gpu_machine = _profile_result("gpu", chapter, results)
    if gpu is None:
        on_gpu = "not yet run on a GPU"
    else:
        verdict = "every headline value in range" if not gpu["problems"] else f"{len(gpu['problems'])} value(s) out of range"
        on_gpu = f"gpu profile {gpu['seconds']:.0f} s on {gpu_machine['gpu']}, {verdict}"
    return f"Verified: {made}; {timing}; {on_gpu}."


def write_notebook_zip(folder, root=ROOT):
    """Write every chapter's reader notebook, with its committed outputs, into one zip in ``folder``."""
    target = Path(folder) / ZIP_NAME
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in chapter_paths(root):
            archive.write(Path(root) / reader_path(path), f"neural-networks-tested/{path.name}")
    return target


# Before printing: every chapter starts a page; paper cannot be clicked, so the collapsed solutions and
# the hidden code cells are opened and their toggles (the solutions' chevron, "Show code cell source")
# left out; long code and output lines wrap instead of running off the page, each continuation indented
# HANG characters past its own line's indentation, so that a wrapped comment does not read as code; and
# each entry of the theme's printed contents gets a dotted leader and an empty page-number slot, three
# digits wide, on the title's baseline.
HANG = 4
PREPARE_FOR_PRINT = """(hang) => {
    const style = document.createElement("style");
    style.textContent = `@media print {
        [id^="document-"] + section { break-before: page; }
        #jb-print-toc { break-after: page; }
        #jb-print-toc .leader { flex: 1; border-bottom: 1px dotted; margin: 0 0.4em; }
        #jb-print-toc .page-number { min-width: 3ch; text-align: right; }
        pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
        pre .print-line { display: block; }
        .headerlink, details.hide > summary, .sd-summary-state-marker { display: none !important; }
    }`;
    document.head.appendChild(style);
    document.querySelectorAll("details.sd-dropdown, details.hide").forEach((block) => { block.open = true; });
    // Each line of a <pre> becomes a block of its own with a hanging indent. Pygments' spans can hold
    // several lines (a docstring), so each piece of text is wrapped in copies of the spans around it.
    document.querySelectorAll("pre").forEach((pre) => {
        const lines = [[]];
        const walk = (node, around) => {
            for (const child of [...node.childNodes]) {
                if (child.nodeType !== Node.TEXT_NODE) { walk(child, [...around, child]); continue; }
                child.textContent.split("\\n").forEach((text, index) => {
                    if (index > 0) lines.push([]);
                    if (!text) return;
                    let piece = document.createTextNode(text);
                    for (const element of [...around].reverse()) {
                        const copy = element.cloneNode(false);
                        copy.appendChild(piece);
                        piece = copy;
                    }
                    lines[lines.length - 1].push(piece);
                });
            }
        };
        walk(pre, []);
        if (lines.length > 1 && lines[lines.length - 1].length === 0) lines.pop();  // the block's last newline
        pre.replaceChildren(...lines.map((pieces) => {
            const line = document.createElement("span");
            const indent = pieces.map((piece) => piece.textContent).join("").match(/^ */)[0].length + hang;
            line.className = "print-line";
            line.style.paddingLeft = `${indent}ch`;
            line.style.textIndent = `-${indent}ch`;
            line.append(...(pieces.length ? pieces : [document.createTextNode(" ")]));  // an empty line keeps its height
            return line;
        }));
    });
    return [...document.querySelectorAll("#jb-print-toc a.nav-link")].map((link) => {
        // a no-break space keeps the slot's line as high as a number's will be
        link.insertAdjacentHTML("afterend", '<span class="leader"></span><span class="page-number">&nbsp;</span>');
        // inline, because the theme's own print rules for these entries are !important too
        link.parentElement.style.setProperty("display", "flex", "important");
        link.parentElement.style.setProperty("align-items", "baseline", "important");
        link.parentElement.style.setProperty("list-style", "none", "important");
        return link.textContent.trim();
    });
}"""
# For the second print: the page numbers in their slots and nothing else visible, and the book after
# the contents left out, so that only the contents' pages are laid out again, exactly as before.
ONLY_PAGE_NUMBERS = """(pages) => {
    document.querySelectorAll("#jb-print-toc .page-number")
        .forEach((slot, index) => { slot.textContent = pages[index] ?? ""; });
    const style = document.createElement("style");
    style.textContent = `@media print {
        body * { visibility: hidden; }
        #jb-print-toc .page-number { visibility: visible; }
        .bd-article { display: none !important; }
    }`;
    document.head.appendChild(style);
}"""
# The text of every heading in the order printed, as the reader sees it (without its "#" link).
HEADINGS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((heading) => {
    const copy = heading.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach((link) => link.remove());
    return copy.textContent.split(/\\s+/).join(" ").trim();
})"""
PAGE_NUMBER_FOOTER = ('<div style="font-size:9px;width:100%;text-align:center">'
                      '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def _print(page, path, footer=PAGE_NUMBER_FOOTER, background=True):
    page.pdf(path=str(path), format="A4", print_background=background, outline=True, tagged=True,
             margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
             display_header_footer=True, header_template="<span></span>", footer_template=footer)


def _squeezed(text):
    # NFKC undoes the typesetting's ligatures ("ﬁ" -> "fi"); without spaces, a title that the outline
    # wrapped ("descent andthe training loop") still matches.
    return "".join(unicodedata.normalize("NFKC", text).split())


MATCHED_PREFIX = 12  # characters, spaces apart: the shortest shared beginning that identifies a heading


def restore_outline_titles(writer, headings):
    """Give each outline entry of ``writer`` (a pypdf ``PdfWriter``) the text of its heading.

    Chromium builds the outline from the laid-out headings: it drops the space
    where a heading wraps ("LSTMand GRU"), and often repeats a heading's text
    or its first line ("ExercisesExercises"). Entries are matched, in order, to
    the first following heading whose characters, spaces apart, begin the
    entry's, or else to the next heading if the two begin with the same
    MATCHED_PREFIX characters; an entry that is no heading ("Foundations", a
    part's caption in the contents) keeps its title.
    """
    from pypdf.generic import NameObject, TextStringObject

    position = 0
    squeezed = [_squeezed(heading) for heading in headings]

    def matching(title):
        index = next((i for i in range(position, len(headings)) if title.startswith(squeezed[i])), None)
        if index is None and position < len(headings):
            common = len(os.path.commonprefix([title, squeezed[position]]))
            index = position if common >= min(MATCHED_PREFIX, len(squeezed[position])) else None
        return index

    def visit(node):
        nonlocal position
        while node is not None:
            node = node.get_object()
            index = matching(_squeezed(str(node.get("/Title", ""))))
            if index is not None:
                node[NameObject("/Title")] = TextStringObject(headings[index])
                position = index + 1
            visit(node.get("/First"))
            node = node.get("/Next")

    visit(writer.get_outline_root().get("/First"))


def chapter_pages(pdf, titles):
    """The page (counting from 1) on which each title starts, in order, from the PDF's outline; None if absent.

    Chromium writes an outline entry for every heading, pointing at its page.
    """
    from pypdf import PdfReader

    reader = PdfReader(pdf)

    def entries(items):
        for item in items:
            yield from entries(item) if isinstance(item, list) else [item]

    outline = [(_squeezed(entry.title), reader.get_destination_page_number(entry) + 1)
               for entry in entries(reader.outline)]
    found, position = [], 0
    for title in titles:
        index = next((i for i in range(position, len(outline)) if outline[i][0] == _squeezed(title)), None)
        found.append(None if index is None else outline[index][1])
        position = index + 1 if index is not None else position
    return found


def build_pdf(root=ROOT, out=None, path_output=None):
    """Build the book as one HTML page and print it to a PDF with Chromium; return the PDF's path.

    The single page is built in ``path_output``'s ``_build/`` (jupyter-book's
    ``--path-output``; the book's own by default), and the PDF goes to
    ``out``, by default beside the HTML book there.

    The contents' page numbers are known only once the book is printed, so
    the whole book is printed once, with empty slots for them; the pages it
    gives each chapter are read from the PDF's outline; then the contents
    alone are printed again with only those numbers visible, and each of its
    pages is drawn over the book's page (the slots keep their width, so
    nothing moves). That second print lays out only the contents' pages.
    """
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    from .serve import serve_folder

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise OSError("the PDF is printed by Chromium, which is not installed: `apt-get install chromium`")
    root = Path(root)
    build_folder = Path(path_output or root) / "_build"
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run([str(jupyter_book), "build", str(root), "--builder", "singlehtml", "-W", "--keep-going",
                            "--path-output", str(build_folder.parent)], capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"the single-page book did not build cleanly:\n{build.stdout[-3000:]}{build.stderr[-3000:]}")
    out = Path(out) if out else build_folder / "html" / PDF_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    numbers = out.with_name(out.stem + "-contents-numbers.pdf")
    with serve_folder(build_folder / "singlehtml") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{base}/intro.html", wait_until="networkidle")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        titles = page.evaluate(PREPARE_FOR_PRINT, HANG)
        headings = page.evaluate(HEADINGS)
        _print(page, out)
        page.evaluate(ONLY_PAGE_NUMBERS, chapter_pages(out, titles))
        _print(page, numbers, footer="<span></span>", background=False)  # transparent, to draw over a page
        browser.close()
    book = PdfWriter(clone_from=out)
    for book_page, numbers_page in zip(book.pages, PdfReader(numbers).pages):
        book_page.merge_page(numbers_page)
    restore_outline_titles(book, headings)
    book.write(out)
    numbers.unlink()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m booktools.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    pdf = commands.add_parser("pdf", help=f"print the whole book to _build/html/{PDF_NAME}")
    pdf.add_argument("--path-output", type=Path, help="build in this folder's _build/ instead of the book's")
    commands.add_parser("zip", help=f"write all reader notebooks to _build/html/{ZIP_NAME}")
    commands.add_parser("stamps", help="print every chapter's stamp")
    args = parser.parse_args(argv)
    if args.command == "pdf":
        print(f"wrote {build_pdf(path_output=args.path_output)}")
    elif args.command == "zip":
        print(f"wrote {write_notebook_zip(ROOT / '_build' / 'html')}")
    else:
        for path in chapter_paths():
            print(f"{path.stem}: {stamp(path)}")


if __name__ == "__main__":
    main()
