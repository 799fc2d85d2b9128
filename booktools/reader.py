"""The notebooks a reader opens outside the website: each chapter with its MyST rendered.

Colab and Jupyter render Markdown and HTML, not MyST: a chapter opened there
shows ``{glue:text}`mlp_articleA_epochs_stuck``` where the book shows a
number, and every worked solution stands open under its exercise. So the
Colab badges, the book's Colab launch button and the notebook zip hand a
reader ``notebooks/NN_topic.ipynb`` instead, which this module writes from
``chapters/NN_topic.ipynb``::

    python -m booktools.reader            # (re)write every reader notebook
    python -m booktools.reader --check    # write nothing; exit 1 naming each one out of date

Run it after changing a chapter (its text or its outputs); the tests run the
check. In the markdown cells:

- ``{glue:text}`name``` and ``{glue:text}`name:.2%``` become the value as the
  book prints it: the text the chapter's committed outputs glued, formatted by
  myst-nb's own ``format_plain_text``;
- ``{cite}`key``` becomes the label the book prints, such as
  ``[Roberts et al., 2022]``, formatted by sphinxcontrib-bibtex with the
  book's reference style (an author-year one) from its ``.bib`` files;
- ``{term}`word``` becomes the word (the book links it to its glossary,
  a page that a notebook opened in Colab has no address for);
- a ``dropdown`` (an exercise's solution) becomes a collapsed ``<details>``,
  its title the ``<summary>``, its content still markdown inside;
- an admonition becomes a blockquote headed by its title in bold.

Any other role or directive stops the generator with an error naming the
chapter and cell, so that no MyST reaches a reader unconverted. Code and math
are left as written.

Code cells keep their source and every committed output, the glue records
included (Jupyter and Colab show nothing for their MIME type). Together the
reader notebooks take as much room as the chapters (about 4.5 MB, mostly
figures): the outputs are what a reader reads before running anything, so
none is dropped. Two things the book takes from a code cell's metadata are
given a form Jupyter knows: a figure's caption follows the cell as a markdown
cell, and code the book hides (tag ``hide-input``) starts collapsed
(``jupyter.source_hidden``, which JupyterLab honours).
"""

import argparse
import functools
import html
import re
import sys
from pathlib import Path
from types import SimpleNamespace

from .book import ROOT, book_config, chapter_paths, glued_texts, reader_path

__all__ = ["convert_markdown", "reader_notebook", "stale_notebooks", "write_notebooks"]

HIDE_INPUT = "hide-input"
# A MyST role, {name}`content` (the chapters use no other form, such as double backticks), or
# inline code, which keeps a role's text as written: whichever starts first on the line.
ROLE = re.compile(r"\{(?P<name>[A-Za-z0-9_+:-]+)\}`(?P<content>[^`]*)`|(?P<code>`[^`\n]*`)")
# A directive's options, MyST's short form: ":name: value" lines that open its content.
OPTION = re.compile(r":(?P<name>[A-Za-z0-9_-]+):[ \t]*(?P<value>.*)")
# Blocks whose text is not prose: code, math and raw HTML keep every character, roles included.
VERBATIM = {"fence", "code_block", "math_block", "math_block_label", "amsmath", "html_block"}


@functools.cache
def _parser(extensions):
    """The book's markdown parser (myst-parser, with the extensions of ``_config.yml``)."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


def _escaped(text):
    """``text`` to show literally in markdown (the book pastes a glued value as plain text)."""
    return re.sub(r"([\\`*_\[\]<>$|~])", r"\\\1", text)


def _glue_text(content, glued):
    from myst_nb.core.variables import format_plain_text

    # Split as myst-nb's {glue:text} role does: an optional format spec after the last colon.
    key, fmt_spec = content.rsplit(":", 1) if ":" in content else (content, "s")
    if key not in glued:
        raise ValueError(f"{{glue:text}}`{content}`: the chapter's outputs glue no {key!r}")
    return format_plain_text(glued[key], fmt_spec)


@functools.cache
def _reference_style(name):
    from sphinxcontrib.bibtex.plugin import find_plugin

    return find_plugin("sphinxcontrib.bibtex.style.referencing", name)()


@functools.cache
def _bibliography(paths):
    from pybtex.database import parse_file

    entries = {}
    for path in paths:
        entries.update(parse_file(path).entries)
    return entries


def _citation(targets, role, config, root):
    """The label the book prints for ``{cite:role}`targets```, such as ``[Roberts et al., 2022]``.

    sphinxcontrib-bibtex formats it, with the book's reference style, through
    its docutils backend. Its label is a link, built by asking the Sphinx
    builder for the bibliography page's address: a stand-in builder answers
    with none, and only the label's text is kept.
    """
    import pybtex_docutils
    from sphinxcontrib.bibtex.citation_target import parse_citation_targets
    from sphinxcontrib.bibtex.style.referencing import format_references
    from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo

    entries = _bibliography(tuple(str(Path(root) / path) for path in config["bibtex_bibfiles"]))
    style = _reference_style(config["sphinx"]["config"].get("bibtex_reference_style", "label"))
    builder = SimpleNamespace(name="notebook", get_relative_uri=lambda source, target: "")
    references = []
    for target in parse_citation_targets(targets):
        if target.key not in entries:
            raise ValueError(f"{{cite}}`{targets}`: {target.key!r} is in none of {config['bibtex_bibfiles']}")
        info = SphinxReferenceInfo(builder, fromdocname="", todocname="", citation_id="", title=None,
                                   pre_text=target.pre, post_text=target.post)
        references.append((entries[target.key], None, info))
    nodes = format_references(style, role, references).render(pybtex_docutils.Backend())
    return "".join(node.astext() for node in nodes)


def _role(match, glued, config, root):
    if match["code"]:
        return match["code"]
    name, content = match["name"], match["content"]
    if name == "glue:text":
        return _escaped(_glue_text(content, glued))
    if name == "term":  # {term}`shown text <glossary term>` shows its text
        return _escaped(re.sub(r"\s*<[^<>]*>$", "", content))
    if name == "cite" or name.startswith("cite:"):  # plain {cite} is sphinxcontrib-bibtex's {cite:p}
        return _escaped(_citation(content, name.partition(":")[2] or "p", config, root))
    raise ValueError(f"the role {{{name}}} has no form for Jupyter yet: give it one in booktools/reader.py")


def _options(content):
    """A directive's content split into its leading ``:name: value`` options and the rest."""
    lines = content.splitlines(keepends=True)
    options = {}
    while lines and (option := OPTION.fullmatch(lines[0].rstrip("\n"))):
        options[option["name"]] = option["value"].strip()
        lines.pop(0)
    return options, "".join(lines)


def _details(summary, inner, opened):
    # Jupyter renders markdown inside an HTML block only after a blank line, hence those around the content.
    return f"<details{' open' if opened else ''}>\n<summary>{html.escape(summary)}</summary>\n\n{inner}\n\n</details>"


def _blockquote(title, inner):
    return "\n".join(f"> {line}".rstrip() for line in [f"**{title}**", "", *inner.split("\n")])


def _directive(token, glued, config, root):
    """A directive's block (``:::{name} argument`` ... ``:::``) as markdown and HTML, without a final newline."""
    from sphinx.locale import admonitionlabels

    name, _, argument = token.info.strip()[1:].partition("}")
    argument = argument.strip()
    options, content = _options(token.content)
    if name in admonitionlabels and argument:  # such admonitions take no title: MyST reads it as content
        content, argument = f"{argument}\n{content}", ""
    inner = convert_markdown(content, glued, config, root).strip("\n")
    if name == "dropdown" or (name == "admonition" and "dropdown" in options.get("class", "").split()):
        return _details(argument or "Details", inner, opened="open" in options)
    if name == "admonition":
        return _blockquote(argument, inner)
    if name in admonitionlabels:
        return _blockquote(str(admonitionlabels[name]), inner)
    raise ValueError(f"the directive {{{name}}} has no form for Jupyter yet: give it one in booktools/reader.py")


def _indented(text, indent):
    return "\n".join(indent + line if line else line for line in text.split("\n"))


def convert_markdown(text, glued, config=None, root=ROOT):
    """One markdown cell's source with its MyST turned into markdown and HTML that Jupyter renders.

    ``glued`` maps each glued name to its ``text/plain`` form (:func:`booktools.book.glued_texts`).
    Blocks are found by the book's own parser, so that code and math keep
    every character and a directive nested in a list keeps its indentation;
    every role and directive in the rest is converted, or raises ValueError.
    """
    config = config or book_config(root)
    lines = text.splitlines(keepends=True)
    directives, verbatim = {}, set()
    for token in _parser(tuple(config["parse"]["myst_enable_extensions"])).parse(text):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{"):
            directives[start] = (token, end)
        elif token.type in VERBATIM:
            verbatim.update(range(start, end))
    out, number = [], 0
    while number < len(lines):
        if number in directives:
            token, end = directives[number]
            indent = re.match(r"[ \t]*", lines[number]).group()
            closed = lines[end - 1].endswith("\n")  # else the directive ends the cell
            following = lines[end] if end < len(lines) else ""
            # A blank line after the HTML a directive becomes, or CommonMark reads the next line as HTML too.
            out.append(_indented(_directive(token, glued, config, root), indent)
                       + ("\n" if closed else "") + ("\n" if following.strip() else ""))
            number = end
        else:
            line = lines[number]
            out.append(line if number in verbatim else ROLE.sub(lambda match: _role(match, glued, config, root), line))
            number += 1
    return "".join(out)


def _figure_caption(cell, glued, config, root):
    """A markdown cell with the caption the book gives the figures a code cell draws, or None."""
    from nbformat.v4 import new_markdown_cell

    caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption")
    if not caption:
        return None
    text = f"**Figure.** {convert_markdown(caption, glued, config, root)}"
    return new_markdown_cell(text, id=f"{cell.id}-caption")


def reader_notebook(chapter, config=None, root=ROOT):
    """The reader notebook of the chapter at ``chapter``, a ``NotebookNode``."""
    import nbformat

    config = config or book_config(root)
    notebook = nbformat.read(chapter, as_version=4)
    glued = glued_texts(notebook)
    cells = []
    for cell in notebook.cells:
        try:
            if cell.cell_type == "markdown":
                cell.source = convert_markdown(cell.source, glued, config, root)
            cells.append(cell)
            if cell.cell_type == "code":
                if HIDE_INPUT in cell.metadata.get("tags", []):
                    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
                caption = _figure_caption(cell, glued, config, root)
                cells += [caption] if caption else []
        except ValueError as error:
            raise ValueError(f"{Path(chapter).name}, cell {cell.get('id')}: {error}") from error
    notebook.cells = cells
    return notebook


def _notebook_text(notebook):
    """A notebook's file text, byte for byte as ``nbformat.write`` (and so the chapters) writes it."""
    import nbformat

    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def _expected(root, chapters):
    """``(reader notebook path, its text)`` for each chapter (all by default), one after the other."""
    config = book_config(root)
    for chapter in chapters or chapter_paths(root):
        yield Path(root) / reader_path(chapter), _notebook_text(reader_notebook(chapter, config, root))


def _differs(path, text):
    return not path.exists() or path.read_text(encoding="utf-8") != text


def stale_notebooks(root=ROOT, chapters=None):
    """The reader notebooks, missing ones included, that differ from what their chapters give now."""
    return [path for path, text in _expected(root, chapters) if _differs(path, text)]


def write_notebooks(root=ROOT, chapters=None):
    """Write every reader notebook that differs from what its chapter gives, yielding each as it is written."""
    for path, text in _expected(root, chapters):
        if _differs(path, text):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            yield path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m booktools.reader", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming every reader notebook out of date with its chapter")
    args = parser.parse_args(argv)
    failed = False
    for chapter in chapter_paths():  # one by one, so that a chapter in the middle of an edit stops only itself
        try:
            if args.check:
                for path in stale_notebooks(chapters=[chapter]):
                    print(f"out of date: {path.relative_to(ROOT)} (run python -m booktools.reader)")
                    failed = True
            else:
                for path in write_notebooks(chapters=[chapter]):
                    print(f"wrote {path.relative_to(ROOT)}")
        except ValueError as error:  # MyST the generator cannot convert, or a value the chapter does not glue
            print(f"python -m booktools.reader: {error}", file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
