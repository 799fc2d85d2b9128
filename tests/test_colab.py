"""Each chapter's set-up and data loading as Colab runs them, without the internet.

Colab starts with ``google.colab`` imported, no nbcode, and no data. Here a
stand-in ``google.colab`` module makes each notebook's install cell take its
Colab branch (``%pip`` is recorded, not run: the repository it names is not
reachable from a test), ``NBCODE_DATA`` is an empty folder, and every web
address is answered by a server on 127.0.0.1 that holds ``../shared/data``
under the official file names and compression. So the real download, checksum
and extraction code runs, torchvision's for the images and nbcode's for the
texts, on the very statements the chapters contain.

One difference from the real files: the ``.gz`` image archives served here
are compressed afresh from the extracted copies in ``../shared/data``, so their
bytes (and MD5 sums) differ from the official archives'. The kernel gives
torchvision the served archives' sums instead; the check that runs is still
torchvision's own, and a wrong file still fails it (tested below). The texts'
SHA-256 sums are nbcode's, unchanged: the served texts are the official ones.
"""

import ast
import gzip
import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook
from torchvision.datasets import MNIST, FashionMNIST

from nbcode import data
from booktools.book import SETUP_TAG, _github, book_config, chapter_paths
from booktools.serve import serve_folder

CHAPTERS = chapter_paths()
OFFLINE = data.data_root()
LOADERS = {"load_mnist", "load_fashion_mnist", "load_sentence_polarity", "load_tiny_shakespeare",
           "load_breast_cancer"}
IMAGE_SETS = {MNIST: "MNIST", FashionMNIST: "FashionMNIST"}

# Runs first in the kernel. Everything it changes, Colab has or the network does.
PREAMBLE = """\
import json, urllib.parse, urllib.request
import google.colab  # the stand-in: Colab imports the real one before any cell runs

pip_lines = []
get_ipython().register_magic_function(pip_lines.append, "line", "pip")


class LocalInternet(urllib.request.HTTPHandler):
    handler_order = 100  # asked before the default http and https handlers

    def http_open(self, request):
        url = urllib.parse.urlsplit(request.full_url)
        local = urllib.request.Request(f"{BASE}/{url.netloc}{url.path}",
                                       headers=dict(request.header_items()))
        local.timeout = request.timeout
        response = super().http_open(local)
        response.url = request.full_url  # as if it came from the official address
        return response

    https_open = http_open


urllib.request.install_opener(urllib.request.build_opener(LocalInternet))

import torchvision.datasets
for class_name, sums in MD5.items():  # the served archives' sums, see the module's docstring
    dataset_class = getattr(torchvision.datasets, class_name)
    dataset_class.resources = [(archive, sums[archive]) for archive, _ in dataset_class.resources]
"""


def _served_path(url):
    """Where the local server keeps the file of an official address."""
    scheme, _, rest = url.partition("://")
    return rest


def _serve_tree(folder):
    """Fill ``folder`` with every official address's file; return the image archives' MD5 sums."""
    md5 = {}
    for dataset_class, name in IMAGE_SETS.items():
        mirror = _served_path(dataset_class.mirrors[0])
        md5[dataset_class.__name__] = {}
        for archive, _ in dataset_class.resources:
            target = folder / mirror / archive
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(OFFLINE / name / "raw" / Path(archive).stem, "rb") as raw, \
                    gzip.open(target, "wb", compresslevel=6) as packed:
                shutil.copyfileobj(raw, packed)
            md5[dataset_class.__name__][archive] = hashlib.md5(target.read_bytes()).hexdigest()
    polarity = folder / _served_path(data.SOURCES["sentence-polarity"]["url"])
    polarity.parent.mkdir(parents=True)
    with tarfile.open(polarity, "w:gz") as archive:
        archive.add(OFFLINE / "rt-polaritydata", arcname="rt-polaritydata")
    shakespeare = folder / _served_path(data.SOURCES["tiny-shakespeare"]["url"])
    shakespeare.parent.mkdir(parents=True)
    shutil.copy(OFFLINE / "tinyshakespeare" / "input.txt", shakespeare)
    return md5


@pytest.fixture(scope="module")
def internet(tmp_path_factory):
    """A local stand-in for the web: ``(folder it serves, base address, MD5 sums)``."""
    folder = tmp_path_factory.mktemp("internet")
    md5 = _serve_tree(folder)
    with serve_folder(folder) as base:
        yield folder, base, md5


def _colab_cells(path):
    """The chapter's install, parameters and import cells, then each statement that loads data."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    setup = next(i for i, cell in enumerate(notebook.cells) if SETUP_TAG in cell.metadata.get("tags", []))
    imports = next(i for i, source in enumerate(code) if "nbcode.setup(" in source)
    first = [cell.source for cell in notebook.cells[setup:] if cell.cell_type == "code"][: imports + 1]
    loads = []
    for source in code[imports + 1:]:
        for statement in ast.parse(source).body:
            call = getattr(statement, "value", None)
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) in LOADERS:
                loads.append(ast.get_source_segment(source, statement))
    return first, loads


def _run_as_colab(path, base, md5, tmp_path, monkeypatch):
    stand_in = tmp_path / "colab-stand-in"
    (stand_in / "google" / "colab").mkdir(parents=True)
    (stand_in / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s module."""\n')
    monkeypatch.setenv("PYTHONPATH", str(stand_in))
    monkeypatch.setenv("NBCODE_DATA", str(tmp_path / "data"))
    first, loads = _colab_cells(path)
    preamble = f"BASE = {base!r}\nMD5 = {md5!r}\n" + PREAMBLE
    cells = [preamble, *first, *loads, "print(json.dumps(pip_lines))"]
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(notebook, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return json.loads(notebook.cells[-1].outputs[0].text), loads


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_sets_up_and_downloads_its_data_as_in_colab(path, internet, tmp_path, monkeypatch):
    _, base, md5 = internet
    pip_lines, loads = _run_as_colab(path, base, md5, tmp_path, monkeypatch)
    owner, repo = _github(book_config())
    branch = book_config()["repository"].get("branch", "main")
    # One install: nbcode at the book's release, nothing pinned that Colab already has.
    assert pip_lines == [f'install --quiet "nbcode @ git+https://github.com/{owner}/{repo}@{branch}"']
    downloaded = sorted(p.relative_to(tmp_path / "data") for p in (tmp_path / "data").rglob("*")
                        if p.is_file() and not p.name.endswith((".gz", ".tar.gz")))
    for relative in downloaded:  # extracted byte for byte as the offline copy
        assert _sha256(tmp_path / "data" / relative) == _sha256(OFFLINE / relative), relative
    expected_folders = {
        "load_mnist": "MNIST", "load_fashion_mnist": "FashionMNIST",
        "load_sentence_polarity": "rt-polaritydata", "load_tiny_shakespeare": "tinyshakespeare"}
    wanted = {folder for call, folder in expected_folders.items() if any(call + "(" in s for s in loads)}
    assert {relative.parts[0] for relative in downloaded} == wanted


def test_nbcode_pins_nothing_colab_ships():
    import tomllib

    project = tomllib.loads((Path(data.__file__).parent.parent / "pyproject.toml").read_text())["project"]
    assert all(not any(op in spec for op in "=<>~") for spec in project["dependencies"])


def test_every_data_loader_of_the_chapters_is_exercised():
    calls = {statement.split("(")[0].split("=")[-1].strip()
             for path in CHAPTERS for statement in _colab_cells(path)[1]}
    assert calls == LOADERS


def _first_chapter_calling(loader):
    return next(path for path in CHAPTERS if any(loader + "(" in s for s in _colab_cells(path)[1]))


@pytest.fixture
def tampered(internet):
    """``tampered(path, payload)`` serves ``payload`` at ``path`` until the test ends."""
    folder, originals = internet[0], {}

    def tamper(relative, payload):
        originals[relative] = (folder / relative).read_bytes()
        (folder / relative).write_bytes(payload)

    yield tamper
    for relative, original in originals.items():
        (folder / relative).write_bytes(original)


def test_a_wrong_image_archive_fails_torchvisions_checksum(internet, tampered, tmp_path, monkeypatch):
    archive = _served_path(FashionMNIST.mirrors[0]) + "t10k-labels-idx1-ubyte.gz"
    tampered(archive, gzip.compress(b"\x00\x00\x08\x01" + bytes(10004)))
    with pytest.raises(CellExecutionError, match="failed their MD5 checksum"):
        _run_as_colab(_first_chapter_calling("load_fashion_mnist"), internet[1], internet[2], tmp_path, monkeypatch)


def test_a_wrong_text_fails_nbcodes_checksum(internet, tampered, tmp_path, monkeypatch):
    text = _served_path(data.SOURCES["tiny-shakespeare"]["url"])
    tampered(text, b"First Citizen:\nNot Shakespeare at all.\n")
    with pytest.raises(CellExecutionError, match="SHA-256"):
        _run_as_colab(_first_chapter_calling("load_tiny_shakespeare"), internet[1], internet[2], tmp_path, monkeypatch)
