"""Maintaining the book's notebooks: Colab links, glued values, committed outputs.

The Colab links and the Colab install cell of every chapter derive from
``_config.yml`` (``repository`` and ``launch_buttons``); after changing it, run
``python -m booktools.book sync`` to rewrite them. The links open the chapter's
reader notebook (``notebooks/``, written by ``python -m booktools.reader``), not
the chapter itself: Colab renders no MyST. ``python -m booktools.book run
chapters/NN_topic.ipynb`` re-executes a chapter in place from a fresh kernel
with its default parameters: the way to regenerate its committed outputs.
"""

import argparse
import ast
import re
from pathlib import Path


__all__ = ["ROOT", "READER_FOLDER", "book_config", "chapter_paths", "reader_path", "colab_url", "glued_texts",
           "glued_values", "expected_cells", "sync_notebook", "copy_checkout", "run_in_place"]

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BADGE_TAG = "colab-badge"
SETUP_TAG = "colab-setup"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Where each chapter's reader notebook lives, relative to the book: what Colab opens.
READER_FOLDER = "notebooks"


def book_config(root=ROOT):
    """The book's ``_config.yml`` as a dict."""
    import yaml

    return yaml.safe_load((Path(root) / "_config.yml").read_text())


def chapter_paths(root=ROOT):
    """Every chapter notebook, in order of its number."""
    return sorted((Path(root) / "chapters").glob("[0-9][0-9]_*.ipynb"))


def reader_path(chapter):
    """The reader notebook of a chapter, relative to the book: ``notebooks/NN_topic.ipynb``."""
    return f"{READER_FOLDER}/{Path(chapter).name}"


def _github(config):
    url = config["repository"]["url"].rstrip("/")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", url)
    if not match:
        raise ValueError(f"repository.url in _config.yml must be https://github.com/OWNER/REPO, not {url!r}.")
    return match.group(1), match.group(2)


def colab_url(notebook, config=None):
    """The address that opens ``notebook`` (a path relative to the book) in Colab."""
    config = config or book_config()
    owner, repo = _github(config)
    branch = config["repository"].get("branch", "main")
    folder = config["repository"].get("path_to_book", "").strip("/")
    path = f"{folder}/{notebook}" if folder else str(notebook)
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{owner}/{repo}/blob/{branch}/{path}"


def _badge_source(notebook, config):
    return f"[![Open in Colab]({BADGE_IMAGE})]({colab_url(notebook, config)})"


def _setup_source(config):
    owner, repo = _github(config)
    branch = config["repository"].get("branch", "main")
    return (
        "# In Colab, install the book's code first; elsewhere the README's set-up did it.\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "nbcode @ git+https://github.com/{owner}/{repo}@{branch}"'
    )


def _tagged(notebook, tag):
    cells = [cell for cell in notebook.cells if tag in cell.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected exactly one cell tagged {tag!r}, found {len(cells)}.")
    return cells[0]


def expected_cells(path, config=None):
    """The badge and install-cell sources that ``sync_notebook`` would write.

    The badge opens the chapter's reader notebook; the reader notebook, a copy
    with the MyST rendered, carries the same badge.
    """
    config = config or book_config()
    return _badge_source(reader_path(path), config), _setup_source(config)


def sync_notebook(path, config=None):
    """Rewrite the Colab badge and install cell of one notebook from ``_config.yml``.

    Returns True if the notebook changed. The install cell's outputs are
    untouched: outside Colab it prints nothing.
    """
    import nbformat  # here, not at the top: booktools.variants' tables import without Jupyter's packages

    notebook = nbformat.read(path, as_version=4)
    badge, setup = _tagged(notebook, BADGE_TAG), _tagged(notebook, SETUP_TAG)
    wanted = expected_cells(path, config)
    if (badge.source, setup.source) == wanted:
        return False
    badge.source, setup.source = wanted
    nbformat.write(notebook, path)
    return True


def glued_texts(notebook):
    """``{name: text}``: the ``text/plain`` form of every value a notebook glued with ``nbcode.glue``.

    As myst-nb reads them for ``{glue:text}``: a name glued twice keeps its last value.
    """
    texts = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            prefix = output["metadata"]["scrapbook"].get("mime_prefix", "")
            texts[name] = output["data"].get(prefix + "text/plain", "")
    return texts


def glued_values(notebook):
    """``{name: value}`` for every value a notebook glued with ``nbcode.glue``.

    Values are read back from their text form, so numbers come back as numbers.
    """
    values = {}
    for name, text in glued_texts(notebook).items():
        try:
            values[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[name] = text
    return values


def copy_checkout(destination, root=ROOT, history=False):
    """Copy the files git knows of or would add (tracked, and untracked but not ignored) into ``destination``.

    With ``history``, the copy gets the checkout's ``.git`` too, so that what
    reads the history (each chapter's stamp) reads the same there.
    """
    import shutil
    import subprocess

    root, destination = Path(root), Path(destination)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = root / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if history:
        shutil.copytree(root / ".git", destination / ".git")


def run_in_place(path, timeout=1800):
    """Execute a chapter top to bottom in a fresh kernel and save it with its outputs.

    The kernel runs in the pinned numerical setting of :mod:`booktools.numerics`,
    the one the tests compare in, so the saved outputs reproduce on other machines
    of this processor's vendor, which is saved in the notebook's metadata
    (``nbcode.recorded_on``) for the tests to read, with the PyTorch version and
    the machine in words for the chapter's stamp (:mod:`booktools.publish`).
    """
    import nbformat
    import torch
    from nbclient import NotebookClient

    from .numerics import chapter_environment, machine_class, vendor

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    # coalesce_streams keeps only the last state of a line rewritten with "\r"
    # (a progress bar), as a screen shows it and as nbval compares it.
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            coalesce_streams=True, resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=chapter_environment())
    notebook.metadata["nbcode"] = {"recorded_on": vendor(), "torch": torch.__version__, "machine": machine_class()}
    nbformat.write(notebook, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m booktools.book", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sync", help="rewrite every chapter's Colab badge and install cell from _config.yml")
    run = commands.add_parser("run", help="re-execute chapters in place with their defaults")
    run.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in chapter_paths():
            if sync_notebook(path):
                print(f"updated {path.relative_to(ROOT)}")
    else:
        for path in args.notebooks:
            if not path.exists():
                parser.error(f"{path} does not exist")
            print(f"running {path} ...", flush=True)
            run_in_place(path)


if __name__ == "__main__":
    main()
