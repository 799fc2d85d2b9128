"""nbcode.models holds the models the chapters teach, builds exactly them, and is their only definition."""

import ast
import inspect
import json

import nbformat
import pytest
import torch

from nbcode import models
from booktools.book import ROOT, glued_values
from nbcode.models import CharTransformer, make_cnn
from nbcode.train import count_parameters
from booktools.variants import VARIANTS

# Which chapter teaches each model (and prints its code), and which other chapters build it from nbcode.models.
TEACHERS = {"07_cnn": ["conv_block", "make_cnn"], "10_transformer": ["CharTransformer"]}
USERS = {"11_gan": ["make_cnn"]}


def notebook(chapter):
    return nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)


def python_of(source):
    """A code cell's source as Python: IPython's %magic and !shell lines become ``pass``."""
    lines = source.splitlines()
    return "\n".join(line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip()[:1] in ("%", "!") else line
                     for line in lines)


def code_cells(chapter):
    return [cell for cell in notebook(chapter).cells if cell.cell_type == "code"]


def imported_from_models(code):
    tree = ast.parse(python_of(code))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "nbcode.models"
            for alias in node.names}


# (a) The modules are the ones whose parameters the chapters counted in their committed run.


def test_cnn_has_the_parameter_count_chapter_7_glued():
    width = VARIANTS["07_cnn"]["cpu"]["cnn_width"]
    assert f"{count_parameters(make_cnn(width)):,}" == glued_values(notebook("07_cnn"))["cnn_params"]


def test_char_transformer_has_the_parameter_count_chapter_10_glued():
    from nbcode.data import load_tiny_shakespeare

    text = load_tiny_shakespeare()
    p = VARIANTS["10_transformer"]["cpu"]
    # The chapter's vocabulary: the characters of the training text only (validation and test are not looked at).
    model = CharTransformer(len(set(text.train)), p["charlm_size"], p["charlm_layers"], p["charlm_context"],
                            dropout=p["charlm_dropout"])
    assert f"{count_parameters(model):,}" == glued_values(notebook("10_transformer"))["charlm_params"]


def test_time_to_target_builds_the_vocabulary_from_the_training_text_only(monkeypatch):
    # Like the chapter: a character that only validation or test contain must not enter the vocabulary.
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import time_to_target
    from nbcode.data import Splits

    seen = {}

    class Stop(Exception):
        pass

    def fake_model(vocabulary, *args, **kwargs):
        seen["vocabulary"] = vocabulary
        raise Stop

    text = Splits(train="abcab" * 400, val="abcab" * 40, test="abcab" * 40)
    monkeypatch.setattr(time_to_target, "load_tiny_shakespeare", lambda: text)
    monkeypatch.setattr(time_to_target, "CharTransformer", fake_model)
    with pytest.raises(Stop):
        next(time_to_target.charlm_run("smoke", torch.device("cpu"), False, False, 0))
    assert seen["vocabulary"] == 3
    # A character unseen in training reaches the id lookup and fails loudly instead of widening the vocabulary.
    monkeypatch.setattr(time_to_target, "load_tiny_shakespeare",
                        lambda: Splits(train=text.train, val="abcaz" * 40, test=text.test))
    with pytest.raises(KeyError):
        next(time_to_target.charlm_run("smoke", torch.device("cpu"), False, False, 0))


@pytest.mark.parametrize("chapter", [*TEACHERS, *USERS])
def test_chapters_build_their_models_from_nbcode_models(chapter):
    names = TEACHERS.get(chapter) or USERS[chapter]
    imported = set().union(*(imported_from_models(cell.source) for cell in code_cells(chapter)))
    assert set(names) <= imported, f"{chapter} must import {names} from nbcode.models"


@pytest.mark.parametrize("chapter", TEACHERS)
def test_teaching_chapters_print_the_models_code(chapter):
    code = "\n".join(cell.source for cell in code_cells(chapter))
    for name in TEACHERS[chapter]:
        assert f"print(inspect.getsource({name}))" in code, f"{chapter} teaches {name}: it must show its code"


@pytest.mark.parametrize("chapter", TEACHERS)
def test_teaching_chapters_committed_outputs_show_the_current_code(chapter):
    # Cell outputs tagged numerical-noise are not compared in tolerant mode, so this is the check that the
    # book does not show an older version of a model than the one it trains.
    for name in TEACHERS[chapter]:
        cell = next(cell for cell in code_cells(chapter) if f"inspect.getsource({name})" in cell.source)
        shown = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
        assert inspect.getsource(getattr(models, name)) in shown, (
            f"chapters/{chapter}.ipynb shows other code for {name} than nbcode/models.py has: re-execute it "
            f"with `python -m booktools.book run chapters/{chapter}.ipynb`")


def test_the_judge_of_chapter_11_has_chapter_7s_width():
    judge_cells = [cell.source for cell in code_cells("11_gan") if "judge = make_cnn(" in cell.source]
    assert len(judge_cells) == 1
    assert f"make_cnn(width={VARIANTS['07_cnn']['cpu']['cnn_width']})" in judge_cells[0]


# (b) The same seed builds the same weights, and the layers are where the chapters use them.


BUILDS = {"cnn": lambda: make_cnn(16), "char_transformer": lambda: CharTransformer(65, 32, 2, 16, dropout=0.2)}


@pytest.mark.parametrize("name", BUILDS)
def test_the_same_seed_builds_the_same_weights(name):
    states = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        states.append(BUILDS[name]().state_dict())
    first, again, other_seed = states
    assert list(first) == list(again) == list(other_seed)
    assert all(torch.equal(first[key], again[key]) for key in first)
    assert not all(torch.equal(first[key], other_seed[key]) for key in first)


def test_cnn_maps_digits_to_ten_logits_and_its_first_block_comes_first():
    cnn = make_cnn(8).eval()
    assert cnn(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    # Chapter 7 plots cnn[0]'s kernels and the feature maps of cnn[:3].
    assert [type(layer).__name__ for layer in cnn[:3]] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert cnn[0].weight.shape == (8, 1, 3, 3)


def test_char_transformer_is_causal():
    torch.manual_seed(0)
    model = CharTransformer(11, 32, 2, 16).eval()
    ids = torch.randint(0, 11, (2, 16))
    changed = ids.clone()
    changed[:, -1] = (ids[:, -1] + 1) % 11
    with torch.no_grad():
        logits, logits_changed = model(ids), model(changed)
    assert logits.shape == (2, 16, 11)
    assert torch.allclose(logits[:, :-1], logits_changed[:, :-1], atol=1e-6)
    assert not torch.allclose(logits[:, -1], logits_changed[:, -1])


def test_models_import_only_torch():
    # benchmarks/time_to_target.py imports nbcode.models on GPU machines without the book's Jupyter packages.
    tree = ast.parse(inspect.getsource(models))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"torch"}


def test_time_to_target_trains_the_models_of_nbcode_models(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import time_to_target

    assert time_to_target.make_cnn is make_cnn and time_to_target.CharTransformer is CharTransformer
    assert time_to_target.recipe("07_cnn", "cpu")["cnn_width"] == VARIANTS["07_cnn"]["cpu"]["cnn_width"]


# (c) No copy of these models anywhere else: a copy would drift from the one the chapters teach.


def called_name(call):
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


def layer_names(arguments):
    """The layer types an nn.Sequential(...) call builds, in order; '?' where the code does not say."""
    block = [type(layer).__name__ for layer in models.conv_block(1, 1)]
    names = []
    for argument in arguments:
        if isinstance(argument, ast.Starred) and isinstance(argument.value, ast.Call):
            names += block if called_name(argument.value) == "conv_block" else ["?"]
        else:
            names.append(called_name(argument) if isinstance(argument, ast.Call) else "?")
    return names


CNN_LAYERS = [type(layer).__name__ for layer in make_cnn(1)]
CAUSAL_MASKS = {"generate_square_subsequent_mask", "is_causal"}


def copies_of_the_models(code):
    """What in ``code`` defines one of nbcode.models' models again, by name or by its layers."""
    found = []
    for node in ast.walk(ast.parse(python_of(code))):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in models.__all__:
            found.append(f"line {node.lineno}: defines {node.name}")
        elif isinstance(node, ast.ClassDef):
            calls = {called_name(n) for n in ast.walk(node) if isinstance(n, ast.Call)}
            words = calls | {n.arg for n in ast.walk(node) if isinstance(n, ast.keyword)}
            if {"Embedding", "TransformerEncoder"} <= calls and words & CAUSAL_MASKS:
                found.append(f"line {node.lineno}: class {node.name} is a causal Transformer like CharTransformer")
        elif isinstance(node, ast.Call) and called_name(node) == "Sequential" and layer_names(node.args) == CNN_LAYERS:
            found.append(f"line {node.lineno}: an nn.Sequential with make_cnn's layers")
    return found


def repository_code():
    """(place, code) for every chapter code cell and every Python file of benchmarks/ and nbcode/ but models.py."""
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                yield f"chapters/{path.name}, cell {index}", "".join(cell["source"])
    for path in sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "nbcode").glob("*.py")]):
        if path != ROOT / "nbcode" / "models.py":
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_no_model_of_nbcode_models_is_defined_again():
    copies = [f"{place}, {what}" for place, code in repository_code() for what in copies_of_the_models(code)]
    assert not copies, "import these from nbcode.models instead of defining them again:\n" + "\n".join(copies)


def test_the_copy_detector_finds_copies_renamed_or_written_out():
    source = inspect.getsource(models)
    assert len(copies_of_the_models(source)) == len(models.__all__) + 1  # each name, and make_cnn's Sequential
    renamed = inspect.getsource(CharTransformer).replace("CharTransformer", "CharacterModel")
    assert copies_of_the_models(renamed) == ["line 1: class CharacterModel is a causal Transformer like "
                                             "CharTransformer"]
    written_out = "judge = nn.Sequential(" + ", ".join(f"nn.{name}()" for name in CNN_LAYERS) + ")"
    assert copies_of_the_models(written_out) == ["line 1: an nn.Sequential with make_cnn's layers"]
    # Other models built from the same kinds of layers are no copies.
    assert copies_of_the_models("nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 10))") == []


def test_magics_do_not_stop_the_scan():
    assert python_of('if x:\n    %pip install nbcode\n!ls') == "if x:\n    pass\npass"
