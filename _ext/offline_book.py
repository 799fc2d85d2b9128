"""The built book as a reader's browser needs it: math offline, a clean console.

MathJax is served from the book itself, so pages typeset their math offline.

Sphinx loads MathJax from a CDN by default, which an offline reader (or a
test machine) cannot reach. When ``mathjax_path`` in ``_config.yml`` is the
relative ``mathjax/...`` path, this extension installs the npm package
``mathjax`` (pinned below, cached outside the checkout, never committed) and
adds its ``es5`` folder to the build's static files as ``_static/mathjax/``.

Without npm, the pages fall back to the CDN with a warning, which a strict
build (``jupyter-book build . -W``) turns into an error.

The notebooks' "Open in Colab" badge image lives on Colab's site; the pages
show a copy that ships with the book (``static/open-in-colab.svg``) instead.

Jupyter Book 1.x also adds some inline scripts twice to every page (the
thebe settings among them), and the second copy of a ``const`` is a
JavaScript error in the console; each page keeps only the first copy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.util import logging

# The book being built holds its own machinery, booktools/, beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from booktools.book import BADGE_IMAGE

MATHJAX_VERSION = "3.2.2"
STATIC = Path(__file__).parent / "static"
PREFIX = "mathjax/"
logger = logging.getLogger(__name__)


def _installed_es5():
    """The ``es5`` folder of the pinned MathJax, installed with npm if not cached yet."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nn-tested" / f"mathjax-{MATHJAX_VERSION}"
    es5 = cache / "node_modules" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise OSError("npm is not installed (install Node.js, which includes it)")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save",
                        f"mathjax@{MATHJAX_VERSION}"], check=True, capture_output=True, text=True)
    return es5


def _add_mathjax(app):
    path = app.config.mathjax_path
    if not path.startswith(PREFIX):
        return
    try:
        es5 = _installed_es5()
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        logger.warning(f"MathJax {MATHJAX_VERSION} could not be installed with npm ({detail}); "
                       f"the pages will load it from {MATHJAX_URL} and need the internet for math.")
        app.config.mathjax_path = MATHJAX_URL
        return
    # A static-path folder is copied into _static/ by its contents: stage es5 as "mathjax".
    staging = Path(app.outdir).parent / "mathjax-static"
    target = staging / PREFIX.rstrip("/")
    if not target.exists():
        shutil.copytree(es5, target)
    app.config.html_static_path.append(str(staging))


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # The copies differ only in filename: None for one, "" for the other.
        key = (getattr(script, "filename", script) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _local_badge(app, pagename, templatename, context, doctree):
    if "body" in context:
        local = context["pathto"]("_static/open-in-colab.svg", 1)
        context["body"] = context["body"].replace(BADGE_IMAGE, local)


def setup(app):
    app.connect("builder-inited", lambda app: app.config.html_static_path.append(str(STATIC)))
    app.connect("builder-inited", _add_mathjax)
    app.connect("html-page-context", _local_badge)
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)  # after every other script is added
    return {"parallel_read_safe": True, "parallel_write_safe": True}
