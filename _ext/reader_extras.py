"""What the book adds for its readers: a verified stamp under each chapter's title, downloads, Colab.

The stamp (:func:`booktools.publish.stamp`) is written into every chapter page
from the notebook's metadata, ``benchmarks/results/`` and git. Sphinx reads a
page again only when its source changed, so every build also recomputes each
chapter's stamp and reads again the chapters whose stamp changed (new results,
a new commit of their outputs). Every page of the HTML book links the PDF of the whole
book (``python -m booktools.publish pdf``) and a zip of all chapter notebooks,
which each HTML build writes next to the pages.

The theme's Colab launch button opens a page's own source; on a chapter it
opens the chapter's reader notebook instead (``notebooks/``, see
:mod:`booktools.reader`), as the chapter's Colab badge does, since Colab renders
no MyST.
"""

import sys
from pathlib import Path

from docutils import nodes

# The book being built holds its own machinery, booktools/, beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from booktools.book import book_config, colab_url, reader_path
from booktools.publish import PDF_NAME, ZIP_NAME, stamp, write_notebook_zip


def _chapters(env):
    return [name for name in env.found_docs if name.startswith("chapters/")]


def _stamp(app, docname):
    root = Path(app.srcdir)
    return stamp(root / f"{docname}.ipynb", results=root / "benchmarks" / "results", root=root)


def _add_stamp(app, doctree):
    docname = app.env.docname
    if docname not in _chapters(app.env):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        return
    text = _stamp(app, docname)
    if not hasattr(app.env, "nbcode_stamps"):
        app.env.nbcode_stamps = {}
    app.env.nbcode_stamps[docname] = text
    line = nodes.paragraph(classes=["chapter-stamp"])
    line += nodes.Text(text)
    section.insert(1, line)


def _stale_stamps(app, env, added, changed, removed):
    shown = getattr(env, "nbcode_stamps", {})
    return [name for name in _chapters(env) if name not in added | changed and shown.get(name) != _stamp(app, name)]


def _merge_stamps(app, env, docnames, other):
    env.nbcode_stamps = {**getattr(env, "nbcode_stamps", {}), **getattr(other, "nbcode_stamps", {})}


def _add_downloads(app, pagename, templatename, context, doctree):
    if app.builder.name != "html" or "body" not in context:
        return
    pdf, archive = context["pathto"](PDF_NAME, 1), context["pathto"](ZIP_NAME, 1)
    links = (f'<p class="book-downloads">Take the book with you: <a href="{pdf}" download>the whole book as a PDF</a>'
             f' · <a href="{archive}" download>all chapter notebooks (zip)</a></p>')
    context["body"] = links + context["body"]


def _launch_reader_notebook(app, pagename, templatename, context, doctree):
    # sphinx-book-theme puts its launch buttons in the page's header_buttons (its html-page-context
    # handler, priority 501); this one runs after it and changes only the Colab button's address.
    if not pagename.startswith("chapters/"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group["buttons"]:
                if button.get("text") == "Colab":
                    button["url"] = colab_url(reader_path(f"{pagename}.ipynb"), book_config(app.srcdir))


def _write_zip(app, exception):
    if exception is None and app.builder.name == "html":
        write_notebook_zip(app.outdir, root=Path(app.srcdir))


def setup(app):
    app.connect("env-get-outdated", _stale_stamps)
    app.connect("env-merge-info", _merge_stamps)
    app.connect("doctree-read", _add_stamp)
    app.connect("html-page-context", _add_downloads)
    app.connect("html-page-context", _launch_reader_notebook, priority=600)
    app.connect("build-finished", _write_zip)
    app.add_css_file("reader_extras.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
